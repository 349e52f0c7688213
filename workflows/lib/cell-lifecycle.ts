/**
 * Building and removing cells: a new cell's stack, its place in routing, and taking a cell's
 * stack and record away. Each helper is one runbook step's side effects, tokens from the step.
 */
import { awsTarget } from '../../domain/registry/lookup';
import type { Cell, WeightedRecord } from '../../domain/registry/schema';
import { aws, route53Sync, stackWait } from './proxies';
import { stepToken } from './context';

/** Creates (or finds already created) the cell's stack and waits until it is stable; returns its status. */
export async function deployStackAndWait(cell: Cell, step: string, tags: Record<string, string>): Promise<string> {
  const target = awsTarget(cell);
  await aws.deployCellStack({ requestToken: stepToken(step), target, stack: cell.stack, tags });
  const done = await stackWait.waitForStack({ requestToken: stepToken(`${step}-wait`), target, stackName: cell.stack.name, until: 'stable' });
  return done.status;
}

/** Deletes the cell's stack and waits until it is gone; a stack already gone is fine. */
export async function deleteStackAndWait(cell: Pick<Cell, 'stack' | 'region' | 'roleArn'>, step: string): Promise<void> {
  const target = awsTarget(cell);
  const stackName = cell.stack.name;
  const deleted = await aws.deleteCellStack({ requestToken: stepToken(step), target, stackName });
  if (deleted.noOp) return;
  await stackWait.waitForStack({ requestToken: stepToken(`${step}-wait`), target, stackName, until: 'deleted' });
}

/** Writes the record at `weight` (creating it if new) and waits until Route 53 is in sync. */
export async function setRecordWeight(record: WeightedRecord, weight: number, step: string): Promise<void> {
  const submitted = await aws.setCellWeights({ requestToken: stepToken(step), changes: [{ record, weight }] });
  await route53Sync.waitForChangesInSync({ requestToken: stepToken(`${step}-sync`), changeIds: submitted.changes.map((c) => c.changeId) });
}

/** Deletes the records from their weighted groups and waits until in sync; records already gone are fine. */
export async function removeRecords(records: WeightedRecord[], step: string): Promise<void> {
  const removed = await aws.removeCellRecords({ requestToken: stepToken(step), records });
  if (removed.changes.length === 0) return;
  await route53Sync.waitForChangesInSync({ requestToken: stepToken(`${step}-sync`), changeIds: removed.changes.map((c) => c.changeId) });
}
