/**
 * A deployment and a recovery never take the same cell out together: the rollout takes the
 * fleet guard's permit for each cell it updates (released after the wave), so whichever comes
 * second is refused by the guard, with the other named, and nothing is left half done.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startProcedure } from '../../client/start-procedure';
import type { ProcedureReport } from '../../domain/procedures/report';
import type { WaveDeploymentReport } from '../../domain/procedures/wave-deployment';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { skipUntil } from './cell-replacement.helpers';
import { reportOf, skipUntilDeployment, stackUpdates, stackVersions, startDeployment } from './wave-deployment.helpers';

jest.setTimeout(600_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const QUICK = { canaryBakeSeconds: 300, bakeSeconds: 300 };

async function failureOf(result: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw new Error(`expected the workflow to fail, got ${String(err)}`);
  return err.cause;
}

describe('waveDeployment and the fleet guard', () => {
  test('a restart holds the canary: the rollout is refused by the guard before touching any stack, and the restart finishes', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { failure, restart } = await withWorkers(fleet, async () => {
      // GIVEN cell-003 (the canary) is draining for a restart
      const restartHandle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-003') });
      await skipUntil(procedures.env, restartHandle, (p) => p.steps.some((s) => s.name === 'drain-traffic'));
      // WHEN the rollout starts
      const failure = await failureOf((await startDeployment(procedures.env, fleet, QUICK)).result());
      return { failure, restart: (await restartHandle.result()) as ProcedureReport };
    });

    expect(failure.type).toBe('DrainPermitRefused');
    expect(failure.message).toContain('the fleet guard refused to let wave-deployment-shop-eu update cell-003: cell cell-003 is already out of service for cell-recovery-cell-003');
    expect((failure.details?.[0] as WaveDeploymentReport).deployment).toMatchObject({ cellsUpdated: 0, cellsRolledBack: 0, rollbackFailures: [] });
    expect(stackUpdates(fleet).filter((u) => u.includes('cell-v2'))).toEqual([]);
    expect(restart).toMatchObject({ outcome: 'completed', cellEndState: 'in-service' });
    expect(stackVersions(fleet)['cell-003']).toMatch(/^cell\.yaml\/m7g\.large /);
  });

  test('the rollout holds the canary while it bakes: a restart of it is refused, naming the rollout; the rollout completes and gives the permits back', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { refused, report, permitsAfter } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, QUICK);
      await skipUntilDeployment(procedures.env, handle, (p) => p.waves[0].status === 'baking', 10);
      const refused = await failureOf(startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-003') }).then((h) => h.result()));
      const { report } = await reportOf(handle);
      const guard = procedures.env.client.workflow.getHandle('cellops-fleet-guard');
      return { refused, report, permitsAfter: await guard.query<{ holder: string }[]>('drainPermits') };
    });

    expect(refused.type).toBe('DrainPermitRefused');
    expect(refused.message).toBe('the fleet guard refused to let cell-003 out of service: cell cell-003 is being updated by wave-deployment-shop-eu');
    expect(report.deployment.outcome).toBe('completed');
    expect(permitsAfter).toEqual([]);
    expect(report.deployment.waves.map((w) => w.status)).toEqual(['passed', 'passed']);
  });
});
