/**
 * What the router failover tests share: starting it on a test fleet whose primary router has
 * been failing for a few minutes, and reading the weights it wrote.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startRouterFailover } from '../../client/start-procedure';
import type { RouterFailoverInput } from '../../domain/procedures/router-failover';
import type { TestFleet } from '../helpers/procedures-environment';

/** Starts `routerFailover` on `fleet` the way every entry point does. */
export async function startFailover(env: TestWorkflowEnvironment, fleet: TestFleet, extra: Partial<RouterFailoverInput> = {}): Promise<WorkflowHandle> {
  return await startRouterFailover(env.client, { reason: 'test: router-HighErrorRate in ALARM', requestedBy: 'alice@example.com', registry: fleet.registry, ...extra });
}

/** Lets the server's (and so the fleet's) time run `minutes`, so a fault injected now shows in whole minutes of metrics and in the alarms. */
export async function letFaultShow(env: TestWorkflowEnvironment, minutes = 4): Promise<void> {
  await env.sleep(minutes * 60_000);
}

/** The weights written to the router's two records, in order, as `primary/fallback` pairs. */
export function routerWeightsWritten(fleet: TestFleet): string[] {
  return fleet.calls.list({ command: 'ChangeResourceRecordSets' }).flatMap((c) => {
    const changes = (c.input as { ChangeBatch: { Changes: { ResourceRecordSet: { SetIdentifier: string; Weight: number } }[] } }).ChangeBatch.Changes;
    const weight = (id: string) => changes.find((ch) => ch.ResourceRecordSet.SetIdentifier === id)?.ResourceRecordSet.Weight;
    const primary = weight('router-primary');
    return primary === undefined ? [] : [`${primary}/${weight('router-fallback') ?? '-'}`];
  });
}
