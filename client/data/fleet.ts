/**
 * The fleet as an operator needs it: each registry cell with its live Route 53 weight, its
 * alarms' states, its lifecycle state and the procedure running on it. Live values come through
 * a {@link FleetReader} (AWS, or the simulated fleet), procedures through the search attributes,
 * lifecycle states from the fleet guard (which also knows cells provisioned since the registry
 * file was written).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CellLifecycleRecord } from '../../domain/procedures/cell-lifecycle';
import type { Cell, Registry, WeightedRecord } from '../../domain/registry/schema';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { cellStatesQuery } from '../../workflows/messages';
import { listProcedures, type ProcedureRow } from './list';

/** Which weighted record: zone, name and type, told apart by set identifier. */
export type RecordRef = Pick<WeightedRecord, 'hostedZoneId' | 'recordName' | 'recordType' | 'setIdentifier'>;

export interface AlarmReading {
  name: string;
  /** `OK`, `ALARM`, `INSUFFICIENT_DATA`, or `MISSING` when CloudWatch does not know the alarm. */
  state: string;
}

/** Reads live values; see `createAwsFleetReader`. */
export interface FleetReader {
  /** Where the values come from, e.g. `AWS (eu-west-1)`. */
  readonly source: string;
  /** The current weight of each record, keyed by set identifier; records that do not exist are absent. */
  readWeights(records: RecordRef[]): Promise<Map<string, number>>;
  /** The state of each named alarm of `region` (CloudWatch alarms are regional). */
  readAlarms(names: string[], region: string): Promise<AlarmReading[]>;
}

export type CellHealthSummary = 'healthy' | 'alarm' | 'unknown';

export interface FleetCellView {
  cellId: string;
  region: string;
  priority: number;
  capacity: number;
  customers: number;
  /** The weight the registry gives it in service. */
  registryWeight: number;
  /** Its weight in Route 53 now; null when it could not be read (or the record is missing). */
  liveWeight: number | null;
  /** `alarm` when any of its alarms is in ALARM; `unknown` when they could not be read. */
  health: CellHealthSummary;
  alarms: AlarmReading[];
  /** The procedure running on it, if any. */
  procedure?: Pick<ProcedureRow, 'workflowId' | 'procedure' | 'step' | 'startTime'>;
  /** Its lifecycle state as the fleet guard keeps it (provisioning, ready, draining, …), if one was recorded. */
  lifecycle?: Pick<CellLifecycleRecord, 'state' | 'by' | 'since' | 'detail'>;
  /** False for a cell the fleet guard knows (provisioned) that the registry file does not list yet. */
  inRegistry: boolean;
}

export interface FleetView {
  fleet: string;
  region: string;
  /** Where live weights and alarms were read; undefined when no reader was available. */
  liveSource?: string;
  cells: FleetCellView[];
  /** Live reads that failed (the cells concerned show null / unknown). */
  problems: string[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The fleet view of `registry`. Without a `reader` (no way to reach the live fleet) weights and
 * health are shown unknown, and `problems` says why (`unavailable`).
 */
export async function getFleetView(client: Client, options: { registry: Registry; reader?: FleetReader; unavailable?: string; guardWorkflowId?: string }): Promise<FleetView> {
  const { registry, reader } = options;
  const problems: string[] = [];
  const running = await listProcedures(client, { status: 'Running' });
  const states = await readCellStates(client, options.guardWorkflowId).catch((err: unknown) => {
    problems.push(`lifecycle states from the fleet guard: ${message(err)}`);
    return [] as CellLifecycleRecord[];
  });
  const stateOf = new Map(states.map((r) => [r.cellId, r]));
  const listed = new Set(registry.cells.map((c) => c.id));
  const unlisted = states.filter((r): r is CellLifecycleRecord & { cell: Cell } => r.cell !== undefined && !listed.has(r.cellId) && r.state !== 'decommissioned');
  const cellsShown = [...registry.cells, ...unlisted.map((r) => r.cell)];
  const byCell = new Map(running.rows.filter((r) => r.cellId).map((r) => [r.cellId as string, r]));

  let weights = new Map<string, number>();
  const alarms = new Map<string, AlarmReading>();
  if (reader) {
    await reader.readWeights(cellsShown.map((c) => c.route53)).then(
      (read) => void (weights = read),
      (err: unknown) => problems.push(`Route 53 weights from ${reader.source}: ${message(err)}`),
    );
    for (const region of new Set(cellsShown.map((c) => c.region))) {
      const names = cellsShown.filter((c) => c.region === region).flatMap((c) => c.alarms);
      if (names.length === 0) continue;
      await reader.readAlarms(names, region).then(
        (read) => read.forEach((a) => alarms.set(a.name, a)),
        (err: unknown) => problems.push(`CloudWatch alarms in ${region} from ${reader.source}: ${message(err)}`),
      );
    }
  } else {
    problems.push(options.unavailable ?? 'live weights and alarms unavailable');
  }

  const cells = cellsShown.map((cell): FleetCellView => {
    const cellAlarms = cell.alarms.map((name) => alarms.get(name)).filter((a): a is AlarmReading => a !== undefined);
    const known = cellAlarms.length === cell.alarms.length && cellAlarms.every((a) => a.state === 'OK' || a.state === 'ALARM');
    const health: CellHealthSummary = cellAlarms.some((a) => a.state === 'ALARM') ? 'alarm' : known ? 'healthy' : 'unknown';
    const row = byCell.get(cell.id);
    return {
      cellId: cell.id,
      region: cell.region,
      priority: cell.priority,
      capacity: cell.capacity,
      customers: cell.customers,
      registryWeight: cell.route53.weight,
      liveWeight: weights.get(cell.route53.setIdentifier) ?? null,
      health,
      alarms: cellAlarms,
      ...(row ? { procedure: { workflowId: row.workflowId, procedure: row.procedure, step: row.step, startTime: row.startTime } } : {}),
      ...lifecycleOf(stateOf.get(cell.id)),
      inRegistry: listed.has(cell.id),
    };
  });
  return { fleet: registry.fleet.name, region: registry.fleet.region, liveSource: reader?.source, cells, problems };
}

function lifecycleOf(record: CellLifecycleRecord | undefined): Pick<FleetCellView, 'lifecycle'> {
  if (!record) return {};
  return { lifecycle: { state: record.state, by: record.by, since: record.since, ...(record.detail ? { detail: record.detail } : {}) } };
}

/** The lifecycle states the fleet guard keeps; none before the guard has started. */
async function readCellStates(client: Client, workflowId = FLEET_GUARD_WORKFLOW_ID): Promise<CellLifecycleRecord[]> {
  try {
    return await client.connection.withDeadline(Date.now() + 3_000, () => client.workflow.getHandle(workflowId).query(cellStatesQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}
