/**
 * Wave deployment: the input, the wave plan, the success criteria and their verdict, the
 * progress and the report. Pure and deterministic: the workflow, the CLI's dry run and the
 * tests compute the same plan from the same input.
 */
import { describeFreeze } from '../change-freezes';
import type { Cell, Registry, StackSpec } from '../registry/schema';
import type { ProcedureReport } from './report';

/** The version rolled out: a template, parameters (merged over each cell's registry parameters), or both. */
export interface DeploymentVersion {
  /** A name for people and the report, e.g. `v2.4.1`. */
  label: string;
  template?: { templateUrl?: string; templateBody?: string };
  parameters?: Record<string, string>;
}

/** What a wave's bake must show for the rollout to go on. */
export interface SuccessCriteria {
  /** Requests that failed over the bake window, percent; above it fails. */
  maxErrorRatePercent: number;
  /** p95 latency over the bake window, ms; above it fails. */
  maxLatencyP95Ms: number;
  /** Every alarm of the cell must be out of ALARM. */
  alarmsOk: boolean;
}

/** A change's risk level picks the strategy when the input does not say more (as a change manager does). */
export type RiskLevel = 'low' | 'medium' | 'high';

export interface WaveDeploymentInput {
  version: DeploymentVersion;
  /** Default: every cell of the registry. */
  cellIds?: string[];
  /** Explicit waves of cell ids (the first is the canary wave); default computed, see {@link planWaves}. */
  waves?: string[][];
  /** Each computed wave after the canary is this many times the one before (default 2; a high risk level 2, low 4). */
  growthFactor?: number;
  /** Bake after each wave after the canary, seconds (default 900). */
  bakeSeconds?: number;
  /** Bake after the canary wave, seconds (default 1800). */
  canaryBakeSeconds?: number;
  /** Default: the registry's health policy's error rate, p95 500 ms, alarms OK. */
  criteria?: Partial<SuccessCriteria>;
  /** Default: half the wave error rate, 80 % of its p95, alarms OK. */
  canaryCriteria?: Partial<SuccessCriteria>;
  /** Cells whose stacks are updated at once within a wave (default 10). */
  maxConcurrent?: number;
  /** Cell failures tolerated: one more ends the rollout and rolls back every updated cell (default 0). */
  errorBudget?: number;
  /** Approval before each wave after the canary; default: when the policy's approvals name `wave`. */
  approveWaves?: boolean;
  /** Strategy from the change's risk: low → parallel (one wave), medium → rolling, high → canary (default). */
  riskLevel?: RiskLevel;
  /**
   * Inside a change freeze of the registry at the start: `refuse` (default) fails the rollout
   * (`ChangeFrozen`) with nothing touched; `wait` waits for the freeze's end. A freeze that
   * begins mid-rollout always holds the next wave until it ends.
   */
  onFreeze?: 'refuse' | 'wait';
  /** The plan only: no cell is touched. */
  dryRun?: boolean;
  reason: string;
  requestedBy: string;
  registry: Registry;
  /** Carried over a continue-as-new; never set by a caller. */
  resume?: DeploymentResume;
}

export type DeploymentStrategy = 'parallel' | 'rolling' | 'canary';

/** One wave of the plan. */
export interface PlannedWave {
  /** 0 is the canary wave (under the canary strategy). */
  index: number;
  canary: boolean;
  cellIds: string[];
  bakeSeconds: number;
  criteria: SuccessCriteria;
  /** An approval is awaited before it starts. */
  approval: boolean;
}

export interface DeploymentPlan {
  version: DeploymentVersion;
  strategy: DeploymentStrategy;
  waves: PlannedWave[];
  cells: number;
  maxConcurrent: number;
  errorBudget: number;
  /** Bake times summed, seconds: the least a complete rollout takes. */
  bakeSecondsTotal: number;
  /** What each bake checks, in words. */
  checks: string[];
}

export const DEFAULT_BAKE_SECONDS = 900;
export const DEFAULT_CANARY_BAKE_SECONDS = 1800;
export const DEFAULT_MAX_CONCURRENT = 10;
export const DEFAULT_MAX_LATENCY_P95_MS = 500;
/** Criteria are read once a minute during a bake, over the last {@link BAKE_WINDOW_SECONDS}. */
export const BAKE_CHECK_SECONDS = 60;
export const BAKE_WINDOW_SECONDS = 300;

/** The strategy: explicit waves are rolling; else the risk level's, canary by default. */
export function strategyOf(input: Pick<WaveDeploymentInput, 'riskLevel' | 'waves'>): DeploymentStrategy {
  if (input.riskLevel === 'low') return 'parallel';
  if (input.riskLevel === 'medium') return 'rolling';
  return 'canary';
}

/**
 * The cells in rollout order: least important first (highest `priority` number), then by id, so
 * the canary is the cell whose trouble hurts least.
 */
export function rolloutOrder(cells: readonly Cell[]): Cell[] {
  return [...cells].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
}

/** The wave and canary criteria of the input, filled from the registry's policy. */
export function criteriaOf(input: Pick<WaveDeploymentInput, 'criteria' | 'canaryCriteria' | 'registry'>): { wave: SuccessCriteria; canary: SuccessCriteria } {
  const wave: SuccessCriteria = {
    maxErrorRatePercent: input.registry.policies.health.maxErrorRatePercent,
    maxLatencyP95Ms: DEFAULT_MAX_LATENCY_P95_MS,
    alarmsOk: true,
    ...input.criteria,
  };
  const canary: SuccessCriteria = {
    maxErrorRatePercent: wave.maxErrorRatePercent / 2,
    maxLatencyP95Ms: Math.round(wave.maxLatencyP95Ms * 0.8),
    alarmsOk: true,
    ...input.canaryCriteria,
  };
  return { wave, canary };
}

export class InvalidDeploymentError extends Error {
  override name = 'InvalidDeploymentError';
}

/**
 * The plan: explicit waves as given (every cell once, known to the registry), or computed from
 * the strategy: parallel = one wave; rolling = waves of `maxConcurrent` cells; canary = one cell,
 * then waves growing by `growthFactor` (1 → 2 → 4 …) until every target cell is in one.
 * @throws InvalidDeploymentError for unknown or repeated cells, empty waves or bad numbers.
 */
export function planWaves(input: WaveDeploymentInput): DeploymentPlan {
  const { registry } = input;
  const known = new Map(registry.cells.map((c) => [c.id, c]));
  const maxConcurrent = input.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  const errorBudget = input.errorBudget ?? 0;
  const growth = input.growthFactor ?? (input.riskLevel === 'low' ? 4 : 2);
  if (!(Number.isInteger(maxConcurrent) && maxConcurrent >= 1)) throw new InvalidDeploymentError(`maxConcurrent must be a whole number of cells, at least 1; got ${maxConcurrent}`);
  if (!(Number.isInteger(errorBudget) && errorBudget >= 0)) throw new InvalidDeploymentError(`errorBudget must be a whole number of cells, 0 or more; got ${errorBudget}`);
  if (!(growth >= 1)) throw new InvalidDeploymentError(`growthFactor must be at least 1; got ${growth}`);
  if (input.version.template === undefined && input.version.parameters === undefined) {
    throw new InvalidDeploymentError(`version ${input.version.label} changes nothing: give a template, parameters or both`);
  }
  const strategy = input.waves !== undefined ? 'rolling' : strategyOf(input);
  let groups: string[][];
  if (input.waves !== undefined) {
    const seen = new Set<string>();
    for (const [i, wave] of input.waves.entries()) {
      if (wave.length === 0) throw new InvalidDeploymentError(`wave ${i} is empty`);
      for (const id of wave) {
        if (!known.has(id)) throw new InvalidDeploymentError(`wave ${i} names ${id}, which is not in the registry`);
        if (seen.has(id)) throw new InvalidDeploymentError(`${id} is in more than one wave`);
        seen.add(id);
      }
    }
    groups = input.waves.map((w) => [...w]);
  } else {
    for (const id of input.cellIds ?? []) if (!known.has(id)) throw new InvalidDeploymentError(`${id} is not in the registry`);
    const targets = input.cellIds === undefined ? registry.cells : [...new Set(input.cellIds)].map((id) => known.get(id) as Cell);
    if (targets.length === 0) throw new InvalidDeploymentError('no cells to deploy to');
    const ordered = rolloutOrder(targets).map((c) => c.id);
    groups = [];
    if (strategy === 'parallel') groups.push(ordered);
    else if (strategy === 'rolling') for (let i = 0; i < ordered.length; i += maxConcurrent) groups.push(ordered.slice(i, i + maxConcurrent));
    else {
      let size = 1;
      for (let i = 0; i < ordered.length; ) {
        groups.push(ordered.slice(i, i + size));
        i += size;
        size = Math.max(size + 1, Math.floor(size * growth));
      }
    }
  }
  const criteria = criteriaOf(input);
  const approveWaves = input.approveWaves ?? registry.policies.approvals.required.includes('wave');
  const canaryFirst = strategy === 'canary';
  const waves: PlannedWave[] = groups.map((cellIds, index) => {
    const canary = canaryFirst && index === 0;
    return {
      index,
      canary,
      cellIds,
      bakeSeconds: canary ? (input.canaryBakeSeconds ?? DEFAULT_CANARY_BAKE_SECONDS) : (input.bakeSeconds ?? DEFAULT_BAKE_SECONDS),
      criteria: canary ? criteria.canary : criteria.wave,
      approval: approveWaves && index > 0,
    };
  });
  const describe = (c: SuccessCriteria) =>
    `error rate ≤ ${c.maxErrorRatePercent} %, p95 latency ≤ ${c.maxLatencyP95Ms} ms${c.alarmsOk ? ', no alarm in ALARM' : ''}`;
  return {
    version: input.version,
    strategy,
    waves,
    cells: waves.reduce((n, w) => n + w.cellIds.length, 0),
    maxConcurrent,
    errorBudget,
    bakeSecondsTotal: waves.reduce((n, w) => n + w.bakeSeconds, 0),
    checks: [
      ...(canaryFirst ? [`canary: ${describe(criteria.canary)}, every ${BAKE_CHECK_SECONDS} s over the last ${BAKE_WINDOW_SECONDS} s`] : []),
      `waves: ${describe(criteria.wave)}, every ${BAKE_CHECK_SECONDS} s over the last ${BAKE_WINDOW_SECONDS} s`,
      `a stack that does not reach UPDATE_COMPLETE counts as a failed cell`,
      `more than ${errorBudget} failed cell${errorBudget === 1 ? '' : 's'} roll back every updated cell`,
      ...freezeCheck(input),
    ],
  };
}

/** What the rollout does about the registry's change freezes, when it has any. */
function freezeCheck(input: Pick<WaveDeploymentInput, 'registry' | 'onFreeze'>): string[] {
  const freezes = input.registry.policies.changeFreezes ?? [];
  if (freezes.length === 0) return [];
  const start = input.onFreeze === 'wait' ? 'waits for its end' : 'is refused';
  return [`no wave starts inside a change freeze (${freezes.map(describeFreeze).join('; ')}): a rollout asked for inside one ${start}, a wave due inside one waits`];
}

/** The cell's stack as the version makes it (parameters merged over the registry's). */
export function versionedStack(cell: Cell, version: DeploymentVersion): StackSpec {
  return {
    ...cell.stack,
    template: version.template ?? cell.stack.template,
    parameters: { ...cell.stack.parameters, ...version.parameters },
  };
}

/**
 * A cell's stack as it was before the rollout changed it (read from CloudFormation, not the
 * registry), kept as its difference from the registry: most cells run what the registry says,
 * so a continued run of 1,000 cells carries little more than a digest each.
 */
export interface StackBefore {
  /** The parameters whose value differs from the registry's (NoEcho ones excepted). */
  parameters: Record<string, string>;
  /** Registry parameters the stack did not have. */
  absent?: string[];
  /** The template's digest (a key of the rollout's template bodies); absent: too large to give back inline. */
  templateDigest?: string;
  /** The stack did not exist. */
  missing?: boolean;
}

/** A stack as `readCellStacks` read it, kept as {@link StackBefore}: its difference from the registry. */
export function stackBeforeOf(cell: Cell, read: { parameters: Record<string, string>; hidden: string[]; templateDigest?: string; missing?: boolean }): StackBefore {
  const registry = cell.stack.parameters;
  // NoEcho values cannot be read back: the registry's stand for them.
  const absent = Object.keys(registry).filter((k) => !(k in read.parameters) && !read.hidden.includes(k));
  return {
    parameters: Object.fromEntries(Object.entries(read.parameters).filter(([k, v]) => registry[k] !== v)),
    ...(absent.length > 0 ? { absent } : {}),
    ...(read.templateDigest !== undefined ? { templateDigest: read.templateDigest } : {}),
    ...(read.missing ? { missing: true } : {}),
  };
}

/**
 * The stack a rollback gives a cell: what it had before the rollout, its template (by body) and
 * its parameters (NoEcho ones, which cannot be read back, from the registry). A template too
 * large to give back inline is the registry's, with the cell's own parameters. Without a record
 * (runs from before it was read, a stack that did not exist) the registry's stack. The template
 * is always given back, never kept with `UsePreviousTemplate`: even a version of parameters
 * alone sends the registry's template.
 */
export function stackBefore(cell: Cell, before: StackBefore | undefined, templates: Readonly<Record<string, string>>): StackSpec {
  if (before === undefined || before.missing) return cell.stack;
  const body = before.templateDigest === undefined ? undefined : templates[before.templateDigest];
  const kept = Object.entries(cell.stack.parameters).filter(([k]) => !(before.absent ?? []).includes(k));
  return { ...cell.stack, template: body === undefined ? cell.stack.template : { templateBody: body }, parameters: { ...Object.fromEntries(kept), ...before.parameters } };
}

/** One cell's readings over a bake window (from the batched health read). */
export interface CellReading {
  cellId: string;
  requestCount: number;
  errorRatePercent: number | null;
  latencyP95Ms: number | null;
  inAlarm: string[];
}

export type CriterionName = 'alarms' | 'errorRate' | 'latencyP95' | 'stackUpdate';

/** A criterion a cell failed, with the value that failed it. */
export interface CriterionFailure {
  cellId: string;
  criterion: CriterionName;
  /** The metric's value (percent or ms), or the alarms in ALARM, or the stack's end state. */
  value: number | string;
  /** The limit it crossed (absent for a stack failure). */
  threshold?: number | string;
  message: string;
}

/** The criteria a reading fails (none: the cell passes). No data is no evidence of a problem. */
export function judgeReading(reading: CellReading, criteria: SuccessCriteria): CriterionFailure[] {
  const out: CriterionFailure[] = [];
  const { cellId } = reading;
  if (criteria.alarmsOk && reading.inAlarm.length > 0) {
    out.push({ cellId, criterion: 'alarms', value: reading.inAlarm.join(', '), threshold: 'OK', message: `${cellId}: ${reading.inAlarm.join(', ')} in ALARM` });
  }
  if (reading.errorRatePercent !== null && reading.errorRatePercent > criteria.maxErrorRatePercent) {
    const value = round2(reading.errorRatePercent);
    out.push({ cellId, criterion: 'errorRate', value, threshold: criteria.maxErrorRatePercent, message: `${cellId}: error rate ${value} % > ${criteria.maxErrorRatePercent} %` });
  }
  if (reading.latencyP95Ms !== null && reading.latencyP95Ms > criteria.maxLatencyP95Ms) {
    const value = round2(reading.latencyP95Ms);
    out.push({ cellId, criterion: 'latencyP95', value, threshold: criteria.maxLatencyP95Ms, message: `${cellId}: p95 latency ${value} ms > ${criteria.maxLatencyP95Ms} ms` });
  }
  return out;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export type WaveStatus = 'pending' | 'awaiting-approval' | 'waiting-for-freeze' | 'updating' | 'baking' | 'passed' | 'failed' | 'rolled-back' | 'skipped';

/** One wave as the deployment progress shows it. */
export interface WaveProgress {
  index: number;
  canary: boolean;
  cells: number;
  status: WaveStatus;
  startedAt?: string;
  endedAt?: string;
  /** Cells whose stack update completed. */
  updated: number;
  /** Bake checks passed so far. */
  checksPassed: number;
  /** The failures that failed the wave (bounded). */
  failures?: CriterionFailure[];
  approvedBy?: string[];
}

export type DeploymentOutcome = 'in-progress' | 'completed' | 'rolled-back' | 'aborted' | 'failed' | 'planned';

/** The `deploymentProgress` query's answer. */
export interface DeploymentProgress {
  version: string;
  strategy: DeploymentStrategy;
  outcome: DeploymentOutcome;
  currentWave?: number;
  waves: WaveProgress[];
  cellsTotal: number;
  cellsUpdated: number;
  cellsRolledBack: number;
  /** Cell failures counted against the error budget. */
  cellFailures: number;
  errorBudget: number;
  /** What ended the rollout, when it ended early. */
  failedCriterion?: CriterionFailure;
  /** While the next wave waits for a change freeze to end: which freezes, and until when. */
  waitingForFreeze?: { freezes: string[]; until: string; why: string };
  /** How many times the run continued as new (history bounds). */
  continuedAsNew: number;
}

/** What a continued run carries over. */
export interface DeploymentResume {
  nextWave: number;
  /** Cells updated so far, in update order (rolled back in reverse on failure). */
  updated: string[];
  /** Cells that failed within the error budget (already rolled back). */
  failedCells: string[];
  progress: DeploymentProgress;
  /** What the updated cells' stacks were before the rollout (absent in runs from before it was read). */
  before?: Record<string, StackBefore>;
  /** The template bodies `before` refers to, by digest. */
  templates?: Record<string, string>;
  steps: ProcedureReport['steps'];
  decisions: NonNullable<ProcedureReport['decisions']>;
}

/** The report: the shared one plus the rollout's own facts. */
export interface WaveDeploymentReport extends ProcedureReport {
  deployment: {
    version: string;
    outcome: Exclude<DeploymentOutcome, 'in-progress'>;
    plan: DeploymentPlan;
    waves: WaveProgress[];
    cellsUpdated: number;
    cellsRolledBack: number;
    /** Cells that failed (within the budget, or the one that spent it). */
    failedCells: string[];
    /** The criterion that ended the rollout, with its metric values. */
    failedCriterion?: CriterionFailure;
    /** Every failure that ended it (all the cells that failed in the deciding check). */
    failures: CriterionFailure[];
    /** Cells a rollback could not put back (an operator must). */
    rollbackFailures: { cellId: string; message: string }[];
  };
}

