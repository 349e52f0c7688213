/**
 * The cell lifecycle from the command line, against the dev server: a new cell planned and
 * provisioned from the catalog (`cellops plan|start cellProvisioning --cell <new id>`), then
 * seen by `cellops fleet`; `cellops capacity-watch`: started once per fleet (a second start
 * refused), its status with the cells' load and the watch's decisions, paused (no check taken)
 * and resumed, stopped; usage errors and a fleet without a watch.
 */
import type { CapacityWatchView } from '../../client/data/capacity-watch';
import type { FleetView } from '../../client/data/fleet';
import type { ProcedureView } from '../../client/data/procedure';
import { newCell } from '../../domain/procedures/replacement';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { inProcessCli } from './helpers';

jest.setTimeout(300_000);
const procedures = useProcedureTestEnvironment();

/** The example fleet with cell-001 at twice its capacity (250 rps of 1,500 over three equal weights). */
async function hotCellFleet(): Promise<TestFleet> {
  const base = await createTestFleet(procedures.env);
  const registry = { ...base.registry, cells: base.registry.cells.map((c) => (c.id === 'cell-001' ? { ...c, capacity: 250 } : c)) };
  return await createTestFleet(procedures.env, { registry });
}

describe('cellops on a new cell', () => {
  test('plan and start cellProvisioning under the new id; a registry cell or no id is a usage error; the new cell in the fleet once ready', async () => {
    const fleet = await createTestFleet(procedures.env);
    const cellops = inProcessCli(procedures.env, fleet, { env: { CELLOPS_USER: 'alice@example.com' } });
    const plan = await cellops('plan', 'cellProvisioning', '--cell', 'cell-004');
    expect(plan).toMatchObject({ code: 0, stderr: '' });
    expect(plan.stdout).toContain('cellProvisioning on cell-004 (plan only: nothing is started)');
    expect(plan.stdout).toContain('create stack shop-cell-004 from the cell template');
    expect(await cellops('plan', 'cellProvisioning')).toMatchObject({ code: 2, stderr: 'cellops: cellProvisioning builds a new cell: give its id with --cell <id>\n' });
    expect(await cellops('start', 'cellProvisioning', '--cell', 'cell-002')).toMatchObject({ code: 2, stderr: 'cellops: cell-002 is already a cell of the registry: provision a new cell under a new id\n' });
    expect((await cellops('start', '--help')).stdout).toMatch(/cellProvisioning +add a cell/);

    // A registry that lists the new cell already (added while it ramps up, as its report asks) plans it the same.
    const listing = { ...fleet, registry: { ...fleet.registry, cells: [...fleet.registry.cells, newCell(fleet.registry, 'cell-004', 3)] } };
    const withCell = inProcessCli(procedures.env, listing);
    const views = await procedures.withWorkers(fleet, async () => {
      const started = await cellops('start', 'cellProvisioning', '--cell', 'cell-004', '--reason', 'room for new customers');
      expect(started).toMatchObject({ code: 0, stderr: '' });
      expect(started.stdout).toMatch(/^started cellProvisioning on cell-004: cell-recovery-cell-004\n/);
      const status = JSON.parse((await cellops('status', 'cell-recovery-cell-004', '--json')).stdout) as ProcedureView;
      expect(status.procedure).toBe('cellProvisioning');
      expect(status.upcomingSteps.slice(-2)).toEqual(['ramp-up', 'mark-ready']);
      // Read while it runs, judged once it has ended (an assertion failing here would leave its activities running).
      const listed = JSON.parse((await withCell('status', 'cell-recovery-cell-004', '--json')).stdout) as ProcedureView;
      const listedText = (await withCell('status', 'cell-recovery-cell-004')).stdout;
      await procedures.env.client.workflow.getHandle('cell-recovery-cell-004').result();
      const view = JSON.parse((await cellops('fleet', '--json')).stdout) as FleetView;
      expect(view.cells.find((c) => c.cellId === 'cell-004')).toMatchObject({ inRegistry: false, lifecycle: { state: 'ready' } });
      return { status, listed, listedText };
    });
    // Its progress counts the steps of its plan.
    const { status, listed, listedText } = views;
    expect(status.progress).toEqual({ done: status.steps.filter((s) => s.status === 'done').length, total: 7, unit: 'steps' });
    expect(listed.upcomingSteps.slice(-2)).toEqual(['ramp-up', 'mark-ready']);
    expect(listed.progress).toEqual({ done: listed.steps.filter((s) => s.status === 'done').length, total: 7, unit: 'steps' });
    expect(listedText).toMatch(/^\[[#-]{24}\] \d\/7 steps$/m);
  });
});

describe('cellops capacity-watch', () => {
  test('start (one per fleet), status, pause, resume, stop', async () => {
    const fleet = await hotCellFleet();
    const cellops = inProcessCli(procedures.env, fleet);
    const status = async (): Promise<CapacityWatchView> => {
      const run = await cellops('capacity-watch', 'status', '--json');
      expect(run).toMatchObject({ code: 0, stderr: '' });
      return JSON.parse(run.stdout) as CapacityWatchView;
    };
    await procedures.withWorkers(fleet, async () => {
      const none = await cellops('capacity-watch', 'status');
      expect(none.code).toBe(3);
      expect(none.stderr).toMatch(/no procedure capacity-watch-shop-eu/);

      const started = await cellops('capacity-watch', 'start', '--interval', '60', '--max-scale', '150', '--reason', 'peak season', '--by', 'alice@example.com', '--json');
      expect(started.code).toBe(0);
      expect(JSON.parse(started.stdout)).toMatchObject({ fleet: 'shop-eu', workflowId: 'capacity-watch-shop-eu' });
      const again = await cellops('capacity-watch', 'start', '--by', 'bob@example.com');
      expect(again.code).toBe(4);
      expect(again.stderr).toMatch(/the capacity watch of shop-eu is already running/);

      // One check: cell-001 is hot and scaled up.
      await procedures.env.sleep(90_000);
      const first = await status();
      expect(first.watch).toMatchObject({ state: 'watching', checks: 1, options: { intervalSeconds: 60, scaling: { maxPercent: 150 } } });
      expect(first.watch?.decisions.map((d) => `${d.cellId} ${d.outcome}`)).toEqual(expect.arrayContaining(['cell-001 started']));
      const text = await cellops('capacity-watch', 'status');
      expect(text.stdout).toMatch(/capacity watch of shop-eu: capacity-watch-shop-eu\n {2}watching, 1 check\(s\), last at .*; every 60 s, hot above 80%, room below 60%/);
      expect(text.stdout).toMatch(/cell-001 started: scale cell-001 up from 100% to 150%/);

      // Paused, it takes no check however long; resumed, it carries on.
      expect((await cellops('capacity-watch', 'pause', '--reason', 'maintenance', '--by', 'bob@example.com')).code).toBe(0);
      const paused = (await status()).watch?.checks ?? 0;
      await procedures.env.sleep(5 * 60_000);
      expect((await status()).watch).toMatchObject({ state: 'paused', checks: paused });
      expect((await cellops('capacity-watch', 'resume', '--by', 'bob@example.com')).code).toBe(0);
      await procedures.env.sleep(90_000);
      const resumed = (await status()).watch;
      expect(resumed?.state).toBe('watching');
      expect(resumed?.checks).toBeGreaterThan(paused);

      // Stopped: the workflow ends with its report; what needs it running is refused.
      expect((await cellops('capacity-watch', 'stop', '--by', 'bob@example.com')).code).toBe(2);
      expect((await cellops('capacity-watch', 'stop', '--reason', 'season over', '--by', 'bob@example.com')).code).toBe(0);
      await procedures.env.client.workflow.getHandle('capacity-watch-shop-eu').result();
      const stopped = await cellops('capacity-watch', 'status');
      expect(stopped.stdout).toMatch(/not running \(completed\)/);
      expect((await cellops('capacity-watch', 'pause', '--by', 'bob@example.com')).code).toBe(4);
    });
    expect(fleet.fleet.stack('shop-cell-001')?.parameters).toMatchObject({ CapacityPercent: '150' });
  });

  test('bad options are usage errors and start nothing', async () => {
    const fleet = await createTestFleet(procedures.env);
    const cellops = inProcessCli(procedures.env, fleet);
    const zero = await cellops('capacity-watch', 'start', '--interval', '0', '--by', 'alice@example.com');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--interval expects a whole number above 0, got "0"/);
    expect((await cellops('capacity-watch', 'start', '--threshold', '120', '--by', 'alice@example.com')).code).toBe(2);
    expect((await cellops('capacity-watch', 'sprint')).code).toBe(2);
    expect(fleet.calls.list()).toEqual([]);
  });
});
