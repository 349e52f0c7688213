import { crc32 } from '../persistence/crc32';
import { enums, type api, type wsv } from '../engine/proto';
import type { ExecutionState, NamespaceState } from '../engine/types';
import type { DeploymentVersionState, RunVersioningState, VersionRef, WorkerDeploymentState } from './types';

/**
 * Which workers may take a task, as a real server's matching decides it with worker versioning:
 * a versioned worker polls only for its own deployment version; a task goes to the version
 * pinned by its run, else to the current (or, for the ramp's share of workflow ids, ramping)
 * version of the deployment whose versions polled its task queue; with none, to unversioned
 * workers. Decided when a task is handed out, so a routing change applies to tasks already
 * waiting, as the real server redirects its backlog.
 */

const TaskQueueType = enums.TaskQueueType;

/** The deployments of a namespace (created empty on first use). */
export function deploymentsOf(ns: NamespaceState): Map<string, WorkerDeploymentState> {
  ns.workerDeployments ??= new Map();
  return ns.workerDeployments;
}

/** The version a worker polls or completes for, or undefined for an unversioned worker. */
export function workerVersion(options: api.deployment.v1.IWorkerDeploymentOptions | null | undefined): VersionRef | undefined {
  if (options?.workerVersioningMode !== enums.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED) return undefined;
  return { deploymentName: options.deploymentName ?? '', buildId: options.buildId ?? '' };
}

export function sameVersion(a: VersionRef | undefined, b: VersionRef | undefined): boolean {
  if (!a || !b) return a === b;
  return a.deploymentName === b.deploymentName && a.buildId === b.buildId;
}

export function findVersion(ns: NamespaceState, ref: VersionRef): DeploymentVersionState | undefined {
  return ns.workerDeployments?.get(ref.deploymentName)?.versions.get(ref.buildId);
}

export function hasTaskQueue(version: DeploymentVersionState, name: string, type: enums.TaskQueueType): boolean {
  return version.taskQueues.some((q) => q.name === name && q.type === type);
}

/** Whether a versioned worker's poll would register anything new (its deployment, version or task queue). */
export function isRegistered(ns: NamespaceState, ref: VersionRef, taskQueue: string, type: enums.TaskQueueType): boolean {
  const version = findVersion(ns, ref);
  return version !== undefined && hasTaskQueue(version, taskQueue, type);
}

export function newVersion(buildId: string, nowMs: number): DeploymentVersionState {
  return {
    buildId,
    createTimeMs: nowMs,
    taskQueues: [],
    routingUpdateTimeMs: 0,
    currentSinceTimeMs: 0,
    rampingSinceTimeMs: 0,
    rampPercentage: 0,
    firstActivationTimeMs: 0,
    lastCurrentTimeMs: 0,
    lastDeactivationTimeMs: 0,
    metadata: new Map(),
    lastModifierIdentity: '',
  };
}

/**
 * Registers what a versioned worker's poll names: its deployment (with no current version, so
 * new workflows keep going to unversioned workers), its version (inactive) and the task queue
 * and type it polls, as the real server does on a versioned worker's first poll.
 */
export function registerPoller(ns: NamespaceState, ref: VersionRef, taskQueue: string, type: enums.TaskQueueType, nowMs: number): void {
  const deployments = deploymentsOf(ns);
  let deployment = deployments.get(ref.deploymentName);
  if (!deployment) {
    deployment = {
      name: ref.deploymentName,
      createTimeMs: nowMs,
      versions: new Map(),
      currentBuildId: '',
      currentChangedTimeMs: 0,
      ramping: null,
      rampingChangedTimeMs: 0,
      revision: 0,
      lastModifierIdentity: '',
    };
    deployments.set(deployment.name, deployment);
  }
  let version = deployment.versions.get(ref.buildId);
  if (!version) {
    version = newVersion(ref.buildId, nowMs);
    deployment.versions.set(ref.buildId, version);
  }
  if (!hasTaskQueue(version, taskQueue, type)) version.taskQueues.push({ name: taskQueue, type });
}

/** A workflow id's place in [0, 100) for ramping (the real server hashes the id the same way, with another hash). */
function rampBucket(workflowId: string): number {
  return (crc32(Buffer.from(workflowId)) / 0x1_0000_0000) * 100;
}

/**
 * The version new tasks of a task queue go to (undefined: unversioned workers): the current
 * version of the deployment one of whose current or ramping versions polled the queue, or its
 * ramping version for the ramp's share of workflow ids.
 */
export function routedVersion(ns: NamespaceState, taskQueue: string, type: enums.TaskQueueType, workflowId: string): VersionRef | undefined {
  const deployments = ns.workerDeployments;
  if (!deployments || deployments.size === 0) return undefined;
  for (const deployment of deployments.values()) {
    const current = deployment.currentBuildId ? deployment.versions.get(deployment.currentBuildId) : undefined;
    const currentHas = current !== undefined && hasTaskQueue(current, taskQueue, type);
    const ramp = deployment.ramping;
    const rampVersion = ramp?.buildId ? deployment.versions.get(ramp.buildId) : undefined;
    // A ramp to the unversioned workers covers the current version's task queues.
    const rampHas = ramp !== null && (ramp.buildId ? rampVersion !== undefined && hasTaskQueue(rampVersion, taskQueue, type) : currentHas);
    if (!currentHas && !rampHas) continue;
    if (ramp && rampHas && rampBucket(workflowId) < ramp.percentage) {
      return ramp.buildId ? { deploymentName: deployment.name, buildId: ramp.buildId } : undefined;
    }
    return currentHas ? { deploymentName: deployment.name, buildId: deployment.currentBuildId } : undefined;
  }
  return undefined;
}

/** The version a run is pinned to: by the PINNED behavior its versioned worker declared. */
export function pinnedVersion(exec: ExecutionState): VersionRef | undefined {
  const v = exec.versioning;
  if (v?.behavior !== enums.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED) return undefined;
  return { deploymentName: v.deploymentName, buildId: v.buildId };
}

/** Where a run's workflow tasks (and direct queries) go. */
export function workflowTaskVersion(ns: NamespaceState, exec: ExecutionState): VersionRef | undefined {
  return pinnedVersion(exec) ?? routedVersion(ns, exec.taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, exec.workflowId);
}

/**
 * Where a run's activity tasks on `taskQueue` go: a pinned run's to its version when that version
 * serves the queue (or it is the run's own queue), otherwise as the queue routes new tasks.
 */
export function activityTaskVersion(ns: NamespaceState, exec: ExecutionState, taskQueue: string): VersionRef | undefined {
  const pinned = pinnedVersion(exec);
  if (pinned) {
    const version = findVersion(ns, pinned);
    if (taskQueue === exec.taskQueue || (version && hasTaskQueue(version, taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY))) return pinned;
  }
  return routedVersion(ns, taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, exec.workflowId);
}

/**
 * Records on the run what the worker completing its workflow task declared: a versioned worker
 * its version and the workflow's behavior; an unversioned worker clears it.
 */
export function recordRunVersioning(exec: ExecutionState, req: wsv.IRespondWorkflowTaskCompletedRequest): void {
  const ref = workerVersion(req.deploymentOptions);
  if (!ref) {
    delete exec.versioning;
    return;
  }
  const versioning: RunVersioningState = { behavior: req.versioningBehavior ?? 0, ...ref };
  exec.versioning = versioning;
}

/** `WorkflowExecutionVersioningInfo` of a run, as Describe and List report it. */
export function versioningInfo(exec: ExecutionState): api.workflow.v1.IWorkflowExecutionVersioningInfo | null {
  const v = exec.versioning;
  if (!v) return null;
  return {
    behavior: v.behavior,
    deploymentVersion: { deploymentName: v.deploymentName, buildId: v.buildId },
    version: versionString(v),
  };
}

/** The deprecated string form of a version, `<deployment>.<build id>`. */
export function versionString(ref: VersionRef): string {
  return `${ref.deploymentName}.${ref.buildId}`;
}
