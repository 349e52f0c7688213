/**
 * `cellops`, each command against the dev server (time skipping) with procedures running on the
 * simulated fleet: run in process with captured output (text and `--json`), and the real bin
 * spawned as an operator runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import { processDeps } from '../../client/cli/deps';
import { runCli } from '../../client/cli/program';
import { getProcedure } from '../../client/data/procedure';
import { getFleetView } from '../../client/data/fleet';
import { createAwsFleetReader } from '../../client/data/aws-fleet-reader';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { awaitingApproval, skipUntil } from '../workflows/cell-replacement.helpers';
import { inProcessCli } from './helpers';

const procedures = useProcedureTestEnvironment();
const BIN = path.resolve(__dirname, '../../client/cli/bin/cellops');
const ID = 'cell-recovery-cell-002';

/** Runs the real executable; resolves with its exit code and output (never rejects on a non-zero exit). */
async function spawnCellops(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(BIN, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('cellops on a cell replacement', () => {
  test('start, status, list, fleet, approve (refused, then given), watch to the report, history', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
    const cellops = inProcessCli(env, fleet, { env: { CELLOPS_USER: 'alice@example.com', CELLOPS_WEB_UI_URL: 'http://temporal-ui.example.com:8080/' } });

    await procedures.withWorkers(fleet, async () => {
      // start: the id, the Web UI link, how to follow it
      const started = await cellops('start', 'cellReplacement', '--cell', 'cell-002', '--reason', 'cell-002 HighErrorRate');
      expect(started).toMatchObject({ code: 0, stderr: '' });
      expect(started.stdout).toMatch(/^started cellReplacement on cell-002: cell-recovery-cell-002\n {2}Web UI: http:\/\/temporal-ui\.example\.com:8080\/namespaces\/default\/workflows\/cell-recovery-cell-002\/[0-9a-f-]+\/history\n {2}follow it: cellops watch cell-recovery-cell-002\n$/);
      const again = await cellops('start', 'cellRestart', '--cell', 'cell-002', '--json');
      expect(again).toMatchObject({ code: 4, stdout: '' });
      expect(again.stderr).toBe('cellops: cell-002 is already in recovery: cell-recovery-cell-002 (cellReplacement)\n');

      await skipUntil(env, env.client.workflow.getHandle(ID), awaitingApproval('decommission'));

      // status: ticks and durations, the current step, the bar, traffic, the approval and its command
      const status = await cellops('status', ID);
      expect(status.code).toBe(0);
      const out = status.stdout;
      expect(out).toContain(`cellReplacement on cell-002  ${ID}  awaiting-approval`);
      expect(out).toContain('requested by alice@example.com');
      expect(out).toContain('[##################------] 9/12 steps');
      expect(out).toMatch(/ {2}✓ acquire-drain-permit +\d+\.\ds\n/);
      expect(out).toMatch(/ {2}✓ reroute-traffic +(\d+m \d\ds|\d+s)\n/);
      expect(out).toMatch(/ {2}▶ approve-decommission +since 20\d\d-\d\d-\d\d \d\d:\d\d:\d\dZ\n/);
      expect(out).toContain('  · decommission-failed-cell\n  · release-drain-permit\n');
      expect(out).toMatch(/Traffic:\n {2}cell-002: weight 100 → 0 \(now 0, observed share \d+\.\d% \(expected 0\.0%\), .*\)\n {2}cell-002-r: weight 25 → 50 → 75 → 100 \(now 100, /);
      expect(out).toMatch(/Awaiting approval: decommission until .* \(then abort\)\n {2}approvals: 0 of 1\n/);
      expect(out).toContain(`  approve: cellops approve ${ID} --reason '<why>' --by <you>\n  reject:  cellops reject ${ID} --reason '<why>' --by <you>`);
      expect(out).not.toContain('\u001b[');
      // --json: the same data the console reads
      const json = JSON.parse((await cellops('status', ID, '--json')).stdout) as Record<string, unknown>;
      const view = await getProcedure(env.client, ID, { registry: fleet.registry });
      expect(json).toEqual(JSON.parse(JSON.stringify(view)));
      expect(json).toMatchObject({ state: 'awaiting-approval', pendingApproval: { step: 'decommission', approvalsNeeded: 1, approvers: [] }, progress: { done: 9, total: 12 } });

      // list: a table through the search attributes; --json
      const listed = await cellops('list', '--cell', 'cell-002', '--status', 'running', '--step', 'approve-decommission');
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/│ cell-recovery-cell-002 │ cellReplacement │ cell-002 │ approve-decommission │ RUNNING │/);
      expect(JSON.parse((await cellops('list', '--procedure', 'cellReplacement', '--json')).stdout)).toMatchObject({ query: 'Procedure = "cellReplacement"', rows: [{ workflowId: ID, step: 'approve-decommission' }] });
      expect((await cellops('list', '--cell', 'cell-001')).stdout).toBe('no procedures match (CellId = "cell-001")\n');

      // fleet: live weights and health, the procedure on cell-002
      const fleetOut = await cellops('fleet');
      expect(fleetOut.code).toBe(0);
      expect(fleetOut.stdout).toContain('shop-eu (eu-west-1), live values from the test fleet');
      expect(fleetOut.stdout).toMatch(/│ cell-001 │ eu-west-1 │ 100 \/ 100 +│ ok +│ 420 +│ +│/);
      expect(fleetOut.stdout).toMatch(/│ cell-002 │ eu-west-1 │ 0 \/ 100 +│ ALARM cell-002-High\w+ +│ 380 +│ cellReplacement \(approve-decommission\) │/);
      const fleetJson = JSON.parse((await cellops('fleet', '--json')).stdout) as unknown;
      expect(fleetJson).toEqual(JSON.parse(JSON.stringify(await getFleetView(env.client, { registry: fleet.registry, reader: createAwsFleetReader(fleet.clients, 'the test fleet') }))));

      // approve: the requester is refused under four-eyes, with the reason; nothing changes
      const refused = await cellops('approve', ID, '--reason', 'looks good');
      expect(refused).toMatchObject({ code: 4, stdout: '' });
      expect(refused.stderr).toBe(`cellops: approval refused by ${ID}: four-eyes policy: alice@example.com requested this procedure and cannot approve it\n`);
      expect((await cellops('approve', ID)).code).toBe(2);
      const approved = await cellops('approve', ID, '--reason', 'replacement checked', '--by', 'bob@example.com');
      expect(approved).toMatchObject({ code: 0, stderr: '' });
      expect(approved.stdout).toMatch(/^approved decommission of cell-recovery-cell-002 as bob@example.com: recorded for step decommission/);

      // watch: redrawn until the end, then the report
      const watched = await cellops('watch', ID, '--interval', '1');
      expect(watched.code).toBe(0);
      const frames = watched.stdout.trim().split(/\n\ncellReplacement on cell-002/);
      const last = frames[frames.length - 1];
      expect(last).toContain('completed');
      expect(last).toMatch(/Report\n {2}outcome: +completed\n {2}cell: +cell-002, decommissioned\n/);
      expect(last).toContain('  ✓ decommission-failed-cell');
      expect(last).toContain('  customers:   380 affected');

      // history: a file a replay test loads
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'cellops-history-')), 'replacement.json');
      const exported = await cellops('history', ID, '--out', file);
      expect(exported.code).toBe(0);
      expect(exported.stderr).toMatch(new RegExp(`^wrote \\d+ events of ${ID} to ${file}\\n$`));
      await Worker.runReplayHistory({ workflowBundle: procedures.bundle }, JSON.parse(readFileSync(file, 'utf8')));
    });
  }, 180_000);

  test('pause, resume, abort, and their refusals', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    const cellops = inProcessCli(env, fleet, { env: { USER: 'carol' } });
    await procedures.withWorkers(fleet, async () => {
      expect((await cellops('start', 'cellRestart', '--cell', 'cell-003', '--json')).code).toBe(0);
      const id = 'cell-recovery-cell-003';
      const handle = env.client.workflow.getHandle(id);
      const paused = await cellops('pause', id, '--reason', 'wait for the deploy freeze', '--json');
      expect(JSON.parse(paused.stdout)).toEqual({ workflowId: id, action: 'pause', by: 'carol', reason: 'wait for the deploy freeze' });
      await skipUntil(env, handle, (p) => p.state === 'paused', 5);
      expect((await cellops('status', id)).stdout).toContain(`cellRestart on cell-003  ${id}  paused`);
      const noApproval = await cellops('reject', id, '--reason', 'no');
      expect(noApproval).toMatchObject({ code: 4 });
      expect(noApproval.stderr).toMatch(/^cellops: rejection refused by cell-recovery-cell-003: no approval is pending \(state paused/);
      expect(await cellops('resume', id)).toMatchObject({ code: 0, stdout: `resume sent to ${id}\n` });
      expect((await cellops('abort', id)).code).toBe(2);
      expect((await cellops('abort', id, '--reason', 'drill over')).code).toBe(0);
      await handle.result();
      const ended = await cellops('status', id);
      expect(ended.stdout).toMatch(/Report\n {2}outcome: +aborted\n {2}cell: +cell-003, in-service\n/);
      const late = await cellops('pause', id);
      expect(late).toMatchObject({ code: 4, stderr: `cellops: pause refused by ${id}: it is not running (completed)\n` });
    });
  }, 120_000);

  test('errors a person can act on: no such workflow (3), usage (2), cannot connect (5); colour only on a terminal without NO_COLOR', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    const cellops = inProcessCli(env, fleet, { env: { USER: 'dave' } });
    expect(await cellops('status', 'cell-recovery-nope')).toMatchObject({ code: 3, stderr: 'cellops: no procedure cell-recovery-nope in namespace default; `cellops list` shows the procedures there are\n' });
    expect((await cellops('history', 'cell-recovery-nope', '--out', '/tmp/x.json')).code).toBe(3);
    expect(await cellops('start', 'cellRestart', '--cell', 'cell-999')).toMatchObject({ code: 2, stderr: 'cellops: unknown cell "cell-999"; the registry has cell-001, cell-002, cell-003\n' });
    expect(await cellops('start', 'cellRestart')).toMatchObject({ code: 2, stderr: 'cellops: cellRestart acts on one cell: give --cell <id>\n' });
    expect((await cellops('list', '--status', 'asleep')).code).toBe(2);
    expect((await cellops('frobnicate')).code).toBe(2);
    expect(await cellops('--help')).toMatchObject({ code: 0 });
    expect((await cellops('--help')).stdout).toContain('4  refused: the procedure said no');

    // Cannot connect: the real connection code, to a port nobody listens on.
    const io = { out: () => undefined, err: (t: string) => void (stderr += t), isTTY: false, env: { CELLOPS_DEV_SERVER_PORT: '1' } };
    let stderr = '';
    expect(await runCli(['list'], processDeps(io))).toBe(5);
    expect(stderr).toMatch(/^cellops: cannot connect to Temporal at 127\.0\.0\.1:1 \(namespace default; chosen by: nothing configured, so the local dev server\)/);

    // Colour: on a terminal, not with NO_COLOR.
    const plan = ['plan', 'cellRestart', '--cell', 'cell-001'];
    expect((await inProcessCli(env, fleet, { isTTY: true })(...plan)).stdout).toContain('\u001b[');
    expect((await inProcessCli(env, fleet, { isTTY: true, env: { NO_COLOR: '1' } })(...plan)).stdout).not.toContain('\u001b[');
    const planJson = JSON.parse((await cellops(...plan, '--json')).stdout) as { steps: { name: string }[] };
    expect(planJson.steps.map((s) => s.name)).toContain('drain-traffic');
  });

  test('procedures of the fleet: planned and started without --cell (a cell given to them is a usage error), status plans the cascade\'s steps still to come', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
    await env.sleep(4 * 60_000);
    const cellops = inProcessCli(env, fleet, { env: { CELLOPS_USER: 'alice@example.com' } });

    const plan = await cellops('plan', 'cascadeRecovery');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('cascadeRecovery on fleet (plan only: nothing is started)');
    expect(plan.stdout).toContain('only if cell-002 is found failed');
    expect(plan.stdout).toContain("Blast radius: each failed cell's own procedure asks the fleet guard for a drain permit");
    expect(JSON.parse((await cellops('plan', 'routerFailover', '--json')).stdout)).toMatchObject({ procedure: 'routerFailover', cellId: 'router' });
    expect(await cellops('plan', 'routerFailover', '--cell', 'cell-002')).toMatchObject({ code: 2, stderr: 'cellops: routerFailover acts on the whole fleet (router), not on one cell: leave out --cell\n' });
    expect((await cellops('start', '--help')).stdout).toMatch(/cascadeRecovery +several cells failed at once/);

    await procedures.withWorkers(fleet, async () => {
      const started = await cellops('start', 'cascadeRecovery', '--reason', 'cell-002 and cell-003 in ALARM');
      expect(started).toMatchObject({ code: 0, stderr: '' });
      expect(started.stdout).toMatch(/^started cascadeRecovery on fleet: cascade-recovery-shop-eu\n/);
      const again = await cellops('start', 'cascadeRecovery', '--cell', 'fleet');
      expect(again).toMatchObject({ code: 4, stderr: 'cellops: fleet is already in recovery: cascade-recovery-shop-eu (cascadeRecovery)\n' });
      const handle = env.client.workflow.getHandle('cascade-recovery-shop-eu');
      await skipUntil(env, handle, awaitingApproval('emergency-capacity'));
      const status = JSON.parse((await cellops('status', 'cascade-recovery-shop-eu', '--json')).stdout) as Record<string, unknown>;
      expect(status).toMatchObject({
        procedure: 'cascadeRecovery',
        cellId: 'fleet',
        state: 'awaiting-approval',
        upcomingSteps: ['open-circuit-breakers', 'wait-fleet-stable', 'close-circuit-breakers', 'lift-load-shedding', 'validate-system', 'notify-done'],
        progress: { done: 2, total: 9 },
      });
      const listed = JSON.parse((await cellops('list', '--procedure', 'cascadeRecovery', '--json')).stdout) as { rows: unknown[] };
      expect(listed.rows).toEqual([expect.objectContaining({ workflowId: 'cascade-recovery-shop-eu', cellId: 'fleet', step: 'approve-emergency-capacity' })]);
      await handle.terminate('test over');
    });
  });

  test('the real bin (npx cellops): status --json and a refused approval against a running procedure', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
    const cellops = inProcessCli(env, fleet, { env: { USER: 'alice@example.com' } });
    await procedures.withWorkers(fleet, async () => {
      await cellops('start', 'cellReplacement', '--cell', 'cell-002');
      await skipUntil(env, env.client.workflow.getHandle(ID), awaitingApproval('decommission'));
      const registry = path.resolve(__dirname, '../../cells.example.yaml');
      const [status, refused] = await Promise.all([
        spawnCellops(['status', ID, '--json', '--address', env.address], { CELLOPS_REGISTRY: registry }),
        spawnCellops(['approve', ID, '--reason', 'mine', '--address', env.address], { CELLOPS_USER: 'alice@example.com', CELLOPS_REGISTRY: registry }),
      ]);
      expect(status).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(status.stdout)).toMatchObject({ workflowId: ID, status: 'RUNNING', state: 'awaiting-approval', pendingApproval: { step: 'decommission' } });
      expect(refused).toMatchObject({ code: 4, stdout: '' });
      expect(refused.stderr).toContain('four-eyes policy: alice@example.com requested this procedure and cannot approve it');
    });
  }, 120_000);
});
