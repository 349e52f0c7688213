/**
 * The saved capacity watch history (the last run of a simulated day, recorded by its test with
 * `CELLOPS_SAVE_HISTORIES=1`: it starts from a continue-as-new) replays cleanly against today's
 * workflow code, and a deliberately changed workflow fails the replay of it.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'capacity-watch-shop-eu';

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-capacity-watch'));

describe('capacityWatch replay', () => {
  test('capacityWatch-day replays cleanly', async () => {
    await expect(replay('capacityWatch-day', WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the history fails against a changed workflow (reads before its first interval)', async () => {
    await expect(replayChanged('capacityWatch-day', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
