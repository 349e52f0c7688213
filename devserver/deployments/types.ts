import type { common, enums } from '../engine/proto';

/**
 * Worker deployment state: plain data kept in its namespace (`NamespaceState.workerDeployments`),
 * so that `--db-filename` persists it with the namespace, like schedules.
 */

/** A worker deployment version as the API names it. */
export interface VersionRef {
  deploymentName: string;
  buildId: string;
}

/** A task queue (and task type) a version's workers polled. */
export interface VersionTaskQueue {
  name: string;
  /** Workflow or activity. */
  type: enums.TaskQueueType;
}

/** One version of a deployment: what its workers polled and its routing history. */
export interface DeploymentVersionState {
  buildId: string;
  createTimeMs: number;
  /** In the order its workers first polled them. */
  taskQueues: VersionTaskQueue[];
  /** Last time it became or stopped being current or ramping (0 = never). */
  routingUpdateTimeMs: number;
  currentSinceTimeMs: number;
  rampingSinceTimeMs: number;
  rampPercentage: number;
  firstActivationTimeMs: number;
  lastCurrentTimeMs: number;
  lastDeactivationTimeMs: number;
  metadata: Map<string, common.IPayload>;
  lastModifierIdentity: string;
}

/** The ramp of a deployment: a share of new workflow ids goes to this version. */
export interface RampState {
  /** '' ramps to the unversioned workers. */
  buildId: string;
  percentage: number;
  sinceMs: number;
  percentageChangedMs: number;
}

/** A worker deployment: its versions and its routing config. */
export interface WorkerDeploymentState {
  name: string;
  createTimeMs: number;
  /** By build id, in the order they registered. */
  versions: Map<string, DeploymentVersionState>;
  /** Build id of the current version; '' means the unversioned workers. */
  currentBuildId: string;
  currentChangedTimeMs: number;
  ramping: RampState | null;
  rampingChangedTimeMs: number;
  /** Counts routing changes; also the conflict token's content. */
  revision: number;
  lastModifierIdentity: string;
}

/** What a versioned worker's last completed workflow task said about its run. */
export interface RunVersioningState {
  /** `VersioningBehavior`. */
  behavior: number;
  deploymentName: string;
  buildId: string;
}
