/**
 * What the gateway does with a verified alarm, whatever its source: find the cell, classify the
 * incident, ask the decision matrix, check the cooldowns, start the procedure through
 * `startProcedure` (one recovery per cell), and say what happened. Alarms that started
 * procedures on other cells within the correlation window make the incident one of several
 * cells, which the matrix sends to cascade recovery (one per fleet; while it runs, cell alarms
 * start nothing else).
 */
import type { Client } from '@temporalio/client';
import { decideRecovery, type RecoveryDecision } from '../../domain/decision-matrix';
import { classifyAlarm, UnknownAlarmError, type AlarmNotification, type Incident } from '../../domain/incidents';
import type { Registry } from '../../domain/registry/schema';
import { UnknownCellError } from '../../domain/registry/lookup';
import { ROUTER_ID } from '../../domain/procedures/router-failover';
import { cascadeRecoveryWorkflowId, recoveryWorkflowId, routerRecoveryWorkflowId } from '../../domain/workflow-ids';
import { AlreadyInRecoveryError, startCascadeRecovery, startProcedure, startRouterFailover } from '../start-procedure';
import { TASK_QUEUE } from '../../domain/task-queues';
import { GatewayError, type GatewayAnswer } from './answers';
import { alarmStartsInLastHour, correlatedCells, fleetBudget, latestRecovery, perCellCooldown, type AlarmStartMemo } from './cooldowns';

/** Who the procedures started by the gateway say asked for them (four-eyes compares approvers with it). */
export const GATEWAY_REQUESTER = 'alarm-gateway';

export interface AlarmPipelineDeps {
  client: Client;
  namespace: string;
  registry: Registry;
  /** The Temporal Web UI, for the link in a `started` answer. */
  webUiBaseUrl: string;
  clock: () => Date;
  taskQueue?: string;
  /** Default {@link startProcedure}. */
  startProcedure: typeof startProcedure;
  /** Default {@link startRouterFailover}. */
  startRouterFailover: typeof startRouterFailover;
}

/** What the request log line records about the alarm. */
export interface AlarmLogFields {
  alarm: string;
  cell?: string;
  decision?: string;
  workflowId?: string;
  incident?: Pick<Incident, 'failureType' | 'impact' | 'dataIntegrity' | 'scope' | 'severity'>;
}

/** The Web UI page of a run. */
export function webUiLink(baseUrl: string, namespace: string, workflowId: string, runId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/**
 * Within one gateway: serialises the fleet-budget check and the start, so concurrent alarms for
 * different cells cannot all pass a budget with one place left; and lets concurrent alarms for one
 * cell share one decision (a storm costs one start attempt, the rest wait for its answer). Across
 * replicas, the business id and the Temporal-kept cooldowns are what holds.
 */
export class StartGate {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Map<string, Promise<GatewayAnswer>>();

  /** Runs `fn` after every earlier `serial` call has settled. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Runs `decide` for `cellId` unless a decision for it is under way, in which case that one's answer is shared. */
  async once(cellId: string, decide: () => Promise<GatewayAnswer>): Promise<{ answer: GatewayAnswer; shared: boolean }> {
    const pending = this.inFlight.get(cellId);
    if (pending) return { answer: await pending, shared: true };
    const decision = decide().finally(() => this.inFlight.delete(cellId));
    this.inFlight.set(cellId, decision);
    return { answer: await decision, shared: false };
  }
}

/**
 * Answers one alarm.
 * @throws GatewayError (422) for an alarm of no cell in the registry.
 */
export async function answerAlarm(
  deps: AlarmPipelineDeps,
  gate: StartGate,
  alarm: AlarmNotification,
  source: string,
  log: AlarmLogFields,
): Promise<GatewayAnswer> {
  let incident: Incident;
  try {
    incident = classifyAlarm(deps.registry, alarm);
  } catch (err) {
    if (err instanceof UnknownAlarmError) throw new GatewayError(422, 'unknown-alarm', err.message);
    throw err;
  }
  const { cellId } = incident;
  log.cell = cellId;
  log.incident = { failureType: incident.failureType, impact: incident.impact, dataIntegrity: incident.dataIntegrity, scope: incident.scope, severity: incident.severity };

  if (alarm.newState !== 'ALARM') {
    log.decision = 'ignored';
    return { outcome: 'not-actionable', cellId, why: `state changed to ${alarm.newState}: only ALARM transitions start anything` };
  }
  const decision = decideRecovery(incident);
  log.decision = decision.action === 'start' ? decision.procedure : 'manual';
  if (decision.action === 'manual') return { outcome: 'not-actionable', cellId, severity: incident.severity, why: decision.why };

  const { answer, shared } = await gate.once(cellId, () => startUnlessCoolingDown(deps, gate, alarm, source, incident, decision));
  // Another alarm for the cell was being decided: its start is this alarm's running recovery.
  const result: GatewayAnswer = shared && answer.outcome === 'started' ? { outcome: 'already-running', cellId, workflowId: answer.workflowId, procedure: answer.procedure } : answer;
  if ('workflowId' in result) log.workflowId = result.workflowId;
  if ((result.outcome === 'started' || result.outcome === 'already-running') && result.procedure) log.decision = result.procedure;
  if (answer.outcome === 'started' && answer.affectedCells) {
    log.incident = { ...log.incident, ...rescoped(deps.registry, alarm, answer.affectedCells) };
  } else if (answer.outcome === 'not-actionable' && answer.affectedCells) {
    log.decision = 'manual';
    log.incident = { ...log.incident, ...rescoped(deps.registry, alarm, answer.affectedCells) };
  }
  return result;
}

/** The incident of `alarm` with `affectedCells` (its own cell first) in it: scope and severity. */
function rescoped(registry: Registry, alarm: AlarmNotification, affectedCells: readonly string[]): Pick<Incident, 'failureType' | 'impact' | 'dataIntegrity' | 'scope' | 'severity'> {
  const { failureType, impact, dataIntegrity, scope, severity } = classifyAlarm(registry, alarm, { otherAffectedCells: affectedCells.slice(1) });
  return { failureType, impact, dataIntegrity, scope, severity };
}

async function startUnlessCoolingDown(
  deps: AlarmPipelineDeps,
  gate: StartGate,
  alarm: AlarmNotification,
  source: string,
  singleCellIncident: Incident,
  singleCellDecision: Extract<RecoveryDecision, { action: 'start' }>,
): Promise<GatewayAnswer> {
  const { cellId } = singleCellIncident;
  const isCell = cellId !== ROUTER_ID;
  const policy = deps.registry.policies.cooldowns;
  const cascadeId = cascadeRecoveryWorkflowId(deps.registry.fleet.name);
  // A cascade recovery covers every cell of the fleet: while it runs, no cell's alarm starts another procedure.
  if (isCell) {
    const cascade = await latestRecovery(deps.client, cascadeId);
    if (cascade?.running) return { outcome: 'already-running', cellId, workflowId: cascade.workflowId, procedure: cascade.procedure };
  }
  const latest = await latestRecovery(deps.client, isCell ? recoveryWorkflowId(cellId) : routerRecoveryWorkflowId(deps.registry.fleet.name));
  if (latest?.running) return { outcome: 'already-running', cellId, workflowId: latest.workflowId, procedure: latest.procedure };
  const now = deps.clock();
  const cellCooldown = perCellCooldown(latest, policy, now);
  if (!cellCooldown.allowed) return { outcome: 'suppressed', cellId, until: cellCooldown.until.toISOString(), why: cellCooldown.why };
  if (policy.maxAutomaticPerHour === 0) {
    return { outcome: 'not-actionable', cellId, severity: singleCellIncident.severity, why: 'automatic starts are off (policies.cooldowns.maxAutomaticPerHour is 0)' };
  }

  return await gate.serial(async (): Promise<GatewayAnswer> => {
    const starts = await alarmStartsInLastHour(deps.client, now);
    // Alarms of other cells within the correlation window make this an incident of several cells.
    const others = isCell ? correlatedCells(starts, cellId, deps.registry, now) : [];
    const incident = others.length > 0 ? classifyAlarm(deps.registry, alarm, { otherAffectedCells: others }) : singleCellIncident;
    const affected = others.length > 0 ? { affectedCells: incident.affectedCells } : {};
    const correlation = others.length > 0 ? ` (alarms of ${others.join(', ')} within ${policy.correlationWindowSeconds} s)` : '';
    const decision = others.length > 0 ? decideRecovery(incident) : singleCellDecision;
    if (decision.action === 'manual') return { outcome: 'not-actionable', cellId, severity: incident.severity, why: `${decision.why}${correlation}`, ...affected };
    if (decision.procedure === 'cascadeRecovery') {
      // Read again here: an alarm decided just before this one may have started it.
      const cascade = await latestRecovery(deps.client, cascadeId);
      if (cascade?.running) return { outcome: 'already-running', cellId, workflowId: cascade.workflowId, procedure: cascade.procedure };
      const fleetCooldown = perCellCooldown(cascade, policy, now);
      if (!fleetCooldown.allowed) {
        const why = `cascadeRecovery of the fleet ended at ${cascade?.closeTime?.toISOString() ?? '?'}; its cooldown is ${policy.perCellSeconds} s`;
        return { outcome: 'suppressed', cellId, until: fleetCooldown.until.toISOString(), why };
      }
    }
    const budget = fleetBudget(starts, policy, now);
    if (!budget.allowed) return { outcome: 'suppressed', cellId, until: budget.until.toISOString(), why: budget.why };
    const memo: AlarmStartMemo = { alarm: { name: alarm.alarmName, source, requestedAt: now.toISOString() } };
    try {
      const why = `${decision.why}${correlation}`;
      const reason = `alarm ${alarm.alarmName} (${incident.severity}, ${incident.failureType}): ${why}`;
      const handle =
        decision.procedure === 'routerFailover'
          ? await deps.startRouterFailover(deps.client, { reason, requestedBy: GATEWAY_REQUESTER, registry: deps.registry }, deps.taskQueue ?? TASK_QUEUE, { ...memo })
          : decision.procedure === 'cascadeRecovery'
            ? await startCascadeRecovery(deps.client, { reason, requestedBy: GATEWAY_REQUESTER, registry: deps.registry }, deps.taskQueue ?? TASK_QUEUE, { ...memo })
            : await deps.startProcedure(deps.client, {
              procedure: decision.procedure,
              taskQueue: deps.taskQueue,
              memo: { ...memo },
              input: { cellId, reason, requestedBy: GATEWAY_REQUESTER, registry: deps.registry },
            });
      const runId = handle.firstExecutionRunId;
      return {
        outcome: 'started',
        cellId,
        procedure: decision.procedure,
        workflowId: handle.workflowId,
        runId,
        webUiUrl: webUiLink(deps.webUiBaseUrl, deps.namespace, handle.workflowId, runId),
        severity: incident.severity,
        why,
        ...affected,
      };
    } catch (err) {
      if (err instanceof AlreadyInRecoveryError) return { outcome: 'already-running', cellId, workflowId: err.workflowId, procedure: err.runningProcedure };
      if (err instanceof UnknownCellError) throw new GatewayError(422, 'unknown-cell', err.message);
      throw err;
    }
  });
}
