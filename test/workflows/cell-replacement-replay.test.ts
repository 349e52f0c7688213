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
import { APPROVAL_SIGNAL_PATCH } from '../../workflows/lib/procedure-run';
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
  // Recorded before the `approval` signal was handled: two such signals at the gate (ignored then), then the update.
  ['cellReplacement-approval-signal-before-handled', 'cell-recovery-cell-002'],
  ['provisionEmergencyCell-happy-path', 'cell-recovery-cell-001-emergency-cell-1'],
];

// Replaying the longest saved histories (a 3-hour watch) takes tens of seconds on a busy machine.
jest.setTimeout(300_000);

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

  test('the approval signal is patched: a history from before it was handled (no marker) and one after (marked) both replay', async () => {
    // Before: the signals were ignored; replayed without the patch marker, today's code ignores them too.
    // (Without the patch it would count bob's signal and open the gate a task early: a determinism violation.)
    const before = await load('cellReplacement-approval-signal-before-handled');
    const after = await load('cellReplacement-signal-approvals');
    expect(signalCount(before)).toBe(2);
    expect(patchMarkers(before)).toEqual([]);
    expect(signalCount(after)).toBe(2);
    expect(patchMarkers(after)).toEqual([APPROVAL_SIGNAL_PATCH]);
    await expect(replay(before, 'cell-recovery-cell-002')).resolves.toBeUndefined();
    await expect(replay(after, 'cell-recovery-cell-001')).resolves.toBeUndefined();
  });
});

interface JsonEvent {
  eventType?: string;
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> };
}

const eventsOf = (history: unknown): JsonEvent[] => (history as { events: JsonEvent[] }).events;
const signalCount = (history: unknown) => eventsOf(history).filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED').length;

/** The patch ids of a history's patch markers. */
function patchMarkers(history: unknown): string[] {
  return eventsOf(history)
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => JSON.parse(Buffer.from(m?.details?.['patch-data']?.payloads?.[0]?.data ?? '', 'base64').toString('utf8')) as { id: string })
    .map((d) => d.id);
}
