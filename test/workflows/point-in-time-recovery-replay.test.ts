/**
 * Saved point-in-time recovery histories (recorded on the dev server by its tests with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'cell-recovery-cell-002';
const HISTORIES = ['pointInTimeRecovery-happy-path', 'pointInTimeRecovery-no-known-good-point', 'pointInTimeRecovery-integrity-fails', 'pointInTimeRecovery-abort-mid-restore'];

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-point-in-time-recovery'));

describe('pointInTimeRecovery replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(replay(name, WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the happy-path history fails against a changed workflow (recovery point picked before the isolation)', async () => {
    await expect(replayChanged('pointInTimeRecovery-happy-path', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
