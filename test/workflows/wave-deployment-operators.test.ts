/**
 * Wave deployment and its operators: the approval before a wave (four-eyes, approve, reject,
 * time out), pause and resume between steps, abort mid-bake (which rolls back).
 */
import { abortSignal, deploymentProgressQuery, pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { awaitingApproval, decide, saveHistoryIfAsked, skipUntil } from './cell-replacement.helpers';
import { reportOf, skipUntilDeployment, stackUpdates, stackVersions, startDeployment } from './wave-deployment.helpers';

jest.setTimeout(600_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const QUICK = { canaryBakeSeconds: 300, bakeSeconds: 300 };
const V1 = 'cell.yaml/m7g.large';

describe('waveDeployment approvals', () => {
  test('approval before the wave after the canary: the requester may not approve (four-eyes), another person does; who and why are in the report', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { report, refusal } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, { ...QUICK, approveWaves: true });
      // WHEN the canary passed and the rollout waits for approval of wave 1
      const waiting = await skipUntil(procedures.env, handle, awaitingApproval('wave-1'));
      expect((await handle.query(deploymentProgressQuery)).waves.map((w) => w.status)).toEqual(['passed', 'awaiting-approval']);
      expect(waiting.state).toBe('awaiting-approval');
      // AND the requester tries to approve it, then bob does
      const refusal = await decide(handle, 'wave-1', true, 'alice@example.com', 'looks fine').catch((err: unknown) => err);
      await decide(handle, 'wave-1', true, 'bob@example.com', 'canary metrics clean');
      const outcome = await reportOf(handle);
      await saveHistoryIfAsked(handle, 'waveDeployment-approved-wave');
      return { ...outcome, refusal };
    });
    expect((refusal as { cause?: Error }).cause?.message).toMatch(/four-eyes policy: alice@example.com requested this procedure/);
    expect(report.deployment.outcome).toBe('completed');
    expect(report.deployment.waves[1].approvedBy).toEqual(['bob@example.com']);
    expect(report.decisions.map((d) => [d.approver, d.step, d.approved, d.reason, d.outcome])).toEqual([['bob@example.com', 'wave-1', true, 'canary metrics clean', 'accepted']]);
    expect(report.steps.map((s) => s.name)).toEqual(['wave-0-update-0', 'wave-0-bake', 'approve-wave-1', 'wave-1-update-0', 'wave-1-bake', 'notify-completed']);
  });

  test('a rejected wave stops the rollout as an abort does: the canary is rolled back, the report says who rejected it and why', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { report, failure } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, { ...QUICK, approveWaves: true });
      await skipUntil(procedures.env, handle, awaitingApproval('wave-1'));
      await decide(handle, 'wave-1', false, 'bob@example.com', 'latency looks odd');
      return await reportOf(handle);
    });
    expect(failure).toBeUndefined();
    expect(report.outcome).toBe('aborted');
    expect(report.deployment.outcome).toBe('aborted');
    expect(report.error).toMatch(/wave-1 was rejected by bob@example.com: latency looks odd/);
    expect(stackUpdates(fleet)).toEqual(['shop-cell-003 cell-v2.yaml/m7g.xlarge', `shop-cell-003 ${V1}`]);
  });

  test('nobody approves in time: the policy says abort, the canary is rolled back', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { report } = await withWorkers(fleet, async () => reportOf(await startDeployment(procedures.env, fleet, { ...QUICK, approveWaves: true })));
    expect(report.deployment.outcome).toBe('aborted');
    expect(report.error).toMatch(/nobody approved wave-1 in time/);
    expect(stackVersions(fleet)['cell-003']).toBe(`${V1} UPDATE_COMPLETE`);
  });
});

describe('waveDeployment pause, resume and abort', () => {
  test('paused during the canary bake, the rollout holds before wave 1 until resumed, then completes', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { report, held } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, QUICK);
      await skipUntilDeployment(procedures.env, handle, (p) => p.waves[0].status === 'baking');
      await handle.signal(pauseSignal, { requestedBy: 'bob@example.com', reason: 'checking dashboards' });
      await procedures.env.sleep(30 * 60_000);
      const held = { deployment: await handle.query(deploymentProgressQuery), progress: await handle.query(progressQuery), updates: stackUpdates(fleet).length };
      await handle.signal(resumeSignal);
      return { report: (await reportOf(handle)).report, held };
    });
    expect(held.progress.state).toBe('paused');
    expect(held.deployment.waves.map((w) => w.status)).toEqual(['passed', 'pending']);
    expect(held.updates).toBe(1);
    expect(report.deployment.outcome).toBe('completed');
  });

  test('abort mid-bake of wave 1 rolls back every updated cell and returns the report', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { report } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, { ...QUICK, bakeSeconds: 1800 });
      await skipUntilDeployment(procedures.env, handle, (p) => p.waves[1]?.status === 'baking');
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'customer incident elsewhere' });
      const outcome = await reportOf(handle);
      await saveHistoryIfAsked(handle, 'waveDeployment-abort-mid-bake');
      return outcome;
    });
    expect(report.outcome).toBe('aborted');
    expect(report.deployment.outcome).toBe('aborted');
    expect(report.error).toMatch(/aborted by bob@example.com: customer incident elsewhere/);
    expect(report.deployment.cellsRolledBack).toBe(3);
    expect(stackUpdates(fleet).slice(3)).toEqual([`shop-cell-001 ${V1}`, `shop-cell-002 ${V1}`, `shop-cell-003 ${V1}`]);
    expect(Object.values(stackVersions(fleet))).toEqual([`${V1} UPDATE_COMPLETE`, `${V1} UPDATE_COMPLETE`, `${V1} UPDATE_COMPLETE`]);
  });
});
