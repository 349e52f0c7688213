/**
 * Saved router failover histories (recorded on the dev server by its tests with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'router-recovery-shop-eu';
const HISTORIES = ['routerFailover-happy-path', 'routerFailover-fallback-invalid', 'routerFailover-primary-not-recovered', 'routerFailover-abort-mid-switch-back'];

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-router-failover'));

describe('routerFailover replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(replay(name, WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the happy-path history fails against a changed workflow (fails over before assessing the primary)', async () => {
    await expect(replayChanged('routerFailover-happy-path', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
