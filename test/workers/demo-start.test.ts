/**
 * `npm start` as CI runs it: the real package.json script in a child process, one run per
 * scenario with `--exit --yes`, checking the exit code, the summary line, how the procedure
 * started (alarm or command) and the approvals it asked for; and the bad
 * configurations that must end with one message naming what to fix.
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { PROCEDURE_CATALOG } from '../../domain/procedures/catalog';
import { SCENARIOS } from '../../workers/demo/scenarios';
import { exampleRegistry } from '../helpers/procedures-environment';

const ROOT = path.resolve(__dirname, '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** This process's environment without the settings that would point `npm start` elsewhere, and `env` on top. */
function startEnvironment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, TEMPORAL_ADDRESS: undefined, TEMPORAL_PROFILE: undefined, TEMPORAL_CONFIG_FILE: undefined, CELLOPS_REGISTRY: undefined, ...env };
}

/** Runs `npm start -- <args>` from the repository root with `env` on top of this process's environment. */
function npmStart(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent', '--', ...args], {
      cwd: ROOT,
      env: startEnvironment(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs `npm start -- <args>` at a terminal (a pseudo-terminal from util-linux's `script`), and
 * presses `key` at the first approval prompt, as a person at the keyboard would.
 */
function npmStartAtTerminal(args: string[], env: Record<string, string | undefined>, key: string): Promise<Run & { pressed: boolean }> {
  return new Promise((resolve, reject) => {
    const command = ['npm', 'start', '--silent', '--', ...args].join(' ');
    const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
      cwd: ROOT,
      env: startEnvironment(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pressed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!pressed && stdout.includes('press a to approve, r to reject')) {
        pressed = true;
        child.stdin.write(key);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.end();
      // What the terminal showed, without its colours, cursor moves and carriage returns.
      const plain = stripVTControlCharacters(stdout).replace(/\r/g, '');
      resolve({ code, stdout: plain, stderr, pressed });
    });
  });
}

/** A port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

jest.setTimeout(600_000);

/** Procedures with a plan draw a progress bar over their steps; the others list their steps only. */
const hasPlan = (procedure: string): boolean => PROCEDURE_CATALOG.some((e) => e.procedure === procedure);

describe('npm start plays each scenario to its expected end', () => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (name, scenario) => {
    // GIVEN a free port for the embedded dev server
    const port = await freePort();

    // WHEN CI plays the scenario non-interactively (at a higher demo speed, so the whole table runs in minutes on a busy machine)
    const run = await npmStart(['--exit', '--yes', '--speed', '600', '--scenario', name], { CELLOPS_DEV_SERVER_PORT: String(port), CELLOPS_GATEWAY_PORT: '0' });

    // THEN it exits 0 and its last line states the expected outcome and end state of the cell
    const { outcome, cellEndState } = scenario.expected;
    expect(run.stderr).toBe('');
    expect(lastLine(run.stdout)).toMatch(new RegExp(`^scenario ${name}: ${outcome}, cell ${scenario.cellId} ${cellEndState}, (\\d+h \\d\\dm|\\d+m \\d\\ds|\\d+s)$`));
    expect(run.code).toBe(0);
    const workflowId = scenario.workflowId(scenario.registry?.(exampleRegistry()) ?? exampleRegistry());
    if (scenario.startedBy === 'alarm') {
      // The alarm went off, reached the gateway as a signed SNS notification and started the procedure.
      for (const alarm of scenario.alarms) expect(run.stdout).toContain(`CloudWatch alarm ${alarm} → ALARM`);
      expect(run.stdout).toMatch(/SNS → alarm gateway http:\/\/127\.0\.0\.1:\d+\/alarms\/sns: signature verified/);
      expect(run.stdout).toContain(`started ${scenario.starts} as ${workflowId}`);
    } else {
      // No alarm: the person's cellops command (or an operator's program) started it, and said so.
      expect(run.stdout).not.toContain('→ ALARM');
      const started = `started ${scenario.starts}\\b.*(:| as) ${workflowId}$`;
      const by = scenario.startedBy === 'cellops' ? `\\$ cellops ${scenario.command[0]} ` : `startProcedure\\(client, \\{ procedure: '${scenario.starts}'`;
      expect(run.stdout).toMatch(new RegExp(`^${by}.*\\n(.*\\n)*${started}`, 'm'));
    }
    // Each approval gate was answered (here by --yes), and no other.
    const approved = [...run.stdout.matchAll(/^approved (\S+): recorded for step \1: approved by \S+$/gm)].map((m) => m[1]);
    expect(approved).toEqual(scenario.approvals);
    // The procedure drawn as `cellops watch` draws it: progress bar (given a plan; a rollout's counts its cells updated), steps, the report at the end.
    if (hasPlan(scenario.starts)) expect(run.stdout).toMatch(/^\[[#-]{24}\] \d+\/\d+ steps$/m);
    if (scenario.starts === 'waveDeployment') expect(run.stdout).toMatch(/^\[[#-]{24}\] 1\/3 cells updated\nwaves: 1 of 2 passed, wave 1 awaiting approval$/m);
    expect(run.stdout).toMatch(/^Steps:$/m);
    expect(run.stdout).toMatch(new RegExp(`^Report\\n {2}outcome: {5}${outcome}\\n {2}cell: {8}${scenario.cellId}, ${cellEndState}$`, 'm'));
    // The SDK's and the gateway's own logging stayed out of the terminal.
    expect(run.stdout).toMatch(/^ {2}operator console http:\/\/127\.0\.0\.1:\d+\/console$/m);
    expect(run.stdout).toMatch(/^ {2}simulated fleet \(read-only\) (http:\/\/127\.0\.0\.1:\d+): CELLOPS_SIMULATOR_URL=\1 npx cellops fleet$/m);
    expect(run.stdout).not.toMatch(/Worker state changed|asset workflow-bundle|"level":/);
  });
});

describe('npm start at a terminal asks the person at each approval', () => {
  test('a approves: the step is recorded as approved by the demo operator and the cell is decommissioned', async () => {
    const run = await npmStartAtTerminal(['--exit', '--speed', '600', '--scenario', 'replacement'], { CELLOPS_DEV_SERVER_PORT: String(await freePort()), CELLOPS_GATEWAY_PORT: '0' }, 'a');
    expect(run.pressed).toBe(true);
    expect(run.stdout).toMatch(/^approval needed for decommission of cell-002: press a to approve, r to reject \(or run: cellops approve cell-recovery-cell-002 --step decommission --by <you>\)\napproved decommission: recorded for step decommission: approved by operator@demo$/m);
    expect(lastLine(run.stdout)).toMatch(/^scenario replacement: completed, cell cell-002 decommissioned, /);
    expect(run.code).toBe(0);
  });

  test('r rejects: the cell is kept drained, and the run ends short of the scenario\'s expected end (exit 1)', async () => {
    const run = await npmStartAtTerminal(['--exit', '--speed', '600', '--scenario', 'replacement'], { CELLOPS_DEV_SERVER_PORT: String(await freePort()), CELLOPS_GATEWAY_PORT: '0' }, 'r');
    expect(run.pressed).toBe(true);
    expect(run.stdout).toMatch(/^rejected decommission: rejected: decommission will not go ahead$/m);
    expect(run.stdout).toContain('cell-002 is kept drained, not decommissioned: decommissioning rejected by operator@demo: rejected during the demonstration.');
    expect(lastLine(run.stdout)).toMatch(/^scenario replacement: completed, cell cell-002 drained-operator-notified, /);
    expect(run.code).toBe(1);
  });
});

describe('npm start with a bad configuration ends with one message naming what to fix', () => {
  let dir: string;
  let occupied: Server | undefined;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cellops-start-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((resolve) => (occupied ? occupied.close(() => resolve()) : resolve()));
  });

  const expectOneMessage = (run: Run, pattern: RegExp): void => {
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  };

  test('a registry that does not parse names the file and the problem', async () => {
    const file = path.join(dir, 'cells.yaml');
    writeFileSync(file, 'fleet: {name: shop\n');
    expectOneMessage(await npmStart(['--exit', '--yes'], { CELLOPS_REGISTRY: file }), new RegExp(`^cellops: the cell registry ${file} is not valid; fix these entries.*\\n  - line 2`));
  });

  test('a port in use names the port and the variable to change', async () => {
    occupied = createServer();
    await new Promise<void>((resolve) => occupied?.listen(0, '127.0.0.1', resolve));
    const { port } = occupied.address() as { port: number };
    expectOneMessage(await npmStart(['--exit', '--yes'], { CELLOPS_DEV_SERVER_PORT: String(port) }), new RegExp(`^cellops: port ${port} is in use .*CELLOPS_DEV_SERVER_PORT`));
  });

  test('an unreachable TEMPORAL_ADDRESS names the address and what to do', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    expectOneMessage(await npmStart(['--exit', '--yes'], { TEMPORAL_ADDRESS: address }), new RegExp(`^cellops: cannot reach Temporal at ${address} .*TEMPORAL_ADDRESS`));
  });

  test('an unknown scenario lists every available one', async () => {
    const available = SCENARIOS.map((s) => s.name).join(', ');
    expect(available).toBe('restart, replacement, failover, cascade, pitr, deploy, provision');
    expectOneMessage(await npmStart(['--scenario', 'nope']), new RegExp(`^cellops: unknown scenario "nope"\\. Available: ${available}\\n$`));
  });
});
