/**
 * Saved cell decommissioning histories (recorded on the dev server by its tests with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'cell-recovery-cell-003';
const HISTORIES = ['cellDecommissioning-happy-path', 'cellDecommissioning-backup-fails', 'cellDecommissioning-abort-mid-drain'];

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-cell-decommissioning'));

describe('cellDecommissioning replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(replay(name, WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the happy-path history fails against a changed workflow (recorded as draining before the permit)', async () => {
    await expect(replayChanged('cellDecommissioning-happy-path', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
