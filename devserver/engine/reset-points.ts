import type { EngineContext } from './context';
import { i64, timestamp, type workflow } from './proto';
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
