/**
 * Saved recovery drill histories (recorded on the dev server by drill.test.ts with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed drill fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

const WORKFLOW_ID = 'drill-replay';
const HISTORIES = ['recoveryDrill-blocking-alarm', 'recoveryDrill-outcome-alarm-abort', 'recoveryDrill-freeze'];

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-recovery-drill'));

describe('recoveryDrill replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(replay(name, WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the blocking-alarm history fails against a changed drill (starts the procedure before reading the alarms)', async () => {
    await expect(replayChanged('recoveryDrill-blocking-alarm', WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
