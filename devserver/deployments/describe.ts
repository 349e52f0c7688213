import type { EngineContext } from '../engine/context';
import { duration, enums, i64, timestamp, type api, type pb, type wsv } from '../engine/proto';
import type { NamespaceState } from '../engine/types';
import { isRunning } from '../engine/workflow-tasks';
import { activityTaskVersion, pinnedVersion, sameVersion, versionString, workflowTaskVersion } from './routing';
import type { DeploymentVersionState, VersionRef, WorkerDeploymentState } from './types';

type VersionSummary = api.deployment.v1.WorkerDeploymentInfo.IWorkerDeploymentVersionSummary;

const Status = enums.WorkerDeploymentVersionStatus;
const Drainage = enums.VersionDrainageStatus;

/**
 * How long a version that stopped being current or ramping stays DRAINING at least, because
 * visibility may not show its newest pinned workflows yet (the real server's
 * `matching.wv.VersionDrainageStatusVisibilityGracePeriod`, default 3 minutes).
 */
export const DRAINAGE_GRACE_MS = 3 * 60_000;

function time(ms: number): pb.ITimestamp | null {
  return ms > 0 ? timestamp(ms) : null;
}

/** A version's status, and its drainage once it stopped being current or ramping. */
export interface VersionStatus {
  status: enums.WorkerDeploymentVersionStatus;
  drainage: api.deployment.v1.IVersionDrainageInfo | null;
}

/**
 * Current, ramping, inactive (never activated), or, once deactivated, draining until no open
 * workflow is pinned to it and the grace period has passed, then drained. The real server
 * refreshes drainage every few minutes from visibility; here it is worked out when asked.
 */
export function versionStatus(
  ctx: EngineContext,
  ns: NamespaceState,
  deployment: WorkerDeploymentState,
  version: DeploymentVersionState,
): VersionStatus {
  if (deployment.currentBuildId === version.buildId) return { status: Status.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT, drainage: null };
  if (deployment.ramping?.buildId === version.buildId) return { status: Status.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING, drainage: null };
  if (version.firstActivationTimeMs === 0 || version.lastDeactivationTimeMs === 0) {
    return { status: Status.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE, drainage: null };
  }
  const ref = { deploymentName: deployment.name, buildId: version.buildId };
  let open = 0;
  let lastCloseMs = 0;
  for (const exec of ctx.executions.values()) {
    if (exec.namespace !== ns.name || !sameVersion(pinnedVersion(exec), ref)) continue;
    if (isRunning(exec)) open++;
    else lastCloseMs = Math.max(lastCloseMs, exec.closeTimeMs);
  }
  const now = ctx.clock.now();
  const drainedAt = Math.max(version.lastDeactivationTimeMs + DRAINAGE_GRACE_MS, lastCloseMs);
  if (open === 0 && now >= drainedAt) {
    return {
      status: Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED,
      drainage: { status: Drainage.VERSION_DRAINAGE_STATUS_DRAINED, lastChangedTime: timestamp(drainedAt), lastCheckedTime: timestamp(now) },
    };
  }
  return {
    status: Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING,
    drainage: {
      status: Drainage.VERSION_DRAINAGE_STATUS_DRAINING,
      lastChangedTime: timestamp(version.lastDeactivationTimeMs),
      lastCheckedTime: timestamp(now),
    },
  };
}

function versionRef(deployment: WorkerDeploymentState, buildId: string): VersionRef {
  return { deploymentName: deployment.name, buildId };
}

export function versionSummary(
  ctx: EngineContext,
  ns: NamespaceState,
  deployment: WorkerDeploymentState,
  version: DeploymentVersionState,
): VersionSummary {
  const ref = versionRef(deployment, version.buildId);
  const { status, drainage } = versionStatus(ctx, ns, deployment, version);
  return {
    version: versionString(ref),
    status,
    deploymentVersion: ref,
    createTime: timestamp(version.createTimeMs),
    drainageStatus: drainage?.status ?? Drainage.VERSION_DRAINAGE_STATUS_UNSPECIFIED,
    drainageInfo: drainage,
    currentSinceTime: time(version.currentSinceTimeMs),
    rampingSinceTime: time(version.rampingSinceTimeMs),
    routingUpdateTime: time(version.routingUpdateTimeMs),
    firstActivationTime: time(version.firstActivationTimeMs),
    lastCurrentTime: time(version.lastCurrentTimeMs),
    lastDeactivationTime: time(version.lastDeactivationTimeMs),
  };
}

/** `RoutingConfig`: unversioned current is `__unversioned__` in the deprecated string and unset as a version. */
export function routingConfig(deployment: WorkerDeploymentState): api.deployment.v1.IRoutingConfig {
  const current = deployment.currentBuildId ? versionRef(deployment, deployment.currentBuildId) : null;
  const ramp = deployment.ramping;
  const ramping = ramp?.buildId ? versionRef(deployment, ramp.buildId) : null;
  return {
    currentDeploymentVersion: current,
    currentVersion: current ? versionString(current) : '__unversioned__',
    rampingDeploymentVersion: ramping,
    rampingVersion: ramp ? (ramping ? versionString(ramping) : '__unversioned__') : '',
    rampingVersionPercentage: ramp?.percentage ?? 0,
    currentVersionChangedTime: time(deployment.currentChangedTimeMs),
    rampingVersionChangedTime: time(deployment.rampingChangedTimeMs),
    rampingVersionPercentageChangedTime: time(ramp?.percentageChangedMs ?? 0),
    revisionNumber: i64(deployment.revision),
  };
}

/** `WorkerDeploymentInfo` as DescribeWorkerDeployment answers it. */
export function deploymentInfo(
  ctx: EngineContext,
  ns: NamespaceState,
  deployment: WorkerDeploymentState,
): api.deployment.v1.IWorkerDeploymentInfo {
  return {
    name: deployment.name,
    versionSummaries: [...deployment.versions.values()].map((v) => versionSummary(ctx, ns, deployment, v)),
    createTime: timestamp(deployment.createTimeMs),
    routingConfig: routingConfig(deployment),
    lastModifierIdentity: deployment.lastModifierIdentity,
    managerIdentity: '',
    routingConfigUpdateState: enums.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED,
  };
}

/** ListWorkerDeployments' entry: routing config with the latest, current and ramping versions' summaries. */
export function deploymentSummary(
  ctx: EngineContext,
  ns: NamespaceState,
  deployment: WorkerDeploymentState,
): wsv.ListWorkerDeploymentsResponse.IWorkerDeploymentSummary {
  const summary = (buildId: string | undefined): VersionSummary | null => {
    const version = buildId ? deployment.versions.get(buildId) : undefined;
    return version ? versionSummary(ctx, ns, deployment, version) : null;
  };
  const latest = [...deployment.versions.values()].reduce<DeploymentVersionState | undefined>(
    (a, b) => (a && a.createTimeMs > b.createTimeMs ? a : b),
    undefined,
  );
  return {
    name: deployment.name,
    createTime: timestamp(deployment.createTimeMs),
    routingConfig: routingConfig(deployment),
    latestVersionSummary: summary(latest?.buildId),
    currentVersionSummary: summary(deployment.currentBuildId),
    rampingVersionSummary: summary(deployment.ramping?.buildId),
  };
}

/** `WorkerDeploymentVersionInfo` as DescribeWorkerDeploymentVersion answers it. */
export function versionInfo(
  ctx: EngineContext,
  ns: NamespaceState,
  deployment: WorkerDeploymentState,
  version: DeploymentVersionState,
): api.deployment.v1.IWorkerDeploymentVersionInfo {
  const ref = versionRef(deployment, version.buildId);
  const { status, drainage } = versionStatus(ctx, ns, deployment, version);
  return {
    version: versionString(ref),
    status,
    deploymentVersion: ref,
    deploymentName: deployment.name,
    createTime: timestamp(version.createTimeMs),
    routingChangedTime: time(version.routingUpdateTimeMs),
    currentSinceTime: time(version.currentSinceTimeMs),
    rampingSinceTime: time(version.rampingSinceTimeMs),
    firstActivationTime: time(version.firstActivationTimeMs),
    lastCurrentTime: time(version.lastCurrentTimeMs),
    lastDeactivationTime: time(version.lastDeactivationTimeMs),
    rampPercentage: version.rampPercentage,
    taskQueueInfos: version.taskQueues.map((q) => ({ name: q.name, type: q.type })),
    drainageInfo: drainage,
    metadata: { entries: Object.fromEntries(version.metadata) },
    lastModifierIdentity: version.lastModifierIdentity,
  };
}

/**
 * The version's task queues, with (if asked) the backlog of tasks waiting for this version's
 * workers; add and dispatch rates are not measured and reported as 0.
 */
export function versionTaskQueues(
  ctx: EngineContext,
  ns: NamespaceState,
  ref: VersionRef,
  version: DeploymentVersionState,
  reportStats: boolean,
): wsv.DescribeWorkerDeploymentVersionResponse.IVersionTaskQueue[] {
  return version.taskQueues.map((q) => {
    if (!reportStats) return { name: q.name, type: q.type };
    let count = 0;
    let oldestMs = 0;
    const add = (sinceMs: number): void => {
      count++;
      if (oldestMs === 0 || sinceMs < oldestMs) oldestMs = sinceMs;
    };
    for (const exec of ctx.executions.values()) {
      if (exec.namespace !== ns.name || !isRunning(exec)) continue;
      if (q.type === enums.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW) {
        if (exec.taskQueue === q.name && exec.wft?.phase === 'scheduled' && sameVersion(workflowTaskVersion(ns, exec), ref)) add(exec.wft.scheduledTimeMs);
      } else {
        for (const act of Object.values(exec.activities)) {
          if (act.taskQueue === q.name && act.phase === 'scheduled' && sameVersion(activityTaskVersion(ns, exec, q.name), ref)) {
            add(act.currentAttemptScheduledTimeMs);
          }
        }
      }
    }
    const now = ctx.clock.now();
    return {
      name: q.name,
      type: q.type,
      stats: {
        approximateBacklogCount: i64(count),
        approximateBacklogAge: duration(oldestMs > 0 ? now - oldestMs : 0),
        tasksAddRate: 0,
        tasksDispatchRate: 0,
      },
    };
  });
}
