/**
 * Wave deployment and the registry's change freezes, on the dev server with time skipping: a
 * rollout is refused inside a freeze, or waits for its end on a durable timer, and a freeze
 * that begins mid-rollout holds the next wave without cutting the bake under way short.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ChangeFreeze, Registry } from '../../domain/registry/schema';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { reportOf, skipUntilDeployment, stackUpdates, startDeployment } from './wave-deployment.helpers';

jest.setTimeout(600_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The fleet's registry with one absolute freeze, `fromMin` to `toMin` minutes from the fleet's start. */
function withFreeze(fleet: TestFleet, fromMin: number, toMin: number): { registry: Registry; freeze: ChangeFreeze; endsAt: number } {
  const start = fleet.clock.now();
  const freeze: ChangeFreeze = { name: 'year-end', reason: 'peak trading', start: iso(start + fromMin * MINUTE), end: iso(start + toMin * MINUTE) };
  return { registry: { ...fleet.registry, policies: { ...fleet.registry.policies, changeFreezes: [freeze] } }, freeze, endsAt: start + toMin * MINUTE };
}

const stepAt = (steps: { name: string; startedAt: string; endedAt?: string }[], name: string) => steps.find((s) => s.name === name);

describe('waveDeployment change freezes', () => {
  test('inside a freeze the rollout is refused (ChangeFrozen) naming the freeze and its end; no stack is touched', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { registry, endsAt } = withFreeze(fleet, -60, 180);

    const failure = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, { registry });
      return await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
    });

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('ChangeFrozen');
    expect(cause.message).toContain(`not started: inside change freeze year-end (peak trading, `);
    expect(cause.message).toContain(`until ${new Date(endsAt).toISOString()}`);
    expect(fleet.calls.list({ service: 'cloudformation' })).toEqual([]);
  });

  test('onFreeze: wait holds the first wave on a timer until the freeze ends, visible in the progress; then the rollout runs', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { registry, endsAt } = withFreeze(fleet, -60, 180);

    const { waiting, report } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, { registry, onFreeze: 'wait', canaryBakeSeconds: 300, bakeSeconds: 300 });
      const waiting = await skipUntilDeployment(procedures.env, handle, (p) => p.waitingForFreeze !== undefined, 5);
      expect(fleet.calls.list({ command: 'UpdateStack' })).toEqual([]);
      return { waiting, report: (await reportOf(handle)).report };
    });

    expect(waiting.waitingForFreeze).toMatchObject({ freezes: ['year-end'], until: new Date(endsAt).toISOString() });
    expect(waiting.waves[0].status).toBe('waiting-for-freeze');
    expect(report.deployment.outcome).toBe('completed');
    expect(report.steps.map((s) => s.name)).toEqual(['wave-0-freeze', 'wave-0-update-0', 'wave-0-bake', 'wave-1-update-0', 'wave-1-bake', 'notify-completed']);
    expect(Date.parse(stepAt(report.steps, 'wave-0-update-0')?.startedAt ?? '')).toBeGreaterThanOrEqual(endsAt);
    expect(Math.min(...fleet.calls.list({ command: 'UpdateStack' }).map((c) => c.at))).toBeGreaterThanOrEqual(endsAt);
  });

  test('a freeze that begins during the canary bake lets the bake finish, then holds wave 1 until it ends', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { registry, endsAt } = withFreeze(fleet, 10, 90);

    const { report, progress } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, { registry, canaryBakeSeconds: 1800, bakeSeconds: 300 });
      const progress = await skipUntilDeployment(procedures.env, handle, (p) => p.waitingForFreeze !== undefined, 60);
      return { progress, report: (await reportOf(handle)).report };
    });

    expect(progress.waves.map((w) => [w.status, w.checksPassed])).toEqual([
      ['passed', 30],
      ['waiting-for-freeze', 0],
    ]);
    expect(report.deployment.outcome).toBe('completed');
    expect(report.steps.map((s) => s.name)).toEqual(['wave-0-update-0', 'wave-0-bake', 'wave-1-freeze', 'wave-1-update-0', 'wave-1-bake', 'notify-completed']);
    expect(Date.parse(stepAt(report.steps, 'wave-0-bake')?.endedAt ?? '')).toBeLessThan(endsAt);
    const wave1Updates = fleet.calls.list({ command: 'UpdateStack' }).slice(1);
    expect(wave1Updates).toHaveLength(2);
    for (const call of wave1Updates) expect(call.at).toBeGreaterThanOrEqual(endsAt);
    expect(stackUpdates(fleet)).toHaveLength(3);
  });
});
