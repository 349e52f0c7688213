/** Drain permits from the fleet guard: one call to acquire, one to release. */
import { ApplicationFailure } from '@temporalio/workflow';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import { fleetCapacity } from '../../domain/registry/lookup';
import { guard } from './proxies';
import { stepToken, type ProcedureContext } from './context';

/**
 * Asks the fleet guard for permission to take the cell out of service. The holder is the
 * workflow id, so a procedure this one continues as (an escalation) already holds it.
 * @throws ApplicationFailure `DrainPermitRefused` (non-retryable) with the guard's reason.
 */
export async function acquireDrainPermit(ctx: ProcedureContext): Promise<{ alreadyHeld: boolean }> {
  const { blastRadius } = ctx.registry.policies;
  const verdict = await guard.requestDrainPermit({
    requestToken: stepToken('drain-permit'),
    holder: ctx.workflowId,
    cellId: ctx.cell.id,
    capacity: ctx.cell.capacity,
    limits: { ...blastRadius, fleetCapacity: fleetCapacity(ctx.registry) },
  });
  if (!verdict.granted) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.DrainPermitRefused,
      nonRetryable: true,
      message: `the fleet guard refused to let ${ctx.cell.id} out of service: ${verdict.reason}`,
      details: [{ cellId: ctx.cell.id, reason: verdict.reason }],
    });
  }
  return { alreadyHeld: verdict.alreadyHeld };
}

/** Gives the permit back; a permit not held (a repeat) is fine. */
export async function releaseDrainPermit(ctx: ProcedureContext): Promise<void> {
  await guard.releaseDrainPermit({ requestToken: stepToken('drain-permit-release'), holder: ctx.workflowId, cellId: ctx.cell.id });
}
