import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ChangePermitsRelease, ChangePermitsRequest, ChangePermitsVerdict, DrainPermit, DrainPermitRelease, DrainPermitReleased, DrainPermitRequest, PermitVerdict } from '../domain/procedures/drain-permits';
import { TASK_QUEUE } from '../domain/task-queues';
import { FLEET_GUARD_WORKFLOW_ID } from '../domain/workflow-ids';
import type { CellLifecycleRecord } from '../domain/procedures/cell-lifecycle';
import { drainPermitsQuery, recordCellStateUpdate, releaseChangePermitsUpdate, releaseDrainPermitUpdate, requestChangePermitsUpdate, requestDrainPermitUpdate } from '../workflows/messages';
import { throwIfCancelled } from './aws-call';

/** How often an activity waiting for the guard heartbeats (the worker throttles what it sends). */
const GUARD_WAIT_HEARTBEAT_MS = 5_000;

export interface RequestDrainPermitInput extends DrainPermitRequest {
  /** Kept for uniformity; the guard deduplicates by holder and cell. */
  requestToken: string;
}

export interface ReleaseDrainPermitInput extends DrainPermitRelease {
  requestToken: string;
}

export interface RequestChangePermitsInput extends ChangePermitsRequest {
  /** Kept for uniformity; the guard deduplicates by holder and cell. */
  requestToken: string;
}

export interface ReleaseChangePermitsInput extends ChangePermitsRelease {
  requestToken: string;
}

export interface RecordCellStateInput {
  requestToken: string;
  record: CellLifecycleRecord;
}

/** Talking to the fleet guard workflow (`fleetGuard`). */
export interface FleetGuardActivities {
  /**
   * Asks the guard for a drain permit with the `requestDrainPermit` update, starting the guard
   * first if it is not running. A repeat by the same holder for the same cell is granted again
   * (`alreadyHeld`), so a retry is harmless.
   */
  requestDrainPermit(input: RequestDrainPermitInput): Promise<PermitVerdict>;
  /** Gives a permit back with the `releaseDrainPermit` update; a permit not held is a no-op. */
  releaseDrainPermit(input: ReleaseDrainPermitInput): Promise<DrainPermitReleased>;
  /**
   * The permits the guard holds now (the `drainPermits` query), starting the guard first if it
   * is not running. Reads only: a procedure uses it to know beforehand whether a permit would be
   * refused, and why.
   */
  heldDrainPermits(): Promise<DrainPermit[]>;
  /**
   * Asks the guard for change permits on a batch of cells (the `requestChangePermits` update):
   * a deployment updating them in service. A repeat by the same holder is granted again.
   */
  requestChangePermits(input: RequestChangePermitsInput): Promise<ChangePermitsVerdict>;
  /** Gives change permits back (`releaseChangePermits`); permits not held are ignored. */
  releaseChangePermits(input: ReleaseChangePermitsInput): Promise<DrainPermitReleased>;
  /** Records a cell's lifecycle state with the `recordCellState` update (the latest per cell wins, so a repeat is harmless). */
  recordCellState(input: RecordCellStateInput): Promise<CellLifecycleRecord>;
}

export interface FleetGuardDeps {
  client: Client;
  /** Where the guard runs. Default {@link TASK_QUEUE}. */
  taskQueue?: string;
  /** Default {@link FLEET_GUARD_WORKFLOW_ID}. */
  workflowId?: string;
}

/** Builds the fleet guard activities on a Temporal client. */
export function createFleetGuardActivities(deps: FleetGuardDeps): FleetGuardActivities {
  const workflowId = deps.workflowId ?? FLEET_GUARD_WORKFLOW_ID;
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;

  /** The running guard; USE_EXISTING makes starting it a no-op when it runs already. */
  async function guardHandle() {
    return await deps.client.workflow.start('fleetGuard', {
      workflowId,
      taskQueue,
      args: [{ permits: [] }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  /** Runs `call` on the running guard, as a cancellable, heartbeating wait inside an activity. */
  async function onGuard<T>(call: (guard: WorkflowHandle) => Promise<T>): Promise<T> {
    return await cancellable(deps.client, async () => {
      const handle = await guardHandle();
      return await call(deps.client.workflow.getHandle(handle.workflowId));
    });
  }

  return {
    async requestDrainPermit({ requestToken: _token, ...request }) {
      return await onGuard((guard) => guard.executeUpdate(requestDrainPermitUpdate, { args: [request] }));
    },
    async releaseDrainPermit({ requestToken: _token, ...release }) {
      return await onGuard((guard) => guard.executeUpdate(releaseDrainPermitUpdate, { args: [release] }));
    },
    async requestChangePermits({ requestToken: _token, ...request }) {
      return await onGuard((guard) => guard.executeUpdate(requestChangePermitsUpdate, { args: [request] }));
    },
    async releaseChangePermits({ requestToken: _token, ...release }) {
      return await onGuard((guard) => guard.executeUpdate(releaseChangePermitsUpdate, { args: [release] }));
    },
    async heldDrainPermits() {
      return await onGuard((guard) => guard.query(drainPermitsQuery));
    },
    async recordCellState({ record }) {
      return await onGuard((guard) => guard.executeUpdate(recordCellStateUpdate, { args: [record] }));
    },
  };
}

/**
 * Runs a call to the guard so that the activity making it stays cancellable. The guard answers
 * only once a worker runs its workflow task, and a worker shutting down polls no more tasks: a
 * call deaf to cancellation would wait for ever and hold the shutdown with it. Here the call is
 * aborted when the activity is cancelled (the worker's shutdown, or a cancellation a heartbeat
 * brings back, as when the procedure was terminated), and throws the activity's
 * `CancelledFailure`. Called outside an activity (a script, a test), it is a plain call.
 */
async function cancellable<T>(client: Client, call: () => Promise<T>): Promise<T> {
  const context = activityContext.getStore();
  if (!context) return await call();
  const beat = setInterval(() => context.heartbeat(), GUARD_WAIT_HEARTBEAT_MS);
  try {
    return await client.withAbortSignal(context.cancellationSignal, call);
  } catch (err) {
    throwIfCancelled();
    throw err;
  } finally {
    clearInterval(beat);
  }
}
