import { ApplicationFailure, continueAsNew, executeChild, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CellProvisioningReport } from '../domain/procedures/cell-lifecycle';
import { FLEET_ID } from '../domain/procedures/cascade-recovery';
import {
  MAX_DECISIONS,
  capacityWatchOptions,
  decideActions,
  describeAction,
  locksOf,
  nextCellId,
  utilizationOf,
  watchedCells,
  weightsAfterMove,
  type CapacityAction,
  type CapacityDecision,
  type CapacityWatchCarried,
  type CapacityWatchInput,
  type CapacityWatchStatus,
  type CellReading,
  type WatchedCell,
} from '../domain/procedures/capacity-watch';
import { newCell } from '../domain/procedures/replacement';
import { buildReport, type ProcedureReport } from '../domain/procedures/report';
import { awsTarget } from '../domain/registry/lookup';
import type { Cell, Registry } from '../domain/registry/schema';
import { CellIdAttribute, ProcedureAttribute } from '../domain/search-attributes';
import { recoveryWorkflowId } from '../domain/workflow-ids';
import type { cellProvisioning } from './cell-provisioning';
import { approvalGate } from './lib/approval';
import { deployStackAndWait } from './lib/cell-lifecycle';
import { stepToken, type ProcedureContext } from './lib/context';
import { failureMessage, failureType } from './lib/failures';
import { ABORTED, ProcedureRun } from './lib/procedure-run';
import { aws, dataHooks, route53Sync } from './lib/proxies';
import { capacityWatchQuery } from './messages';

/** What the watch returns when an operator stops it (it never ends on its own). */
export interface CapacityWatchReport extends ProcedureReport {
  watch: CapacityWatchStatus;
}

/**
 * The capacity watch: one long-lived workflow per fleet (`capacity-watch-<fleet>`). Every
 * interval it reads each cell's utilisation (requests per second against its capacity, CPU,
 * memory; its customers as last known) and, for cells above the threshold, takes the options in
 * order: scale the cell up (its stack's size parameter), move a share of its customers to the
 * cell with the most room (their weights following), or provision a new cell (a
 * `cellProvisioning` child under the new cell's id, after the `emergency-capacity` approval).
 * Actions run beside the checks, never two for one cell at once and one new cell at a time.
 * Every decision is in the `capacityWatch` query and the Web UI's current details; `pause` holds
 * the checks, `abort` stops it once the running actions end. It continues as new every
 * `checksPerRun` checks, carrying the cells as it left them, its last decisions and a pause.
 */
export async function capacityWatch(input: CapacityWatchInput): Promise<CapacityWatchReport> {
  const { registry } = input;
  const options = capacityWatchOptions(input.options);
  const carried: CapacityWatchCarried = input.carried ?? { checks: 0, cells: watchedCells(registry, options.scaling.parameter), decisions: [], provisioned: [] };
  const cells: WatchedCell[] = carried.cells.map((c) => ({ ...c }));
  const decisions: CapacityDecision[] = [...carried.decisions];
  const provisioned = [...carried.provisioned];
  let checks = carried.checks;
  let readings: CellReading[] = [];
  let lastCheckAt: string | undefined;
  const inFlight = new Map<string, CapacityAction>();
  const busy = new Set<string>();
  const running: Promise<void>[] = [];

  const status = (): CapacityWatchStatus => ({
    fleet: registry.fleet.name,
    state: ['completed', 'failed', 'aborted'].includes(run.progress.state) ? 'stopped' : run.progress.state === 'paused' ? 'paused' : 'watching',
    checks,
    ...(lastCheckAt ? { lastCheckAt } : {}),
    readings,
    inFlight: [...inFlight.values()],
    cells: cells.map(({ cell, scalePercent }) => ({ cellId: cell.id, capacityRps: cell.capacity, scalePercent, customers: cell.customers, weight: cell.route53.weight })),
    decisions,
    options,
  });
  const run: ProcedureRun = new ProcedureRun({
    procedure: 'capacityWatch',
    cellId: FLEET_ID,
    requestedBy: input.requestedBy,
    fourEyes: registry.policies.approvals.fourEyes,
    details: () => detailLines(status()),
  });
  setHandler(capacityWatchQuery, status);
  // An operator's pause outlives continue-as-new.
  if (carried.paused) run.holdPaused();

  const decide = (entry: Omit<CapacityDecision, 'at' | 'check'>): void => {
    decisions.push({ at: new Date().toISOString(), check: checks, ...entry });
    if (decisions.length > MAX_DECISIONS) decisions.splice(0, decisions.length - MAX_DECISIONS);
    run.publishDetails();
  };
  const fleetRegistry = (): Registry => ({ ...registry, cells: cells.map((c) => c.cell) });
  const contextOf = (cell: Cell): ProcedureContext => ({ run, registry: fleetRegistry(), cell, workflowId: workflowIdOf(), traffic: { inServiceWeight: cell.route53.weight, currentWeight: cell.route53.weight } });

  /** Runs one action beside the checks; its end (done, failed, declined) is a decision too. */
  const start = (action: CapacityAction, reading: CellReading): void => {
    for (const lock of locksOf(action)) busy.add(lock);
    inFlight.set(action.cellId, action);
    decide({ cellId: action.cellId, utilizationPercent: reading.utilizationPercent, action, outcome: 'started', detail: describeAction(action) });
    const check = checks;
    running.push(
      perform(action, check)
        .then((detail) => decide({ cellId: action.cellId, utilizationPercent: reading.utilizationPercent, action, outcome: detail.declined ? 'declined' : 'done', detail: detail.text }))
        .catch((err: unknown) => decide({ cellId: action.cellId, utilizationPercent: reading.utilizationPercent, action, outcome: 'failed', detail: failureMessage(err) }))
        .finally(() => {
          for (const lock of locksOf(action)) busy.delete(lock);
          inFlight.delete(action.cellId);
          run.publishDetails();
        }),
    );
  };

  const perform = async (action: CapacityAction, check: number): Promise<{ text: string; declined?: boolean }> => {
    const watched = cells.find((c) => c.cell.id === action.cellId);
    if (watched === undefined) throw ApplicationFailure.nonRetryable(`${action.cellId} is not a cell the watch knows`);
    switch (action.kind) {
      case 'scale-up': {
        const { parameter } = options.scaling;
        const scaled: Cell = {
          ...watched.cell,
          capacity: (watched.baseCapacityRps * action.toPercent) / 100,
          stack: { ...watched.cell.stack, parameters: { ...watched.cell.stack.parameters, [parameter]: String(action.toPercent) } },
        };
        await run.step(`scale-up-${action.cellId}-${check}`, () => deployStackAndWait(scaled, `watch-${check}-scale-${action.cellId}`, { 'cellops:changed-by': workflowIdOf() }));
        Object.assign(watched, { cell: scaled, scalePercent: action.toPercent });
        return { text: `${action.cellId} scaled to ${action.toPercent}% (${scaled.capacity} rps)` };
      }
      case 'move-customers': {
        const to = cells.find((c) => c.cell.id === action.toCellId);
        if (to === undefined) throw ApplicationFailure.nonRetryable(`${action.toCellId} is not a cell the watch knows`);
        const moved = await run.step(`move-customers-${action.cellId}-${check}`, async () => {
          const migrated = await dataHooks.migrateCustomers({ requestToken: stepToken(`watch-${check}-move-${action.cellId}`), fromCellId: action.cellId, toCellId: action.toCellId, customers: action.customers });
          const weights = weightsAfterMove(watched.cell, to.cell, migrated.migratedCustomers);
          const submitted = await aws.setCellWeights({
            requestToken: stepToken(`watch-${check}-weights-${action.cellId}`),
            changes: [
              { record: watched.cell.route53, weight: weights.from },
              { record: to.cell.route53, weight: weights.to },
            ],
          });
          await route53Sync.waitForChangesInSync({ requestToken: stepToken(`watch-${check}-weights-${action.cellId}-sync`), changeIds: submitted.changes.map((c) => c.changeId) });
          return { customers: migrated.migratedCustomers, weights };
        });
        watched.cell = { ...watched.cell, customers: watched.cell.customers - moved.customers, route53: { ...watched.cell.route53, weight: moved.weights.from } };
        to.cell = { ...to.cell, customers: to.cell.customers + moved.customers, route53: { ...to.cell.route53, weight: moved.weights.to } };
        return { text: `${moved.customers} customers moved from ${action.cellId} to ${action.toCellId}; weights ${moved.weights.from} and ${moved.weights.to}` };
      }
      case 'provision-cell': {
        const ctx = contextOf(watched.cell);
        const gate = await run.step(`approve-provision-${action.newCellId}`, () =>
          approvalGate(ctx, 'emergency-capacity', `provision ${action.newCellId}: ${action.cellId} runs hot and can neither grow nor hand customers to a cell with room`),
        );
        if (!gate.proceed) {
          const why = gate.kind === 'rejected' ? `rejected by ${gate.decision.approver}: ${gate.decision.reason}` : 'nobody approved in time';
          return { text: `${action.newCellId} not provisioned (${why})`, declined: true };
        }
        const fleet = fleetRegistry();
        const result = await run.step(`provision-${action.newCellId}`, () =>
          executeChild<typeof cellProvisioning>('cellProvisioning', {
            workflowId: recoveryWorkflowId(action.newCellId),
            args: [{ cellId: action.newCellId, reason: `capacity watch: ${action.cellId} runs hot`, requestedBy: input.requestedBy, registry: fleet, requestedByWatch: workflowIdOf() }],
            typedSearchAttributes: [
              { key: CellIdAttribute, value: action.newCellId },
              { key: ProcedureAttribute, value: 'cellProvisioning' },
            ],
          }),
        );
        const priority = Math.max(0, ...fleet.cells.map((c) => c.priority + 1));
        const cell = newCell(fleet, action.newCellId, priority);
        cells.push({ cell: { ...cell, route53: { ...cell.route53, weight: result.provisioning.weight } }, baseCapacityRps: cell.capacity, scalePercent: 100 });
        return { text: describeProvisioned(result) };
      }
    }
  };

  try {
    for (let i = 0; i < options.checksPerRun; i++) {
      await run.pace(options.intervalSeconds * 1000);
      // Counted once read: a paused watch holds the step, and its count says what it did.
      const check = checks + 1;
      readings = await run.step(`check-${check}`, () => readUtilization(cells, options.intervalSeconds, check));
      checks = check;
      lastCheckAt = new Date().toISOString();
      const { actions, skipped } = decideActions(readings, cells, busy, options, () => nextCellId([...cells.map((c) => c.cell.id), ...provisioned]));
      for (const s of skipped) decide({ cellId: s.cellId, utilizationPercent: readings.find((r) => r.cellId === s.cellId)?.utilizationPercent ?? null, outcome: 'skipped', detail: s.why });
      for (const action of actions) {
        if (action.kind === 'provision-cell') provisioned.push(action.newCellId);
        start(action, readings.find((r) => r.cellId === action.cellId) as CellReading);
      }
      run.publishDetails();
    }
    // The history stays bounded: once the actions running are done, carry on as a new run
    // (unless an abort came while they ran).
    await Promise.all(running);
    run.throwIfAborted();
  } catch (err) {
    if (failureType(err) !== ABORTED) throw err;
    // An abort: let the actions running end (each is a step the abort stops at its next boundary), then stop.
    await Promise.all(running);
    run.finish('aborted', failureMessage(err));
    return {
      ...buildReport(run.progress, { workflowId: workflowIdOf(), reason: input.reason ?? 'capacity watch', outcome: 'aborted', cellEndState: 'in-service', endedAt: new Date().toISOString(), customersAffected: 0 }),
      watch: status(),
    };
  }
  return await continueAsNew<typeof capacityWatch>({ ...input, carried: { checks, cells, decisions, provisioned: [...new Set(provisioned)], ...(run.paused ? { paused: true } : {}) } });
}

const workflowIdOf = (): string => workflowInfo().workflowId;

/** Each cell's utilisation over the last interval, with its customers as the watch knows them. */
async function readUtilization(cells: WatchedCell[], windowSeconds: number, check: number): Promise<CellReading[]> {
  const read = await aws.getCellUtilization({
    requestToken: stepToken(`watch-${check}-read`),
    cells: cells.map(({ cell }) => ({ cellId: cell.id, target: awsTarget(cell), metrics: cell.metrics, capacityRps: cell.capacity })),
    windowSeconds,
    endTime: new Date().toISOString(),
  });
  return read.cells.map((u) => ({ ...u, customers: cells.find((c) => c.cell.id === u.cellId)?.cell.customers ?? 0, utilizationPercent: utilizationOf(u) }));
}

function describeProvisioned(report: CellProvisioningReport): string {
  return `${report.provisioning.cellId} provisioned and ready at weight ${report.provisioning.weight}`;
}

/** The Web UI's lines about the watch. */
function detailLines(s: CapacityWatchStatus): string[] {
  const hot = s.readings.filter((r) => r.utilizationPercent !== null && r.utilizationPercent > s.options.thresholdPercent);
  const last = s.decisions[s.decisions.length - 1];
  return [
    `Checks: ${s.checks}${s.lastCheckAt ? ` (last at ${s.lastCheckAt})` : ''}; every ${s.options.intervalSeconds} s, hot above ${s.options.thresholdPercent}%`,
    `Utilisation: ${s.readings.map((r) => `${r.cellId} ${r.utilizationPercent ?? '?'}%`).join(', ') || 'not read yet'}${hot.length ? ` (hot: ${hot.map((r) => r.cellId).join(', ')})` : ''}`,
    `In flight: ${s.inFlight.map(describeAction).join('; ') || 'nothing'}`,
    last ? `Last decision: ${last.cellId} ${last.outcome}: ${last.detail}` : 'No decision yet',
  ];
}
