/**
 * `cellops deploy`: rolls a version of the cells' stacks out in waves (`waveDeployment`, as
 * `wave-deployment-<fleet>`), or with `--dry-run` prints the plan without touching anything.
 */
import type { Command } from 'commander';
import { InvalidDeploymentError, planWaves, type DeploymentPlan, type RiskLevel, type WaveDeploymentInput } from '../../../domain/procedures/wave-deployment';
import { activeFreeze, describeActiveFreeze } from '../../../domain/change-freezes';
import { ChangeFrozenError, InvalidInputError } from '../../data/errors';
import { workflowWebUiUrl } from '../../data/web-ui';
import { startWaveDeployment } from '../../start-procedure';
import type { CommandContext } from '../context';

export interface DeployOptions {
  version: string;
  templateUrl?: string;
  param: string[];
  cells?: string;
  waves?: string;
  maxConcurrent?: string;
  errorBudget?: string;
  bake?: string;
  canaryBake?: string;
  approveWaves?: boolean;
  risk?: string;
  dryRun?: boolean;
  waitForFreeze?: boolean;
  reason?: string;
  by?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError(`${flag} expects a whole number, got "${value}"`);
  return n;
}

/** The input the options describe (the registry and who asks filled in by the caller). */
export function deploymentInputFrom(options: DeployOptions, base: Pick<WaveDeploymentInput, 'registry' | 'requestedBy' | 'reason'>): WaveDeploymentInput {
  const parameters: Record<string, string> = {};
  for (const p of options.param) {
    const at = p.indexOf('=');
    if (at <= 0) throw new InvalidInputError(`--param expects KEY=VALUE, got "${p}"`);
    parameters[p.slice(0, at)] = p.slice(at + 1);
  }
  if (options.risk !== undefined && !['low', 'medium', 'high'].includes(options.risk)) throw new InvalidInputError(`--risk expects low, medium or high, got "${options.risk}"`);
  const list = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return {
    ...base,
    version: { label: options.version, ...(options.templateUrl ? { template: { templateUrl: options.templateUrl } } : {}), ...(options.param.length > 0 ? { parameters } : {}) },
    ...(options.cells ? { cellIds: list(options.cells) } : {}),
    ...(options.waves ? { waves: options.waves.split(';').map(list) } : {}),
    ...(options.maxConcurrent !== undefined ? { maxConcurrent: wholeNumber(options.maxConcurrent, '--max-concurrent') } : {}),
    ...(options.errorBudget !== undefined ? { errorBudget: wholeNumber(options.errorBudget, '--error-budget') } : {}),
    ...(options.bake !== undefined ? { bakeSeconds: wholeNumber(options.bake, '--bake') } : {}),
    ...(options.canaryBake !== undefined ? { canaryBakeSeconds: wholeNumber(options.canaryBake, '--canary-bake') } : {}),
    ...(options.approveWaves ? { approveWaves: true } : {}),
    ...(options.risk ? { riskLevel: options.risk as RiskLevel } : {}),
    ...(options.waitForFreeze ? { onFreeze: 'wait' as const } : {}),
  };
}

/** The plan in words: one line per wave, the time budget and the checks. */
export function renderDeploymentPlan(plan: DeploymentPlan): string[] {
  const cells = (ids: string[]) => (ids.length <= 4 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} … ${ids[ids.length - 1]}`);
  return [
    `deploy ${plan.version.label}: ${plan.cells} cell(s) in ${plan.waves.length} wave(s), ${plan.strategy}, ${plan.maxConcurrent} at once, error budget ${plan.errorBudget}`,
    ...plan.waves.map(
      (w) =>
        `  wave ${w.index}${w.canary ? ' (canary)' : ''}: ${w.cellIds.length} cell(s) [${cells(w.cellIds)}], bake ${w.bakeSeconds / 60} min, error rate ≤ ${w.criteria.maxErrorRatePercent} %, p95 ≤ ${w.criteria.maxLatencyP95Ms} ms${w.approval ? ', approval first' : ''}`,
    ),
    `  time budget: ${(plan.bakeSecondsTotal / 60).toFixed(0)} min of bakes`,
    ...plan.checks.map((c) => `  checks: ${c}`),
  ];
}

/** The options that describe a rollout, shared by `cellops deploy` and `cellops plan deploy`. */
export function withDeploymentOptions(command: Command): Command {
  return command
    .requiredOption('--version <label>', 'the version\u2019s name, e.g. v2.4.1')
    .option('--template-url <url>', 'the new template')
    .option('--param <KEY=VALUE>', 'a parameter of the new version (repeatable)', collect, [])
    .option('--cells <ids>', 'comma-separated target cells (default all)')
    .option('--waves <waves>', 'explicit waves: cells comma-separated, waves semicolon-separated ("cell-003;cell-002,cell-001")')
    .option('--max-concurrent <n>', 'cells updated at once within a wave (default 10)')
    .option('--error-budget <n>', 'failed cells tolerated before everything rolls back (default 0)')
    .option('--bake <seconds>', 'bake after each wave (default 900)')
    .option('--canary-bake <seconds>', 'bake after the canary (default 1800)')
    .option('--approve-waves', 'wait for approval before each wave after the canary')
    .option('--risk <level>', 'low (one wave), medium (rolling), high (canary, default)')
    .option('--wait-for-freeze', 'inside a change freeze of the registry, wait for its end instead of refusing')
    .option('--reason <text>', 'why (kept in its input and report)')
    .option('--json', 'print the result as JSON');
}

/** The input and plan the options describe, against the registry; bad options are usage errors. */
export async function deploymentFromOptions(ctx: CommandContext, options: DeployOptions, by: string): Promise<{ input: WaveDeploymentInput; plan: DeploymentPlan }> {
  const registry = await ctx.loadRegistry();
  const input = deploymentInputFrom(options, { registry, requestedBy: by, reason: options.reason ?? `deploy ${options.version}, started by ${by} with cellops` });
  try {
    return { input, plan: planWaves(input) };
  } catch (err) {
    if (err instanceof InvalidDeploymentError) throw new InvalidInputError(err.message);
    throw err;
  }
}

/** Prints a plan as `--dry-run` and `cellops plan deploy` show it. */
export function printDeploymentPlan(ctx: CommandContext, plan: DeploymentPlan, json: boolean | undefined): void {
  if (json) return ctx.printJson(plan);
  for (const line of renderDeploymentPlan(plan)) ctx.print(line);
}

export function registerDeploy(program: Command, ctx: CommandContext): void {
  withDeploymentOptions(
    program
      .command('deploy')
      .summary('roll a version of the cells\u2019 stacks out in waves (canary first), or print the plan')
      .description(
        'Starts waveDeployment as wave-deployment-<fleet> (one rollout per fleet): canary, then growing waves (or --waves), each baked against its criteria; a failure past the error budget, an abort or a rejected wave rolls every updated cell back. With --dry-run prints the plan and touches nothing (as `cellops plan deploy`).',
      ),
  )
    .option('--dry-run', 'print the plan only')
    .option('--by <who>', 'who asks for it (default CELLOPS_USER, else USER)')
    .action(async (options: DeployOptions, command: Command) => {
      const by = ctx.identity(options.by);
      if (!by) throw new InvalidInputError('who starts it is unknown: give --by or set CELLOPS_USER');
      const { input, plan } = await deploymentFromOptions(ctx, options, by);
      if (options.dryRun) return printDeploymentPlan(ctx, plan, options.json);
      // The workflow decides on its own time; this only spares starting a run bound to be refused.
      const frozen = input.onFreeze === 'wait' ? undefined : activeFreeze(input.registry.policies.changeFreezes, Date.now());
      if (frozen !== undefined) throw new ChangeFrozenError(describeActiveFreeze(frozen));
      const result = await ctx.withClient(command.optsWithGlobals(), async (client) => {
        const handle = await startWaveDeployment(client, input);
        return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, plan, webUiUrl: workflowWebUiUrl(ctx.webUiUrl, client.options.namespace, handle.workflowId, handle.firstExecutionRunId) };
      });
      if (options.json) return ctx.printJson(result);
      for (const line of renderDeploymentPlan(plan)) ctx.print(line);
      ctx.print(`started ${ctx.c.bold('waveDeployment')}: ${ctx.c.bold(result.workflowId)}`);
      ctx.print(`  Web UI: ${result.webUiUrl}`);
      ctx.print(`  follow it: cellops watch ${result.workflowId}`);
    });
}
