import type { EngineContext } from './context';
import { enums, type history, i64, timestamp, type workflow, type wsv } from './proto';
import type { ExecutionState, ResetPointState } from './types';

/** The number of reset points a run keeps (the real server's default `history.maxAutoResetPoints`). */
const MAX_RESET_POINTS = 20;

/**
 * Records the reset point of a workflow task completion: the first task each worker build (or,
 * unversioned, binary checksum) completed in the run, as the real server keeps them.
 */
export function addResetPoint(ctx: EngineContext, exec: ExecutionState, binaryChecksum: string, buildId: string, completedEventId: number): void {
  const points = exec.resetPoints ?? [];
  if (points.some((p) => p.binaryChecksum === binaryChecksum && p.buildId === buildId)) return;
  const point: ResetPointState = {
    buildId,
    binaryChecksum,
    runId: exec.runId,
    firstWorkflowTaskCompletedId: completedEventId,
    createTimeMs: ctx.clock.now(),
  };
  exec.resetPoints = [...points, point].slice(-MAX_RESET_POINTS);
}

/** The run's reset points as Describe reports them (`autoResetPoints`). */
export function resetPointsInfo(exec: ExecutionState, retentionMs: number): workflow.IResetPoints {
  const resettable = Object.keys(exec.children).length === 0;
  return {
    points: (exec.resetPoints ?? []).map((p) => ({
      buildId: p.buildId,
      binaryChecksum: p.binaryChecksum,
      runId: p.runId,
      firstWorkflowTaskCompletedId: i64(p.firstWorkflowTaskCompletedId),
      createTime: timestamp(p.createTimeMs),
      expireTime: exec.closeTimeMs > 0 ? timestamp(exec.closeTimeMs + retentionMs) : null,
      resettable,
    })),
  };
}

/** How many build ids the `BuildIds` search attribute keeps (the real server's default limit). */
const MAX_BUILD_IDS = 100;

/**
 * The versioning fields of WorkflowTaskCompleted, as the worker sent them: a worker in versioned
 * mode records its deployment version and the workflow's versioning behavior.
 */
export function deploymentAttributes(
  req: wsv.IRespondWorkflowTaskCompletedRequest,
): Pick<history.IWorkflowTaskCompletedEventAttributes, 'versioningBehavior' | 'workerDeploymentName' | 'deploymentVersion'> {
  const options = req.deploymentOptions;
  if (options?.workerVersioningMode !== enums.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED) return {};
  return {
    versioningBehavior: req.versioningBehavior ?? enums.VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED,
    workerDeploymentName: options.deploymentName ?? '',
    deploymentVersion: { deploymentName: options.deploymentName ?? '', buildId: options.buildId ?? '' },
  };
}

/**
 * Keeps the `BuildIds` system search attribute of a run as the real server does for an
 * unversioned worker: `unversioned`, and `unversioned:<build id>` for the build id it sends.
 */
export function trackBuildIds(exec: ExecutionState, req: wsv.IRespondWorkflowTaskCompletedRequest): void {
  const stamp = req.workerVersionStamp;
  if (req.deploymentOptions?.workerVersioningMode === enums.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED) return;
  if (stamp?.useVersioning) return;
  // Workers that no longer send a version stamp name their build id in their deployment options.
  const buildId = stamp?.buildId || req.deploymentOptions?.buildId || '';
  const toAdd = ['unversioned'];
  if (buildId) toAdd.push(`unversioned:${buildId}`);
  const current = Object.hasOwn(exec.searchAttributes, 'BuildIds') ? exec.searchAttributes.BuildIds : undefined;
  const existing: string[] = current?.data ? (JSON.parse(Buffer.from(current.data).toString('utf8')) as string[]) : [];
  const merged = [...existing];
  for (const id of toAdd) if (!merged.includes(id)) merged.push(id);
  if (merged.length === existing.length) return;
  exec.searchAttributes.BuildIds = {
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('KeywordList') },
    data: Buffer.from(JSON.stringify(merged.slice(-MAX_BUILD_IDS))),
  };
}
