/**
 * What the cell replacement tests share: starting a replacement on a test fleet, waiting (with
 * time skipped) for its approval gates, answering them, and reading what it did to the fleet.
 */
import { HISTORIES_DIR } from '../helpers/replay';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startProcedure } from '../../client/start-procedure';
import type { ApprovalOutcome } from '../../domain/procedures/messages-types';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import type { CellReplacementInput } from '../../domain/procedures/replacement';
import type { RecordedCall } from '../../simulator';
import { approveUpdate, progressQuery } from '../../workflows/messages';
import type { TestFleet } from '../helpers/procedures-environment';

/** The operator approving (alice, the requester, may not under the four-eyes policy). */
export const APPROVER = 'bob@example.com';

/** Starts `cellReplacement` on `cellId` the way every entry point does (business-key id, search attributes). */
export async function startReplacement(env: TestWorkflowEnvironment, fleet: TestFleet, cellId: string, extra: Partial<CellReplacementInput> = {}): Promise<WorkflowHandle> {
  const input: CellReplacementInput = { ...fleet.input(cellId), ...extra };
  return await startProcedure(env.client, { procedure: 'cellReplacement', input });
}

/**
 * Skips time a minute at a time until the procedure waits for approval of `step` (or `until`
 * holds), and returns its progress then. Fails after `maxMinutes` of workflow time.
 */
export async function skipUntil(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  until: (progress: ProcedureProgress) => boolean,
  maxMinutes = 40,
): Promise<ProcedureProgress> {
  for (let minute = 0; minute <= maxMinutes; minute++) {
    const progress = await handle.query(progressQuery);
    if (until(progress)) return progress;
    if (['completed', 'failed', 'aborted'].includes(progress.state)) break;
    await env.sleep(60_000);
  }
  const last = await handle.query(progressQuery);
  throw new Error(`the awaited state did not come within ${maxMinutes} minutes; progress: ${JSON.stringify(last)}`);
}

export const awaitingApproval = (step: string) => (progress: ProcedureProgress) => progress.pendingApproval?.step === step;

/** Answers the pending approval of `step`. */
export async function decide(handle: WorkflowHandle, step: string, approved: boolean, approver = APPROVER, reason = approved ? 'replacement checked' : 'keep it for the post-mortem'): Promise<ApprovalOutcome> {
  return await handle.executeUpdate(approveUpdate, { args: [{ step, approved, approver, reason }] });
}

const POLLS = new Set(['DescribeStacks', 'DescribeStackEvents', 'GetChange', 'ListResourceRecordSets', 'GetMetricData', 'DescribeAlarms']);

/**
 * Every call in order, as `service:command target` for the calls that change something, with
 * each run of reads between them collapsed to one `reads: <commands>` entry (the distinct read
 * commands in the order they first came): how often a wait polls depends on timing, what is
 * read and changed, and in which order, must not.
 */
export function changeSequence(calls: RecordedCall[]): string[] {
  const out: string[] = [];
  let reads: string[] | undefined;
  for (const call of calls) {
    if (POLLS.has(call.command)) {
      if (reads === undefined) {
        reads = [];
        out.push('');
      }
      if (!reads.includes(call.command)) reads.push(call.command);
      out[out.length - 1] = `reads: ${reads.join(',')}`;
      continue;
    }
    reads = undefined;
    out.push(`${call.service}:${call.command} ${target(call)}`);
  }
  return out;
}

function target(call: RecordedCall): string {
  const input = call.input as Record<string, unknown>;
  if (typeof input.StackName === 'string') return input.StackName;
  if (call.command === 'ChangeResourceRecordSets') {
    const changes = ((input.ChangeBatch as { Changes?: { Action: string; ResourceRecordSet: { SetIdentifier?: string; Weight?: number } }[] }).Changes ?? []);
    return changes.map((c) => `${c.Action} ${c.ResourceRecordSet.SetIdentifier ?? ''}=${c.ResourceRecordSet.Weight ?? ''}`).join(',');
  }
  if (typeof input.AlarmName === 'string') return input.AlarmName;
  if (call.command === 'PutMetricData') return 'event';
  if (typeof input.cellId === 'string') return input.cellId;
  if (typeof input.fromCellId === 'string') return `${input.fromCellId}->${String(input.toCellId)}`;
  if (typeof input.severity === 'string') return String(input.severity);
  return '';
}

/** Where saved histories live, for the replay tests. */
export { HISTORIES_DIR };

/**
 * With `CELLOPS_SAVE_HISTORIES=1`, saves the run's history as `test/histories/<name>.json` (how
 * the replay tests' histories are refreshed after a deliberate, patched change).
 */
export async function saveHistoryIfAsked(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.CELLOPS_SAVE_HISTORIES !== '1') return;
  await writeFile(path.join(HISTORIES_DIR, `${name}.json`), historyToJSON(await handle.fetchHistory()) + '\n');
}
