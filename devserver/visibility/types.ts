/** Temporal's search attribute types, by their canonical names. */
export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** A value in a visibility record; `null`/`undefined` mean the attribute is unset. */
export type VisibilityValue = string | number | boolean | Date | string[] | null | undefined;

/**
 * One run as the query language sees it, keyed by attribute name.
 *
 * Built-ins: `WorkflowId`, `WorkflowType`, `RunId`, `TaskQueue` (string); `ExecutionStatus` as
 * `'Running' | 'Completed' | 'Failed' | 'Canceled' | 'Terminated' | 'ContinuedAsNew' | 'TimedOut'`;
 * `StartTime`, `CloseTime`, `ExecutionTime` (Date; `CloseTime` unset while running);
 * `ExecutionDuration` (number of **nanoseconds**, as Temporal stores it; unset while running);
 * `HistoryLength`, `HistorySizeBytes`, `StateTransitionCount` (number); `ParentWorkflowId`,
 * `ParentRunId`, `RootWorkflowId`, `RootRunId` (string); `BuildIds`, `TemporalChangeVersion`
 * (string[]); plus custom search attributes by name.
 */
export type VisibilityRecord = Record<string, VisibilityValue>;
