/** Shared by the wave deployment tests: starting a rollout, reading its report, the stacks it changed. */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startWaveDeployment } from '../../client/start-procedure';
import type { DeploymentProgress, WaveDeploymentInput, WaveDeploymentReport } from '../../domain/procedures/wave-deployment';
import { deploymentProgressQuery } from '../../workflows/messages';
import type { TestFleet } from '../helpers/procedures-environment';

export const V1_TEMPLATE = 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell.yaml';
export const V2_TEMPLATE = 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell-v2.yaml';

/** The version the tests roll out: a new template and a bigger instance type. */
export const V2 = { label: 'v2', template: { templateUrl: V2_TEMPLATE }, parameters: { InstanceType: 'm7g.xlarge' } };

export function deploymentInput(fleet: TestFleet, extra: Partial<WaveDeploymentInput> = {}): WaveDeploymentInput {
  return { version: V2, reason: 'test: release v2', requestedBy: 'alice@example.com', registry: fleet.registry, ...extra };
}

export async function startDeployment(env: TestWorkflowEnvironment, fleet: TestFleet, extra: Partial<WaveDeploymentInput> = {}): Promise<WorkflowHandle> {
  return await startWaveDeployment(env.client, deploymentInput(fleet, extra));
}

/** The report, whether the rollout completed, was aborted (returned) or rolled back (in the failure's details). */
export async function reportOf(handle: WorkflowHandle): Promise<{ report: WaveDeploymentReport; failure?: ApplicationFailure }> {
  try {
    return { report: (await handle.result()) as WaveDeploymentReport };
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.details?.[0] !== undefined) {
      return { report: err.cause.details[0] as WaveDeploymentReport, failure: err.cause };
    }
    throw err;
  }
}

/**
 * The stack updates sent, in order, as `<stack> <template file>/<InstanceType>`: the template's
 * URL, or the one a body read back from the simulator (GetTemplate) names, or `previous`.
 */
export function stackUpdates(fleet: TestFleet): string[] {
  return fleet.calls
    .list({ command: 'UpdateStack' })
    .map((c) => c.input as { StackName: string; TemplateURL?: string; TemplateBody?: string; Parameters?: { ParameterKey?: string; ParameterValue?: string }[] })
    .map((i) => `${i.StackName} ${(i.TemplateURL ?? urlOfSimulatedBody(i.TemplateBody) ?? 'previous').split('/').pop() ?? ''}/${i.Parameters?.find((p) => p.ParameterKey === 'InstanceType')?.ParameterValue ?? '-'}`);
}

function urlOfSimulatedBody(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  const url: unknown = (JSON.parse(body) as { Metadata?: Record<string, unknown> }).Metadata?.['cellops:simulated-template-url'];
  return typeof url === 'string' ? url : 'body';
}

/** Each cell stack's template file and instance type now. */
export function stackVersions(fleet: TestFleet): Record<string, string> {
  return Object.fromEntries(
    fleet.registry.cells.map((c) => {
      const stack = fleet.fleet.stack(c.stack.name);
      return [c.id, `${(stack?.templateUrl ?? '?').split('/').pop() ?? ''}/${stack?.parameters.InstanceType ?? '-'} ${stack?.status ?? 'missing'}`];
    }),
  );
}

/** Skips time a minute at a time until the rollout's progress satisfies `until`. */
export async function skipUntilDeployment(env: TestWorkflowEnvironment, handle: WorkflowHandle, until: (p: DeploymentProgress) => boolean, maxMinutes = 120): Promise<DeploymentProgress> {
  for (let minute = 0; minute <= maxMinutes; minute += 1) {
    const progress = await handle.query(deploymentProgressQuery);
    if (until(progress)) return progress;
    if (progress.outcome !== 'in-progress') break;
    await env.sleep(60_000);
  }
  throw new Error(`the awaited state did not come; progress: ${JSON.stringify(await handle.query(deploymentProgressQuery))}`);
}
