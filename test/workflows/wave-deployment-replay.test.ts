/**
 * Saved wave deployment histories (recorded on the dev server by its tests with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'wave-deployment-shop-eu';
const HISTORIES = ['waveDeployment-happy-path', 'waveDeployment-canary-fails', 'waveDeployment-later-wave-fails', 'waveDeployment-approved-wave', 'waveDeployment-abort-mid-bake'];

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-wave-deployment'));

describe('waveDeployment replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(replay(name, WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the happy-path history fails against a changed workflow (bakes the canary before updating it)', async () => {
    await expect(replayChanged('waveDeployment-happy-path', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
