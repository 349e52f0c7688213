/**
 * Saved cell provisioning histories (recorded on the dev server by its tests with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'cell-recovery-cell-004';
const HISTORIES = ['cellProvisioning-happy-path', 'cellProvisioning-stack-fails', 'cellProvisioning-abort'];

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-cell-provisioning'));

describe('cellProvisioning replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(replay(name, WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the happy-path history fails against a changed workflow (monitoring before the stack)', async () => {
    await expect(replayChanged('cellProvisioning-happy-path', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
