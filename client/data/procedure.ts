/**
 * One procedure as a person (CLI, console) sees it: what Temporal says about the execution
 * (describe) joined with what the procedure says about itself (the `progress` query while it
 * runs, its final report once it has ended).
 */
import { WorkflowFailedError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PendingApproval, ProcedureProgress, ProcedureState, StepStatus, TrafficSample, DecisionRecord } from '../../domain/procedures/progress';
import { PROCEDURE_CATALOG } from '../../domain/procedures/catalog';
import type { ProcedureReport } from '../../domain/procedures/report';
import type { Registry } from '../../domain/registry/schema';
import { CellIdAttribute, ProcedureAttribute, StepAttribute } from '../../domain/search-attributes';
import { deploymentProgressQuery, progressQuery } from '../../workflows/messages';
import { isWorkflowNotFound, ProcedureNotFoundError } from './errors';
import { withRolloutProgress, type WavesView } from './rollout-view';

/** A runbook step with its duration worked out. */
export interface StepView {
  name: string;
  status: StepStatus;
  startedAt: string;
  endedAt?: string;
  /** Only for a step that has ended. */
  durationMs?: number;
  detail?: string;
  /** The step the procedure is in now. */
  current: boolean;
}

/** The approval a procedure waits for, with what is still needed. */
export interface PendingApprovalView extends PendingApproval {
  /** Distinct approvals needed in all (the policy's `minApprovers`, default 1). */
  approvalsNeeded: number;
  /** Who approved so far, in order. */
  approvers: string[];
}

export interface ProcedureView {
  workflowId: string;
  runId: string;
  namespace: string;
  /** Workflow type (the procedure of this run; a restart that escalated runs as `cellReplacement`). */
  workflowType: string;
  /** Temporal's execution status. */
  status: WorkflowExecutionStatusName;
  /** The procedure's own state: from the progress query while it runs, from the report after. */
  state?: ProcedureState;
  procedure?: string;
  cellId?: string;
  requestedBy?: string;
  startTime: string;
  closeTime?: string;
  currentStep?: string;
  steps: StepView[];
  pendingApproval?: PendingApprovalView;
  traffic: TrafficSample[];
  decisions: DecisionRecord[];
  lastError?: string;
  /** The final report, once the procedure ended with one (completed, aborted, or failed with it in the failure). */
  report?: ProcedureReport;
  /** Why the procedure ended without a report (terminated, timed out, failed without one). */
  closeReason?: string;
  /** Why the progress could not be read while it runs (no worker answered, ...). */
  progressUnavailable?: string;
  /** Why an ended procedure's traffic samples could not be read (asked for with `endedTraffic`); asking again may succeed. */
  trafficUnavailable?: string;
  /** Runbook steps still to come, from the procedure's plan (given a registry, while it runs). */
  upcomingSteps: string[];
  /**
   * How far it is, while it runs: steps done out of all the run will have (done + running +
   * upcoming, from its plan), or for a rollout, its cells updated out of all its cells.
   */
  progress?: { done: number; total: number; unit: 'steps' | 'cells updated' };
  /** A rollout's waves while it runs: how many passed, the one under way. */
  waves?: WavesView;
}

export interface GetProcedureOptions {
  /** A specific run; default the latest run of the workflow id. */
  runId?: string;
  /** How long to wait for the progress query (a worker must answer it). Default 5 s. */
  queryTimeoutMs?: number;
  /** For an ended procedure, also ask its last progress for the traffic samples, which the report does not carry. */
  endedTraffic?: boolean;
  /** The fleet's registry: with it, the steps still to come are planned (`upcomingSteps`). */
  registry?: Registry;
}

const CLOSED_WITH_RESULT: WorkflowExecutionStatusName[] = ['COMPLETED', 'FAILED'];

/**
 * The procedure `workflowId`: its execution, steps, pending approval and traffic, or its report
 * once it has ended.
 * @throws ProcedureNotFoundError when there is no such workflow.
 */
export async function getProcedure(client: Client, workflowId: string, options: GetProcedureOptions = {}): Promise<ProcedureView> {
  const handle = client.workflow.getHandle(workflowId, options.runId);
  const described = await handle.describe().catch((err: unknown) => {
    throw isWorkflowNotFound(err) ? new ProcedureNotFoundError(workflowId, client.options.namespace) : err;
  });
  const view: ProcedureView = {
    workflowId,
    runId: described.runId,
    namespace: client.options.namespace,
    workflowType: described.type,
    status: described.status.name,
    procedure: described.typedSearchAttributes.get(ProcedureAttribute) ?? described.type,
    cellId: described.typedSearchAttributes.get(CellIdAttribute),
    currentStep: described.status.name === 'RUNNING' ? described.typedSearchAttributes.get(StepAttribute) : undefined,
    startTime: described.startTime.toISOString(),
    closeTime: described.closeTime?.toISOString(),
    steps: [],
    traffic: [],
    decisions: [],
    upcomingSteps: [],
  };
  if (described.status.name === 'RUNNING') {
    const deadline = Date.now() + (options.queryTimeoutMs ?? 5_000);
    try {
      const [progress, rollout] = await Promise.all([
        client.connection.withDeadline(deadline, () => handle.query(progressQuery)),
        // A rollout's own progress is read alongside; without it the rollout is shown by its steps.
        view.workflowType === 'waveDeployment' ? client.connection.withDeadline(deadline, () => handle.query(deploymentProgressQuery)).catch(() => undefined) : undefined,
      ]);
      return withRolloutProgress(withUpcomingSteps(withProgress(view, progress), options.registry), rollout);
    } catch (err) {
      return { ...view, progressUnavailable: `the progress query was not answered (${err instanceof Error ? err.message : String(err)}); is a cellops worker running?` };
    }
  }
  if (!CLOSED_WITH_RESULT.includes(described.status.name)) {
    return { ...view, closeReason: `the workflow was ${described.status.name.toLowerCase().replace(/_/g, ' ')}` };
  }
  const ended = await finalReport(handle.result());
  if (!ended.report) return { ...view, closeReason: ended.closeReason };
  const withEnd = withReport(view, ended.report);
  return options.endedTraffic ? { ...withEnd, ...(await endedTraffic(client, handle, options.queryTimeoutMs ?? 5_000)) } : withEnd;
}

/**
 * The traffic samples of an ended procedure, from its last progress: a worker replays the whole
 * history to answer, which a busy worker may not do within the deadline; then the view says so.
 */
async function endedTraffic(client: Client, handle: ReturnType<Client['workflow']['getHandle']>, timeoutMs: number): Promise<Pick<ProcedureView, 'traffic' | 'trafficUnavailable'>> {
  try {
    const progress = await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.query(progressQuery));
    return { traffic: progress.traffic ?? [] };
  } catch (err) {
    return { traffic: [], trafficUnavailable: `its last progress was not answered (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** The view of a running procedure, from its progress. */
export function withProgress(view: ProcedureView, progress: ProcedureProgress): ProcedureView {
  const pending = progress.pendingApproval;
  return {
    ...view,
    state: progress.state,
    procedure: progress.procedure,
    cellId: progress.cellId,
    requestedBy: progress.requestedBy,
    currentStep: progress.currentStep,
    steps: stepViews(progress.steps, progress.currentStep),
    pendingApproval: pending && pendingApprovalView(pending),
    traffic: progress.traffic ?? [],
    decisions: progress.decisions ?? [],
    lastError: progress.lastError,
  };
}

/**
 * Adds the steps still to come: the plan's steps (for the procedure this run is) not yet
 * started, the conditional ones left out. Without a registry, or for a procedure without a
 * plan, or a cell the registry does not have or a registry the plan cannot be made from,
 * nothing is added. A procedure of the fleet is planned under its subject (`router`, `fleet`);
 * a new cell on the registry without it, as it was before the cell was built (a registry that
 * already lists it, added while it ramps up as its report asks, plans it the same).
 */
export function withUpcomingSteps(view: ProcedureView, registry: Registry | undefined): ProcedureView {
  if (!registry || !view.cellId || view.status !== 'RUNNING' || view.state === 'aborting') return view;
  const entry = PROCEDURE_CATALOG.find((e) => e.procedure === view.workflowType);
  if (!entry) return view;
  const cellId = view.cellId;
  const inRegistry = registry.cells.some((c) => c.id === cellId);
  if (entry.scope === 'fleet' ? cellId !== entry.subject : entry.scope === 'cell' && !inRegistry) return view;
  const before = entry.scope === 'new-cell' ? { ...registry, cells: registry.cells.filter((c) => c.id !== cellId) } : registry;
  const started = new Set(view.steps.map((s) => s.name));
  let planned;
  try {
    planned = entry.plan(before, cellId).steps;
  } catch {
    // A registry that cannot plan it (router failover without the router's stack): shown without what is to come.
    return view;
  }
  const upcomingSteps = planned.filter((s) => !s.onlyIf && !started.has(s.name)).map((s) => s.name);
  const done = new Set(view.steps.filter((s) => s.status === 'done' || s.status === 'skipped').map((s) => s.name)).size;
  return { ...view, upcomingSteps, progress: { done, total: started.size + upcomingSteps.length, unit: 'steps' } };
}

/** A pending approval with the number of approvals needed and who gave them so far. */
export function pendingApprovalView(pending: PendingApproval): PendingApprovalView {
  return { ...pending, approvalsNeeded: pending.minApprovers ?? 1, approvers: (pending.approvedBy ?? []).map((a) => a.approver) };
}

function withReport(view: ProcedureView, report: ProcedureReport): ProcedureView {
  const state: ProcedureState = report.outcome === 'escalated' ? 'completed' : report.outcome;
  return {
    ...view,
    state,
    procedure: report.procedure,
    cellId: report.cellId,
    requestedBy: report.requestedBy,
    currentStep: undefined,
    steps: stepViews(report.steps, undefined),
    decisions: report.decisions ?? [],
    lastError: report.error,
    report,
  };
}

function stepViews(steps: ProcedureProgress['steps'], currentStep: string | undefined): StepView[] {
  return steps.map((step, index) => {
    const durationMs = step.endedAt ? Date.parse(step.endedAt) - Date.parse(step.startedAt) : undefined;
    const isLast = index === steps.length - 1;
    return { ...step, ...(durationMs === undefined ? {} : { durationMs }), current: step.status === 'running' && isLast && step.name === currentStep };
  });
}

const isReport = (value: unknown): value is ProcedureReport =>
  typeof value === 'object' && value !== null && 'outcome' in value && 'steps' in value && 'cellEndState' in value;

/** A closed procedure's report: its result, or the report a failure carries in its details. */
async function finalReport(result: Promise<unknown>): Promise<{ report?: ProcedureReport; closeReason?: string }> {
  try {
    const value = await result;
    return isReport(value) ? { report: value } : { closeReason: 'it ended without a report' };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const details = cause instanceof ApplicationFailure ? cause.details ?? [] : [];
    const report = details.find(isReport);
    return report ? { report } : { closeReason: `it failed: ${cause?.message ?? err.message}` };
  }
}
