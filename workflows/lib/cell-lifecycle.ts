/**
 * Building and removing cells: a new cell's stack, its monitoring (alarms and dashboard), its
 * place in routing, its lifecycle state, and taking them away again. Each helper is one runbook
 * step's side effects, tokens from the step. Used by cell replacement, emergency cells, cell
 * provisioning, decommissioning and the capacity watch.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { PostRecoveryAlarm } from '../../activities';
import { DEFAULT_UTILIZATION_THRESHOLD_PERCENT, cellMonitoringNames, type CellLifecycleState, type CellMonitoringNames } from '../../domain/procedures/cell-lifecycle';
import { awsTarget } from '../../domain/registry/lookup';
import type { Cell, Policies, Registry, WeightedRecord } from '../../domain/registry/schema';
import { aws, guard, route53Sync, stackWait } from './proxies';
import { stepToken } from './context';

/**
 * Creates (or finds already created) the cell's stack, or updates it to `cell.stack`'s
 * parameters, and waits until it is stable; returns its status. `waitStep` names the wait's
 * token (default `<step>-wait`).
 */
export async function deployStackAndWait(cell: Cell, step: string, tags: Record<string, string>, waitStep = `${step}-wait`): Promise<string> {
  const target = awsTarget(cell);
  await aws.deployCellStack({ requestToken: stepToken(step), target, stack: cell.stack, tags });
  const done = await stackWait.waitForStack({ requestToken: stepToken(waitStep), target, stackName: cell.stack.name, until: 'stable' });
  return done.status;
}

/** Deletes the cell's stack and waits until it is gone; a stack already gone is fine. `waitStep` as in {@link deployStackAndWait}. */
export async function deleteStackAndWait(cell: Pick<Cell, 'stack' | 'region' | 'roleArn'>, step: string, waitStep = `${step}-wait`): Promise<void> {
  const target = awsTarget(cell);
  const stackName = cell.stack.name;
  const deleted = await aws.deleteCellStack({ requestToken: stepToken(step), target, stackName });
  if (deleted.noOp) return;
  await stackWait.waitForStack({ requestToken: stepToken(waitStep), target, stackName, until: 'deleted' });
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

/** The cell's own alarms: at the health policy's thresholds, and its capacity alarm at `utilizationThresholdPercent`. */
export function cellMonitoringAlarms(cell: Cell, health: Policies['health'], utilizationThresholdPercent = DEFAULT_UTILIZATION_THRESHOLD_PERCENT): PostRecoveryAlarm[] {
  const { id, metrics } = cell;
  const [errorRate, latency, availability, utilization] = cellMonitoringNames(id).alarms;
  return [
    { alarmName: errorRate, metrics, signal: 'errorRatePercent', threshold: health.maxErrorRatePercent },
    { alarmName: latency, metrics, signal: 'latencyP99Ms', threshold: health.maxLatencyP99Ms },
    { alarmName: availability, metrics, signal: 'availabilityPercent', threshold: health.minAvailabilityPercent },
    // Sustained load, not a spike: five one-minute periods over the threshold.
    { alarmName: utilization, metrics, signal: 'utilizationPercent', threshold: utilizationThresholdPercent, capacityRps: cell.capacity, evaluationPeriods: 5 },
  ];
}

/** Puts the cell's alarms and its dashboard; returns their names. */
export async function setUpMonitoring(cell: Cell, registry: Registry, step: string): Promise<CellMonitoringNames> {
  const target = awsTarget(cell);
  const names = cellMonitoringNames(cell.id);
  const alarms = cellMonitoringAlarms(cell, registry.policies.health);
  await aws.putCellAlarms({ requestToken: stepToken(`${step}-alarms`), target, cellId: cell.id, alarms });
  await aws.putCellDashboard({ requestToken: stepToken(`${step}-dashboard`), target, cellId: cell.id, dashboardName: names.dashboard, metrics: cell.metrics, capacityRps: cell.capacity });
  return names;
}

/** Deletes the cell's alarms and its dashboard; those already gone are fine. */
export async function removeMonitoring(cell: Cell, step: string): Promise<void> {
  const names = cellMonitoringNames(cell.id);
  await aws.deleteCellMonitoring({ requestToken: stepToken(step), target: awsTarget(cell), alarmNames: names.alarms, dashboardNames: [names.dashboard] });
}

/** Records the cell's lifecycle state with the fleet guard, where other procedures and `cellops fleet` read it. */
export async function recordCellState(cellId: string, state: CellLifecycleState, step: string, extra: { cell?: Cell; detail?: string } = {}): Promise<void> {
  const by = workflowInfo().workflowId;
  await guard.recordCellState({ requestToken: stepToken(step), record: { cellId, state, by, since: new Date().toISOString(), ...extra } });
}
