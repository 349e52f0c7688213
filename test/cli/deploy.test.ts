/**
 * `cellops deploy`: the plan of a dry run, a rollout started (one per fleet), usage errors; a
 * running rollout followed with `status` and `watch` (cells updated as the progress bar, the wave
 * under way).
 */
import type { ProcedureView } from '../../client/data/procedure';
import { withRolloutProgress } from '../../client/data/rollout-view';
import { renderProcedure } from '../../client/cli/render/procedure';
import { colors } from '../../client/cli/style';
import type { DeploymentProgress, WaveProgress } from '../../domain/procedures/wave-deployment';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { skipUntilDeployment } from '../workflows/wave-deployment.helpers';
import { inProcessCli } from './helpers';

jest.setTimeout(300_000);
const procedures = useProcedureTestEnvironment();

describe('cellops deploy', () => {
  test('--dry-run prints the waves, the time budget and the checks, and touches nothing', async () => {
    const fleet = await createTestFleet(procedures.env);
    const cellops = inProcessCli(procedures.env, fleet);
    const run = await cellops('deploy', '--version', 'v2', '--template-url', 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell-v2.yaml', '--dry-run', '--by', 'alice@example.com');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.split('\n').slice(0, 4)).toEqual([
      'deploy v2: 3 cell(s) in 2 wave(s), canary, 10 at once, error budget 0',
      '  wave 0 (canary): 1 cell(s) [cell-003], bake 30 min, error rate ≤ 0.5 %, p95 ≤ 400 ms',
      '  wave 1: 2 cell(s) [cell-002, cell-001], bake 15 min, error rate ≤ 1 %, p95 ≤ 500 ms',
      '  time budget: 45 min of bakes',
    ]);
    expect(fleet.calls.list()).toEqual([]);
    const json = await cellops('deploy', '--version', 'v2', '--param', 'InstanceType=m7g.xlarge', '--waves', 'cell-001;cell-002,cell-003', '--approve-waves', '--dry-run', '--json', '--by', 'alice@example.com');
    expect(JSON.parse(json.stdout)).toMatchObject({ strategy: 'rolling', waves: [{ cellIds: ['cell-001'], approval: false }, { cellIds: ['cell-002', 'cell-003'], approval: true }] });
  });

  test('`cellops plan deploy …` prints the very plan `deploy --dry-run` prints, text and JSON, without a server or a fleet call', async () => {
    const fleet = await createTestFleet(procedures.env);
    const unreachable = () => Promise.reject(new Error('plan deploy must not connect to Temporal'));
    const cellops = inProcessCli(procedures.env, fleet, { connect: unreachable });
    const rollout = ['--version', 'v2', '--template-url', 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell-v2.yaml', '--param', 'InstanceType=m7g.xlarge', '--bake', '600', '--error-budget', '1', '--approve-waves'];
    for (const format of [[], ['--json']]) {
      const dryRun = await cellops('deploy', ...rollout, ...format, '--dry-run', '--by', 'alice@example.com');
      const planned = await cellops('plan', 'deploy', ...rollout, ...format);
      expect(planned).toMatchObject({ code: 0, stderr: '' });
      expect(planned.stdout).toBe(dryRun.stdout);
    }
    expect((await cellops('plan', 'deploy', ...rollout)).stdout).toContain('  wave 1: 2 cell(s) [cell-002, cell-001], bake 10 min, error rate ≤ 1 %, p95 ≤ 500 ms, approval first');
    const unknown = await cellops('plan', 'deploy', '--version', 'v2', '--param', 'A=b', '--waves', 'cell-404');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cell-404, which is not in the registry/);
    expect(fleet.calls.list()).toEqual([]);
  });

  test('inside a change freeze `deploy` is refused (4) naming the freeze and its end, nothing started; the plan names the freezes; --wait-for-freeze starts it', async () => {
    const base = await createTestFleet(procedures.env);
    const now = Date.now();
    const end = new Date(now + 86_400_000).toISOString();
    const freeze = { name: 'year-end', reason: 'peak trading', start: new Date(now - 86_400_000).toISOString(), end };
    const fleet = await createTestFleet(procedures.env, { registry: { ...base.registry, policies: { ...base.registry.policies, changeFreezes: [freeze] } } });
    const cellops = inProcessCli(procedures.env, fleet);
    const rollout = ['--version', 'v2', '--param', 'InstanceType=m7g.xlarge', '--by', 'alice@example.com'];
    const refused = await cellops('deploy', ...rollout);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(`not started: inside change freeze year-end (peak trading, ${freeze.start} to ${end}) until ${end}`);
    await expect(procedures.env.client.workflow.getHandle('wave-deployment-shop-eu').describe()).rejects.toThrow(/not found/i);
    expect((await cellops('plan', 'deploy', ...rollout.slice(0, 4))).stdout).toContain('checks: no wave starts inside a change freeze (change freeze year-end (peak trading,');
    const waiting = await cellops('deploy', ...rollout, '--wait-for-freeze', '--json');
    expect(waiting.code).toBe(0);
    expect(JSON.parse(waiting.stdout)).toMatchObject({ workflowId: 'wave-deployment-shop-eu' });
    await procedures.env.client.workflow.getHandle('wave-deployment-shop-eu').terminate('test done');
  });

  test('status and watch show a running rollout\'s cells updated out of its cells as the progress bar, and the wave under way', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    const cellops = inProcessCli(env, fleet);
    const id = 'wave-deployment-shop-eu';
    await procedures.withWorkers(fleet, async () => {
      expect((await cellops('deploy', '--version', 'v2', '--param', 'InstanceType=m7g.xlarge', '--approve-waves', '--by', 'alice@example.com')).code).toBe(0);
      const handle = env.client.workflow.getHandle(id);
      // The canary wave baking: its one cell updated of the fleet's three.
      await skipUntilDeployment(env, handle, (p) => p.waves[0].status === 'baking');
      const canary = JSON.parse((await cellops('status', id, '--json')).stdout) as ProcedureView;
      expect(canary).toMatchObject({ state: 'running', progress: { done: 1, total: 3, unit: 'cells updated' }, waves: { passed: 0, total: 2, current: { index: 0, canary: true, status: 'baking' } } });
      expect((await cellops('status', id)).stdout).toContain('\n[########----------------] 1/3 cells updated\nwaves: 0 of 2 passed, wave 0 (canary) baking\n');
      // The next wave waits for its approval.
      await skipUntilDeployment(env, handle, (p) => p.waves[1].status === 'awaiting-approval');
      expect((await cellops('status', id)).stdout).toContain('\n[########----------------] 1/3 cells updated\nwaves: 1 of 2 passed, wave 1 awaiting approval\n');
      expect((await cellops('approve', id, '--reason', 'canary fine', '--by', 'bob@example.com')).code).toBe(0);
      // watch, a minute of server time between frames: the last wave baking with every cell updated, then the report without a bar.
      const watched = await cellops('watch', id);
      expect(watched.code).toBe(0);
      const frames = watched.stdout.trim().split(/\n\nwaveDeployment on fleet/);
      expect(frames.some((f) => f.includes('\n[########################] 3/3 cells updated\nwaves: 1 of 2 passed, wave 1 baking\n'))).toBe(true);
      expect(frames.at(-1)).toMatch(/ completed\n/);
      expect(frames.at(-1)).not.toContain('cells updated');
    });
  });

  test('a rollout going back (its wave failed or skipped) shows its waves without a bar; an ended one neither', () => {
    const view: ProcedureView = { workflowId: 'wave-deployment-shop-eu', runId: 'r', namespace: 'default', workflowType: 'waveDeployment', status: 'RUNNING', state: 'running', cellId: 'fleet', startTime: '2026-12-02T00:00:00Z', steps: [], traffic: [], decisions: [], upcomingSteps: [] };
    const wave = (index: number, status: WaveProgress['status'], cells: number): WaveProgress => ({ index, canary: index === 0, cells, status, updated: cells, checksPassed: 0 });
    const rollout = (status: WaveProgress['status'], outcome: DeploymentProgress['outcome'] = 'in-progress'): DeploymentProgress => ({
      version: 'v2', strategy: 'canary', outcome, currentWave: 1, waves: [wave(0, 'passed', 1), wave(1, status, 2)], cellsTotal: 3, cellsUpdated: 3, cellsRolledBack: 0, cellFailures: 0, errorBudget: 0, continuedAsNew: 0,
    });
    expect(withRolloutProgress(view, rollout('baking'))).toMatchObject({ progress: { done: 3, total: 3, unit: 'cells updated' }, waves: { passed: 1, total: 2, current: { index: 1, canary: false, status: 'baking' } } });
    for (const status of ['failed', 'skipped'] as const) {
      const back = withRolloutProgress(view, rollout(status));
      expect(back).toEqual({ ...view, waves: { passed: 1, total: 2, current: { index: 1, canary: false, status } } });
      expect(renderProcedure(back, colors(false)).split('\n').slice(2)).toEqual([`waves: 1 of 2 passed, wave 1 ${status}`]);
    }
    expect(withRolloutProgress(view, rollout('rolled-back', 'rolled-back'))).toBe(view);
  });

  test('starts the rollout as wave-deployment-<fleet>; a second one while it runs is refused (4); bad input is a usage error (2)', async () => {
    const fleet = await createTestFleet(procedures.env);
    const cellops = inProcessCli(procedures.env, fleet);
    const started = await cellops('deploy', '--version', 'v2', '--param', 'InstanceType=m7g.xlarge', '--json', '--by', 'alice@example.com');
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ workflowId: 'wave-deployment-shop-eu', plan: { cells: 3 } });
    const again = await cellops('deploy', '--version', 'v3', '--param', 'InstanceType=m7g.2xlarge', '--by', 'alice@example.com');
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/already running on this fleet: wave-deployment-shop-eu/);
    expect((await cellops('deploy', '--version', 'v2', '--param', 'InstanceType', '--by', 'alice@example.com')).code).toBe(2);
    const unknown = await cellops('deploy', '--version', 'v2', '--param', 'A=b', '--waves', 'cell-404', '--by', 'alice@example.com');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cell-404, which is not in the registry/);
    expect((await cellops('deploy', '--version', 'v2', '--by', 'alice@example.com')).stderr).toMatch(/changes nothing/);
  });
});
