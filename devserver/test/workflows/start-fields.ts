/**
 * @module A workflow reporting the start fields it sees (timeouts, priority, a Datetime search
 * attribute), and a parent passing a priority on to its child.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { executeChild, workflowInfo } from '@temporalio/workflow';

/** The Datetime search attribute the start-field tests register. */
export const DEADLINE_ATTRIBUTE = defineSearchAttributeKey('StartFieldsDeadline', SearchAttributeType.DATETIME);

/** What a run saw of its start fields (undefined fields reported as null). */
export interface StartFieldsReport {
  executionTimeoutMs: number | null;
  runTimeoutMs: number | null;
  taskTimeoutMs: number;
  priorityKey: number | null;
  deadlineIsDate: boolean;
  deadline: string | null;
  legacyDeadlineIsDate: boolean;
}

/** Reports the run's timeouts, priority and `StartFieldsDeadline` attribute (typed and legacy views). */
export function startFields(): Promise<StartFieldsReport> {
  const info = workflowInfo();
  const deadline = info.typedSearchAttributes.get(DEADLINE_ATTRIBUTE);
  const legacy = info.searchAttributes?.[DEADLINE_ATTRIBUTE.name]?.[0];
  return Promise.resolve({
    executionTimeoutMs: info.executionTimeoutMs ?? null,
    runTimeoutMs: info.runTimeoutMs ?? null,
    taskTimeoutMs: info.taskTimeoutMs,
    priorityKey: info.priority?.priorityKey ?? null,
    deadlineIsDate: deadline instanceof Date,
    deadline: deadline instanceof Date ? deadline.toISOString() : deadline === undefined ? null : String(deadline),
    legacyDeadlineIsDate: legacy instanceof Date,
  });
}

/** Runs `startFields` as a child with priority `priorityKey`; returns the child's report. */
export async function childStartFields(priorityKey: number): Promise<StartFieldsReport> {
  return await executeChild(startFields, { workflowId: `${workflowInfo().workflowId}-child`, priority: { priorityKey } });
}
