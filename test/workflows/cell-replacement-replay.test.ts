/**
 * Saved cell replacement histories (recorded on the dev server by the other replacement tests
 * with `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a history
 * that no longer matches the code fails the replay with a determinism violation.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleCellopsWorkflows } from '../helpers/procedures-environment';
import { HISTORIES_DIR } from './cell-replacement.helpers';

/** Each saved history and the workflow id it ran under (child ids derive from it). */
const HISTORIES: [name: string, workflowId: string][] = [
  ['cellReplacement-happy-path', 'cell-recovery-cell-002'],
  ['cellReplacement-abort-mid-reroute', 'cell-recovery-cell-002'],
  ['cellReplacement-replacement-stack-fails', 'cell-recovery-cell-002'],
  ['cellReplacement-restore-from-backup', 'cell-recovery-cell-003'],
  ['cellReplacement-emergency-capacity', 'cell-recovery-cell-001'],
  // Both gates approved by the `approval` signal.
  ['cellReplacement-signal-approvals', 'cell-recovery-cell-001'],
  ['provisionEmergencyCell-happy-path', 'cell-recovery-cell-001-emergency-cell-1'],
];

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another test file in this process installed it already.
  }
  bundle = await bundleCellopsWorkflows();
}, 120_000);

async function load(name: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'));
}

const replay = (history: unknown, workflowId: string) => Worker.runReplayHistory({ workflowBundle: bundle }, historyFromJSON(history), workflowId);

describe('cellReplacement replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name, workflowId) => {
    await expect(replay(await load(name), workflowId)).resolves.toBeUndefined();
  });

  test('a history whose first activity is not what the code schedules fails with a determinism violation', async () => {
    // GIVEN the happy path, edited as if the code had once asked for another activity first
    const history = (await load('cellReplacement-happy-path')) as { events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[] };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
    expect(scheduled?.activityType?.name).toBe('requestDrainPermit');
    scheduled!.activityType!.name = 'readCellWeights';

    // WHEN it is replayed, THEN the worker refuses it
    await expect(replay(history, 'cell-recovery-cell-002')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
