/**
 * Saved cascade recovery histories (recorded on the dev server by its tests with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'cascade-recovery-shop-eu';
/**
 * `cascadeRecovery-cell-fails` was recorded before the cascade read the fleet guard's permits
 * ahead of each child (patch `cascade-permit-check-before-child`): it started cell-003's child,
 * which the guard refused; `cascadeRecovery-cell-held-back` is the same run since, cell-003 held
 * back without a child. Both must replay.
 */
const HISTORIES = ['cascadeRecovery-happy-path', 'cascadeRecovery-cell-fails', 'cascadeRecovery-cell-held-back', 'cascadeRecovery-abort-mid-recovery'];

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-cascade-recovery'));

describe('cascadeRecovery replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(replay(name, WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the happy-path history fails against a changed workflow (circuit breakers opened before the load is shed)', async () => {
    await expect(replayChanged('cascadeRecovery-happy-path', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
