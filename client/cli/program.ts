/** The `cellops` command line: the commands, global options, help and exit codes. */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_WEB_UI_URL } from '../data/web-ui';
import { registerAbort } from './commands/abort';
import { registerApprove } from './commands/approve';
import { registerCapacityWatch } from './commands/capacity-watch';
import { registerDeploy } from './commands/deploy';
import { registerDrill } from './commands/drill';
import { registerFleet } from './commands/fleet';
import { registerHistory } from './commands/history';
import { registerList } from './commands/list';
import { registerPause } from './commands/pause';
import { registerPlan } from './commands/plan';
import { registerReject } from './commands/reject';
import { registerResume } from './commands/resume';
import { registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { registerWatch } from './commands/watch';
import { commandContext, type CliDeps } from './context';
import { EXIT_CODES_HELP, ExitCode, exitCodeOf } from './exit-codes';
import { colorEnabled } from './style';

const CONNECTION_HELP = `Connection:
  Temporal is found as the temporal CLI finds it (envconfig): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
  TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE, or --address,
  --namespace, --profile; with nothing set, the local dev server on 127.0.0.1:7233
  (CELLOPS_DEV_SERVER_PORT). The registry is CELLOPS_REGISTRY, else ./cells.yaml, else the example.
  Identity: --by, else CELLOPS_USER, else USER. Colour only on a terminal, never with NO_COLOR.`;

/** The program, with its commands bound to `deps`. */
export function buildProgram(deps: CliDeps): Command {
  const { io } = deps;
  const colorOn = colorEnabled(io.isTTY, io.env);
  const webUiUrl = io.env.CELLOPS_WEB_UI_URL || DEFAULT_WEB_UI_URL;
  const ctx = commandContext(deps, webUiUrl, colorOn);
  const program = new Command('cellops')
    .description('Operate cell recovery procedures: start, follow, approve, pause, abort, list, plan.')
    .addOption(new Option('--address <host:port>', 'Temporal frontend address (overrides TEMPORAL_ADDRESS)'))
    .addOption(new Option('--namespace <name>', 'Temporal namespace (overrides TEMPORAL_NAMESPACE)'))
    .addOption(new Option('--profile <name>', 'envconfig profile (overrides TEMPORAL_PROFILE)'))
    .option('--web-ui <url>', `Temporal Web UI base URL for links (CELLOPS_WEB_UI_URL, default ${DEFAULT_WEB_UI_URL})`)
    .addHelpText('after', `\n${CONNECTION_HELP}\n\n${EXIT_CODES_HELP}`)
    .showHelpAfterError('(cellops --help lists the commands)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s) });
  program.hook('preAction', (root) => {
    const url = root.opts<{ webUi?: string }>().webUi;
    if (url) ctx.webUiUrl = url;
  });
  for (const register of [registerStart, registerStatus, registerWatch, registerApprove, registerReject, registerPause, registerResume, registerAbort, registerList, registerPlan, registerHistory, registerFleet, registerDeploy, registerCapacityWatch, registerDrill]) {
    register(program, ctx);
  }
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Runs `cellops` with `argv` (without `node` and the script); returns the exit code. */
export async function runCli(argv: string[], deps: CliDeps): Promise<ExitCode> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeOf(err);
    deps.io.err(`cellops: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitCodeOf(err);
  }
}
