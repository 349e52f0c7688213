/**
 * `npm start`: plays an incident end to end on the simulated fleet. A fault makes a cell's
 * CloudWatch alarm go to ALARM, the alarm starts a recovery procedure (or, for a planned change
 * no alarm starts, a `cellops` command or a program starts it), the terminal follows it
 * (approvals by key press, or `--yes`), prints its report and a one-line summary, then leaves
 * everything running for inspection until Ctrl-C (or exits with `--exit`). Exit code 0 when
 * the scenario reached its expected end.
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Registry } from '../../domain/registry';
import { loadWorkerConfig } from '../config';
import { configMessage } from './config-errors';
import { defaultLogFile, startDemoEnvironment, type DemoEnvironment } from './environment';
import { followProcedure, startScenario } from './incident';
import { askKey } from './keys';
import { colorEnabled, colors } from '../../client/cli/style';
import { createLiveView, procedureFrame, reportText } from './render';
import { findScenario, SCENARIOS } from './scenarios';
import { reachedExpectedEnd, summaryLine } from './summary';

interface StartOptions {
  scenario: string;
  yes: boolean;
  exit: boolean;
  speed: number;
  approver: string;
}

function parseSpeed(value: string): number {
  const speed = Number(value);
  if (!Number.isFinite(speed) || speed < 1) throw new InvalidArgumentError('expected a number of 1 or more (1: real time)');
  return speed;
}

function parseOptions(argv: string[]): StartOptions {
  const program = new Command('npm start --')
    .description('Plays an incident (or a planned change) on the simulated fleet, end to end.')
    .option('--scenario <name>', `the scenario to play: ${SCENARIOS.map((s) => s.name).join(', ')}`, 'restart')
    .option('--yes', 'approve every approval at once (for non-interactive runs)', false)
    .option('--exit', 'exit when the procedure has ended instead of leaving everything running', false)
    .option('--speed <times>', 'how many times faster than real time waits run on the embedded dev server', parseSpeed, 60)
    .option('--approver <who>', 'who approves (must differ from the requester under four-eyes)', `${process.env.USER ?? 'operator'}@demo`)
    .parse(argv);
  return program.opts<StartOptions>();
}

/** The demonstration's registry: the file's, with approval deadlines stretched so a person has real time to decide at demo speed. */
function demoRegistry(speed: number): (registry: Registry) => Registry {
  return (registry) => {
    const approvals = registry.policies.approvals;
    return {
      ...registry,
      policies: {
        ...registry.policies,
        approvals: { ...approvals, timeoutSeconds: Math.round(approvals.timeoutSeconds * speed), reminderBeforeSeconds: Math.round(approvals.reminderBeforeSeconds * speed) },
      },
    };
  };
}

function banner(env: DemoEnvironment, options: StartOptions, logFile: string): string[] {
  const scenario = findScenario(options.scenario);
  const speed =
    env.speed > 1
      ? `demo speed ${env.speed}×: the server's clock and the fleet's run ${env.speed} times faster than real time while nothing is running (production timings and policies unchanged; approval deadlines stretched ${env.speed}× so you have real time to decide)`
      : 'real time: the configured Temporal server cannot skip time, so the procedure takes as long as it would in production';
  return [
    `cellops demo — scenario ${scenario.name}: ${scenario.story}`,
    `  Temporal ${env.temporalLabel}, namespace ${env.namespace}; simulated fleet ${env.registry.fleet.name} (${env.registry.cells.map((c) => c.id).join(', ')})`,
    `  ${speed}`,
    `  alarm gateway ${env.gateway.url}, subscribed to the simulated SNS topic ${env.sns.topicArn}`,
    ...(env.consoleUrl ? [`  operator console ${env.consoleUrl}`] : []),
    `  simulated fleet (read-only) ${env.simulatorUrl}: CELLOPS_SIMULATOR_URL=${env.simulatorUrl} npx cellops fleet`,
    `  SDK and gateway logs: ${path.relative(process.cwd(), logFile) || logFile}`,
    ...(scenario.approvals.length > 0
      ? [`  it asks for approval of ${scenario.approvals.join(', ')}: ${options.yes ? 'approved at once (--yes)' : 'press a to approve or r to reject when asked, or run the cellops approve command it prints'}`]
      : []),
  ];
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  const scenario = findScenario(options.scenario);
  const config = loadWorkerConfig();
  const logFile = defaultLogFile();
  const adaptRegistry = (registry: Registry): Registry => demoRegistry(options.speed)(scenario.registry?.(registry) ?? registry);
  const env = await startDemoEnvironment({ config: { ...config, aws: 'simulator' }, speed: options.speed, logFile, adaptRegistry });
  let exitCode = 1;
  const isTTY = process.stdout.isTTY === true;
  const c = colors(colorEnabled(isTTY, process.env));
  const live = createLiveView((text) => void process.stdout.write(text), isTTY);
  const print = (line: string): void => live.line(line);
  try {
    for (const line of banner(env, options, logFile)) print(line);
    const handle = await startScenario(env, scenario, print);
    const interactive = !options.yes && process.stdin.isTTY === true;
    const { report, failure } = await followProcedure(handle, {
      yes: options.yes,
      approver: options.approver,
      askApproval: interactive ? (prompt) => askKey(prompt, print) : undefined,
      print,
      // Drawn as `cellops watch` draws it; a run that went on as another (restart → replacement) is followed in its successor.
      render: async (_progress, runId) => {
        const frame = await procedureFrame(env.client, handle.workflowId, { registry: env.registry, colors: c, webUiBaseUrl: env.webUiBaseUrl, runId });
        if (!frame.continuedAsNew) live.frame(frame.text);
      },
    });
    const final = await procedureFrame(env.client, handle.workflowId, { registry: env.registry, colors: c, webUiBaseUrl: env.webUiBaseUrl, ended: true });
    live.frame(final.text);
    live.settle();
    if (report && !final.hasReport) print(reportText(report, c));
    exitCode = report !== undefined && reachedExpectedEnd(scenario, report) ? 0 : 1;
    if (!options.exit) {
      print('everything keeps running for inspection; Ctrl-C to stop.');
      print(`  cellops list                 (Temporal ${env.address}, namespace ${env.namespace})`);
      print(`  alarm gateway                ${env.gateway.url} (/alarms/sns, /healthz, /metrics)`);
      if (env.consoleUrl) print(`  operator console             ${env.consoleUrl}`);
      print(`  CELLOPS_SIMULATOR_URL=${env.simulatorUrl} npx cellops fleet   (live weights and alarms)`);
      print(`  Temporal Web UI              ${env.webUiBaseUrl}/namespaces/${env.namespace}/workflows/${handle.workflowId} (with a UI server: docker compose -f temporal-dev.yml up, or devserver/README.md)`);
    }
    print(summaryLine(scenario, report, failure));
    // Ctrl-C reaches both tsx and this process; every SIGINT just ends the wait (closing is below).
    if (!options.exit) await new Promise<void>((resolve) => process.on('SIGINT', () => resolve()));
    return exitCode;
  } finally {
    await env.close();
  }
}

main(process.argv)
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    const message = configMessage(err);
    if (message !== undefined) {
      process.stderr.write(`cellops: ${message}\n`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
