/**
 * Saved cell restart, stability watch and fleet guard histories (recorded on the dev server by
 * their tests with `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { useReplayBundles } from '../helpers/replay';

/** Each saved history and the workflow id it ran under. */
const HISTORIES: [name: string, workflowId: string][] = [
  ['cellRestart-happy-path', 'cell-recovery-cell-002'],
  ['cellRestart-traffic-stuck', 'cell-recovery-cell-002'],
  ['cellRestart-abort-mid-drain', 'cell-recovery-cell-002'],
  ['cellRestart-escalated', 'cell-recovery-cell-002'],
  // A quiet cell drained on INSYNC alone (the drain-quiet-cell-on-insync patch's marker in it).
  ['cellRestart-quiet-cell', 'cell-recovery-cell-002'],
  // Approved by the `approval` signal after signals that did not count (notified: the patched branch).
  ['cellRestart-signal-approval', 'cell-recovery-cell-002'],
  // The helpers of every procedure: a long watch's child at its continue-as-new, the guard's permits.
  ['stabilityWatch-continued', 'cell-recovery-cell-002-stability-watch'],
  ['fleetGuard-permits', 'cellops-fleet-guard'],
];

// Replaying the longest saved histories (a 3-hour watch) takes tens of seconds on a busy machine.
jest.setTimeout(300_000);

const { replay, replayChanged } = useReplayBundles(require.resolve('./fixtures/changed-cell-restart'));

describe('cellRestart replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name, workflowId) => {
    await expect(replay(name, workflowId)).resolves.toBeUndefined();
  });

  test('the same happy-path history fails against a changed workflow (steps 1 and 2 swapped)', async () => {
    await expect(replayChanged('cellRestart-happy-path', 'cell-recovery-cell-002')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
