/**
 * Starting a procedure the way every entry point must (CLI, alarm gateway, tests): under the
 * cell's recovery id, so a second alarm for a cell already in recovery starts nothing, with
 * the `CellId` and `Procedure` search attributes set at start.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { ProcedureInput } from '../domain/procedures/input';
import type { ProcedureName } from '../domain/procedures/progress';
import { CellAlreadyExistsError, findCell } from '../domain/registry/lookup';
import { CellIdAttribute, ProcedureAttribute } from '../domain/search-attributes';
import { TASK_QUEUE } from '../domain/task-queues';
import type { RouterFailoverInput } from '../domain/procedures/router-failover';
import { ROUTER_ID } from '../domain/procedures/router-failover';
import { capacityWatchWorkflowId, cascadeRecoveryWorkflowId, deploymentWorkflowId, recoveryWorkflowId, routerRecoveryWorkflowId } from '../domain/workflow-ids';
import type { CapacityWatchInput } from '../domain/procedures/capacity-watch';
import type { WaveDeploymentInput } from '../domain/procedures/wave-deployment';
import { FLEET_ID, type CascadeRecoveryInput } from '../domain/procedures/cascade-recovery';

/** A second recovery for a cell that is already in one. */
export class AlreadyInRecoveryError extends Error {
  constructor(
    readonly cellId: string,
    readonly workflowId: string,
    readonly runId: string | undefined,
    /** The procedure running, when it could be read. */
    readonly runningProcedure: string | undefined,
  ) {
    super(`${cellId} is already in recovery: ${workflowId}${runningProcedure ? ` (${runningProcedure})` : ''}`);
    this.name = 'AlreadyInRecoveryError';
  }
}


export { CellAlreadyExistsError };

export interface StartProcedureOptions<I extends ProcedureInput> {
  procedure: ProcedureName;
  input: I;
  /** Default {@link TASK_QUEUE}. */
  taskQueue?: string;
  /** Memo stored with the run (the alarm gateway records which alarm started it). */
  memo?: Record<string, unknown>;
}

/**
 * Starts `procedure` on `input.cellId` with workflow id `cell-recovery-<cellId>` and conflict
 * policy FAIL: while any recovery procedure runs on the cell, a second start fails with
 * {@link AlreadyInRecoveryError} naming the running workflow. A closed one does not block (reuse
 * ALLOW_DUPLICATE): cooldowns between recoveries are the alarm gateway's business.
 * @throws UnknownCellError when the registry has no such cell (before anything is started), or
 * {@link CellAlreadyExistsError} when it is asked to provision one it has.
 */
export async function startProcedure<I extends ProcedureInput>(client: Client, options: StartProcedureOptions<I>): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const { input, procedure } = options;
  // A new cell is provisioned under its own id, which the registry must not list yet.
  if (procedure !== 'cellProvisioning') findCell(input.registry, input.cellId);
  else if (input.registry.cells.some((c) => c.id === input.cellId)) throw new CellAlreadyExistsError(input.cellId);
  const workflowId = recoveryWorkflowId(input.cellId);
  try {
    return await client.workflow.start(procedure, {
      workflowId,
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      memo: options.memo,
      typedSearchAttributes: [
        { key: CellIdAttribute, value: input.cellId },
        { key: ProcedureAttribute, value: procedure },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => ({ runId: d.runId, procedure: d.typedSearchAttributes.get(ProcedureAttribute) ?? d.type }))
      .catch(() => undefined);
    throw new AlreadyInRecoveryError(input.cellId, workflowId, running?.runId, running?.procedure);
  }
}

/**
 * Starts `routerFailover` for the registry's fleet as `router-recovery-<fleet>` with conflict
 * policy FAIL: a second failover while one runs fails with {@link AlreadyInRecoveryError}
 * (cell id `router`). `CellId` is `router`, `Procedure` `routerFailover`.
 */
export async function startRouterFailover(
  client: Client,
  input: RouterFailoverInput,
  taskQueue: string = TASK_QUEUE,
  /** Memo stored with the run (the alarm gateway records which alarm started it). */
  memo?: Record<string, unknown>,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return await startFleetProcedure(client, 'routerFailover', ROUTER_ID, routerRecoveryWorkflowId(input.registry.fleet.name), input, taskQueue, memo);
}

/**
 * Starts `cascadeRecovery` for the registry's fleet as `cascade-recovery-<fleet>` with conflict
 * policy FAIL (a second cascade while one runs fails with {@link AlreadyInRecoveryError}, cell id
 * `fleet`). Its children recover each cell under the cell's own recovery id.
 */
export async function startCascadeRecovery(
  client: Client,
  input: CascadeRecoveryInput,
  taskQueue: string = TASK_QUEUE,
  /** Memo stored with the run (the alarm gateway records which alarm started it). */
  memo?: Record<string, unknown>,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return await startFleetProcedure(client, 'cascadeRecovery', FLEET_ID, cascadeRecoveryWorkflowId(input.registry.fleet.name), input, taskQueue, memo);
}

/**
 * Starts `capacityWatch` for the registry's fleet as `capacity-watch-<fleet>` with conflict
 * policy FAIL: one watch per fleet (a second fails with {@link AlreadyInRecoveryError}, cell id
 * `fleet`). `CellId` is `fleet`, `Procedure` `capacityWatch`.
 */
export async function startCapacityWatch(client: Client, input: CapacityWatchInput, taskQueue: string = TASK_QUEUE): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return await startFleetProcedure(client, 'capacityWatch', FLEET_ID, capacityWatchWorkflowId(input.registry.fleet.name), input, taskQueue, undefined);
}

/** A second deployment of a fleet while one runs. */
export class DeploymentAlreadyRunningError extends Error {
  constructor(readonly workflowId: string) {
    super(`a deployment is already running on this fleet: ${workflowId}; wait for it, or abort it with \`cellops abort ${workflowId}\``);
    this.name = 'DeploymentAlreadyRunningError';
  }
}

/**
 * Starts `waveDeployment` for the registry's fleet as `wave-deployment-<fleet>` with conflict
 * policy FAIL: one rollout per fleet at a time (a second fails with
 * {@link DeploymentAlreadyRunningError}). `CellId` is `fleet`, `Procedure` `waveDeployment`.
 */
export async function startWaveDeployment(client: Client, input: WaveDeploymentInput, taskQueue: string = TASK_QUEUE): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const workflowId = deploymentWorkflowId(input.registry.fleet.name);
  try {
    return await client.workflow.start('waveDeployment', {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: CellIdAttribute, value: FLEET_ID },
        { key: ProcedureAttribute, value: 'waveDeployment' },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    throw new DeploymentAlreadyRunningError(workflowId);
  }
}

/** A procedure of the fleet rather than of one cell: `CellId` is `subject`, one run at a time under `workflowId`. */
async function startFleetProcedure(
  client: Client,
  procedure: 'routerFailover' | 'cascadeRecovery' | 'capacityWatch',
  subject: string,
  workflowId: string,
  input: RouterFailoverInput | CascadeRecoveryInput | CapacityWatchInput,
  taskQueue: string,
  memo: Record<string, unknown> | undefined,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  try {
    return await client.workflow.start(procedure, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      memo,
      typedSearchAttributes: [
        { key: CellIdAttribute, value: subject },
        { key: ProcedureAttribute, value: procedure },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    throw new AlreadyInRecoveryError(subject, workflowId, undefined, procedure);
  }
}
