import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { LimitSettings } from './limit-settings';
import type { DeadlineScheduler } from '../scheduler';
import type { Matching } from './matching';
import type { QueryRegistry } from './queries';
import type { ExecutionState, NamespaceState } from './types';
import type { UpdateDecisions } from './update-decisions';

/** A workflow task waiting in a task queue: either a real task or a direct (legacy) query. */
export type WorkflowTaskRef =
  | { kind: 'workflow'; runId: string; scheduleSeq: number }
  | { kind: 'query'; queryId: string };

/** An activity attempt waiting in a task queue. */
export interface ActivityTaskRef {
  runId: string;
  scheduledEventId: number;
  attempt: number;
}

/** Every kind of deadline the engine schedules; all plain data, keyed by run (or by schedule). */
export type DeadlineTask =
  | { kind: 'workflowTaskTimeout'; runId: string; startSeq: number }
  | { kind: 'workflowTaskRetry'; runId: string }
  | { kind: 'workflowStart'; runId: string }
  | { kind: 'timer'; runId: string; timerId: string; startedEventId: number }
  | { kind: 'activityTimeout'; runId: string; scheduledEventId: number; attempt: number; timeoutType: number }
  | { kind: 'activityRetry'; runId: string; scheduledEventId: number; attempt: number }
  | { kind: 'workflowTimeout'; runId: string }
  | { kind: 'schedule'; namespace: string; scheduleId: string };

/**
 * The changes of one mutating operation. The engine mutates state first and records here what
 * must happen afterwards; {@link EngineContext.commit} is the single point where the change
 * becomes visible (and, with persistence, durable) and the side effects run.
 */
export class Txn {
  /** Runs whose state changed. */
  readonly touched = new Set<ExecutionState>();
  readonly workflowTasks: { namespace: string; taskQueue: string; ref: WorkflowTaskRef }[] = [];
  readonly activityTasks: { namespace: string; taskQueue: string; ref: ActivityTaskRef }[] = [];
  /** Namespaces whose search-attribute registry changed. */
  readonly namespaces = new Set<NamespaceState>();
  /** Task queues whose waiting tasks may now go to other workers (worker versioning routing changed). */
  readonly rematch: { namespace: string; taskQueue: string }[] = [];
}

/** What the engine's modules share. */
export interface EngineContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly scheduler: DeadlineScheduler<DeadlineTask>;
  readonly namespaces: Map<string, NamespaceState>;
  /** Every run, by run id (run ids are unique across namespaces). */
  readonly executions: Map<string, ExecutionState>;
  readonly workflowMatching: Matching<WorkflowTaskRef>;
  readonly activityMatching: Matching<ActivityTaskRef>;
  readonly queries: QueryRegistry;
  /** Where decisions about updates go for the callers waiting for them (`UpdateWaiters`, answered at commit). */
  readonly updateWaiters: UpdateDecisions;
  /**
   * History length (events) and size (bytes) from which WorkflowTaskStarted suggests continue-as-new
   * (the real server's `limit.historyCount.suggestContinueAsNew` and `limit.historySize.suggestContinueAsNew`).
   */
  readonly suggestContinueAsNew: { historyCount: number; historySizeBytes: number };
  /** The real server's payload and history limits (`limit.blobSize.*`, `limit.historyCount.*`, `limit.historySize.*`). */
  readonly limits: LimitSettings;
  /** Monotonic id for history events' taskId. */
  nextTaskId(): number;
  /** Fresh UUID for run ids and request ids. */
  newId(): string;
}

/** Deadline keys, derived from state so they can be cancelled without stored handles. */
export const deadlineKey = {
  workflowTaskTimeout: (runId: string): string => `${runId}/wft`,
  workflowTaskRetry: (runId: string): string => `${runId}/wft-retry`,
  workflowStart: (runId: string): string => `${runId}/start`,
  workflowTimeout: (runId: string): string => `${runId}/timeout`,
  timer: (runId: string, timerId: string): string => `${runId}/timer/${timerId}`,
  activityTimeout: (runId: string, scheduledEventId: number, timeoutType: number): string =>
    `${runId}/act/${scheduledEventId}/${timeoutType}`,
  activityRetry: (runId: string, scheduledEventId: number): string => `${runId}/act/${scheduledEventId}/retry`,
};
