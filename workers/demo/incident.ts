/**
 * Playing one scenario on a demo environment: the fault and the alarm, or the person's `cellops`
 * command; the procedure it starts, the approvals it asks for, and its report.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import type { ProcedureReport } from '../../domain/procedures/report';
import { approveUpdate, progressQuery } from '../../workflows/messages';
import type { GatewayAnswer } from '../../client/gateway';
import { runCli } from '../../client/cli/program';
import { startProcedure } from '../../client/start-procedure';
import type { AlarmView } from '../../simulator';
import type { DemoEnvironment } from './environment';
import type { AlarmScenario, CommandScenario, ProgramScenario, Scenario } from './scenarios';

/** How the person takes part. */
export interface IncidentOptions {
  /** Approve every pending approval at once (non-interactive runs). */
  yes: boolean;
  /** Who approves (never the requester, under four-eyes). */
  approver: string;
  /** Waits for the person's decision on a pending approval (a key press); undefined when there is no terminal. */
  askApproval?: (prompt: string) => Promise<boolean>;
  /** Prints one line. */
  print(line: string): void;
  /** Shows the procedure's progress (called on every change) of run `runId` (undefined: the latest). */
  render(progress: ProcedureProgress, runId: string | undefined): void | Promise<void>;
}

/** The longest the demo waits for the alarm, in the server's time. */
const ALARM_WAIT_MS = 10 * 60_000;
/** How often the progress is read while the procedure runs, in real time. */
const POLL_MS = 250;

/** Injects the scenario's faults and waits (server time) until each of its alarms is in ALARM. */
export async function setOffAlarms(env: DemoEnvironment, scenario: AlarmScenario, print: (line: string) => void): Promise<AlarmView[]> {
  env.syncFleetClock();
  for (const fault of scenario.faults) env.sim.fleet.inject(fault);
  const targets = [...new Set(scenario.faults.map((f) => ('cellId' in f && f.cellId !== undefined ? f.cellId : f.kind === 'router-failure' ? 'the router' : 'the fleet')))];
  print(`fault injected into ${targets.join(', ')}: ${[...new Set(scenario.faults.map((f) => f.kind))].join(', ')}`);
  const until = env.serverNow() + ALARM_WAIT_MS;
  const fired = new Map<string, AlarmView>();
  for (;;) {
    await env.serverSleep(60_000);
    env.syncFleetClock();
    for (const name of scenario.alarms) {
      const alarm = env.sim.fleet.alarms().find((a) => a.name === name);
      if (alarm === undefined) throw new Error(`the registry has no alarm ${name}`);
      if (alarm.state === 'ALARM' && !fired.has(name)) {
        fired.set(name, alarm);
        print(`CloudWatch alarm ${alarm.name} → ALARM: ${alarm.reason}`);
      }
    }
    if (fired.size === scenario.alarms.length) return scenario.alarms.map((name) => fired.get(name) as AlarmView);
    if (env.serverNow() > until) {
      const waiting = scenario.alarms.filter((name) => !fired.has(name));
      throw new Error(`alarm(s) ${waiting.join(', ')} did not go to ALARM within ${ALARM_WAIT_MS / 60_000} minutes`);
    }
  }
}

/**
 * Publishes each alarm's state change, in order, to the simulated SNS topic, which delivers it
 * to the gateway's SNS subscription endpoint signed as SNS signs; the gateway verifies it,
 * decides and answers. The last alarm must start a procedure: its handle is returned.
 */
export async function deliverThroughGateway(env: DemoEnvironment, alarms: AlarmView[], print: (line: string) => void): Promise<WorkflowHandle> {
  const endpoint = `${env.gateway.url}/alarms/sns`;
  let last: GatewayAnswer | undefined;
  for (const alarm of alarms) {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      body: JSON.stringify(env.sns.alarmNotification(alarm)),
    });
    const answer = (await response.json()) as GatewayAnswer | { error: string; message: string };
    if (!('outcome' in answer)) throw new Error(`the alarm gateway refused the notification of ${alarm.name} (${response.status} ${answer.error}): ${answer.message}`);
    last = answer;
    if (answer.outcome !== 'started') {
      print(`SNS → alarm gateway ${endpoint}: ${alarm.name}: ${answer.outcome}${'why' in answer ? ` (${answer.why})` : ''}`);
      continue;
    }
    print(`SNS → alarm gateway ${endpoint}: signature verified; ${alarm.name}: ${answer.severity}, ${answer.why}`);
    print(`started ${answer.procedure} as ${answer.workflowId}`);
  }
  if (last?.outcome !== 'started') throw new Error(`the alarm gateway started nothing for the last alarm: ${JSON.stringify(last)}`);
  return env.client.workflow.getHandle(last.workflowId);
}

/** `--reason 'release v2.5.0'`: an argument as a shell would need it. */
const shellWord = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/**
 * Runs the scenario's `cellops` command in this process, as a person would in a terminal
 * (`cellops` bound to the demonstration's Temporal client and registry), printing its output;
 * returns the handle of the procedure it started.
 */
export async function runCellopsCommand(env: DemoEnvironment, scenario: CommandScenario, print: (line: string) => void): Promise<WorkflowHandle> {
  print(`$ cellops ${scenario.command.map(shellWord).join(' ')}`);
  let errors = '';
  const code = await runCli(['--web-ui', env.webUiBaseUrl, ...scenario.command], {
    io: { out: (text) => text.replace(/\n$/, '').split('\n').forEach((line) => print(line)), err: (text) => void (errors += text), isTTY: false, env: process.env },
    connect: () => Promise.resolve({ client: env.client, close: () => Promise.resolve() }),
    loadRegistry: () => Promise.resolve(env.registry),
    fleetReader: () => Promise.resolve({ unavailable: 'not needed by the demonstration' }),
    sleep: (ms) => env.serverSleep(ms),
  });
  if (code !== 0) throw new Error(`cellops ${scenario.command[0]} failed (exit code ${code}): ${errors.trim()}`);
  return env.client.workflow.getHandle(scenario.workflowId(env.registry));
}

/** Starts the scenario's procedure as an operator's program would, through `startProcedure` (under the cell's recovery id). */
export async function startFromProgram(env: DemoEnvironment, scenario: ProgramScenario, print: (line: string) => void): Promise<WorkflowHandle> {
  const { cellId, reason, requestedBy } = scenario.input;
  print(`startProcedure(client, { procedure: '${scenario.starts}', input: { cellId: '${cellId}', reason: '${reason}', requestedBy: '${requestedBy}', registry } })   (client/start-procedure.ts)`);
  const handle = await startProcedure(env.client, { procedure: scenario.starts, input: { ...scenario.input, registry: env.registry } });
  print(`started ${scenario.starts} as ${handle.workflowId}`);
  return handle;
}

/** Starts the scenario's procedure the way it starts in production: its alarms through the gateway, the person's command, or a program. */
export async function startScenario(env: DemoEnvironment, scenario: Scenario, print: (line: string) => void): Promise<WorkflowHandle> {
  switch (scenario.startedBy) {
    case 'alarm':
      return await deliverThroughGateway(env, await setOffAlarms(env, scenario, print), print);
    case 'cellops':
      return await runCellopsCommand(env, scenario, print);
    case 'startProcedure':
      return await startFromProgram(env, scenario, print);
  }
}

/** The report a procedure ended with: its result, or the report a failed procedure attaches to its failure. */
async function finalReport(handle: WorkflowHandle): Promise<{ report?: ProcedureReport; failure?: string }> {
  try {
    return { report: (await handle.result()) as ProcedureReport };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const details = (err.cause as { details?: unknown[] } | undefined)?.details;
      const report = details?.find((d): d is ProcedureReport => typeof d === 'object' && d !== null && 'outcome' in d && 'cellEndState' in d);
      return { report, failure: err.cause?.message ?? err.message };
    }
    throw err;
  }
}

/**
 * Follows the procedure until it ends: renders every change, answers pending approvals (at once
 * with `yes`, else by asking the person, who may also use the printed `cellops approve` command).
 */
export async function followProcedure(handle: WorkflowHandle, options: IncidentOptions): Promise<{ report?: ProcedureReport; failure?: string }> {
  const ending = finalReport(handle);
  let done = false;
  void ending.finally(() => {
    done = true;
  });
  let lastSeen = '';
  const answered = new Set<string>();
  const show = async (progress: ProcedureProgress | undefined, runId: string | undefined): Promise<void> => {
    if (progress === undefined) return;
    const key = JSON.stringify(progress);
    if (key === lastSeen) return;
    lastSeen = key;
    await options.render(progress, runId);
  };
  const progressOf = (runId: string | undefined) => handle.client.getHandle(handle.workflowId, runId).query(progressQuery).catch(() => undefined);
  // Follow run by run: when a procedure continues as another, its last state is shown first.
  let run = await handle.describe().then((d) => d.runId).catch(() => undefined);
  while (!done) {
    const latest = await handle.describe().then((d) => d.runId).catch(() => run);
    if (latest !== run) {
      await show(await progressOf(run), run);
      run = latest;
    }
    const progress = await progressOf(run);
    await show(progress, run);
    const pending = progress?.pendingApproval;
    const gate = pending ? `${progress?.procedure}:${pending.step}:${pending.requestedAt}` : undefined;
    if (progress && gate && !answered.has(gate)) {
      answered.add(gate);
      void decide(handle, progress, options).catch((err: unknown) => options.print(`approval not sent: ${err instanceof Error ? err.message : String(err)}`));
    }
    await Promise.race([ending, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
  }
  await show(await progressOf(run), run);
  await show(await progressOf(undefined), undefined);
  return await ending;
}

async function decide(handle: WorkflowHandle, progress: ProcedureProgress, options: IncidentOptions): Promise<void> {
  const step = progress.pendingApproval?.step as string;
  const command = `cellops approve ${handle.workflowId} --step ${step} --by <you>`;
  let approved: boolean;
  if (options.yes) {
    options.print(`approval needed for ${step}: approved automatically (--yes) as ${options.approver}`);
    approved = true;
  } else if (options.askApproval) {
    approved = await options.askApproval(`approval needed for ${step} of ${progress.cellId}: press a to approve, r to reject (or run: ${command})`);
  } else {
    options.print(`approval needed for ${step} of ${progress.cellId}: run ${command}`);
    return;
  }
  const outcome = await handle.executeUpdate(approveUpdate, {
    args: [{ step, approved, approver: options.approver, reason: approved ? 'approved during the demonstration' : 'rejected during the demonstration' }],
  });
  options.print(`${approved ? 'approved' : 'rejected'} ${step}: ${outcome.message}`);
}
