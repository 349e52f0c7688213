/**
 * @module Workflows exercising continue-as-new, on their own and as a child.
 */
import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';

/** What the last run of a continue-as-new chain saw. */
export interface ChainReport {
  runs: number;
  runId: string;
  firstExecutionRunId: string;
  continuedFromExecutionRunId?: string;
  memo?: Record<string, unknown>;
  parentWorkflowId?: string;
  taskTimeoutMs: number;
}

/** Continues as new `times` times, counting its runs, then reports what the last run saw. */
export async function continuesAsNew(times: number, runsSoFar = 1): Promise<ChainReport> {
  if (times > 0) return await continueAsNew<typeof continuesAsNew>(times - 1, runsSoFar + 1);
  const info = workflowInfo();
  return {
    runs: runsSoFar,
    runId: info.runId,
    firstExecutionRunId: info.firstExecutionRunId,
    continuedFromExecutionRunId: info.continuedFromExecutionRunId,
    memo: info.memo,
    parentWorkflowId: info.parent?.workflowId,
    taskTimeoutMs: info.taskTimeoutMs,
  };
}

/** Runs a child (id `<parent id>-child`) that continues as new twice. */
export async function parentOfContinuingChild(): Promise<ChainReport> {
  return await executeChild(continuesAsNew, { args: [2], workflowId: `${workflowInfo().workflowId}-child` });
}
