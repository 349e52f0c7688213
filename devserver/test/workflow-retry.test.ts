/**
 * Workflow retry policies through the unmodified SDK: a run that fails (or hits its run timeout)
 * under a retry policy is retried as a new run of the same workflow id, as the real server does.
 */
import { status } from '@grpc/grpc-js';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { eventsOfType, uniqueId, useTestWorkflows } from './helpers';
import { failsUntilAttempt, neverEnds } from './workflows';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const ProtoRetryState = temporal.api.enums.v1.RetryState;
const Initiator = temporal.api.enums.v1.ContinueAsNewInitiator;
const TASK_QUEUE = 'devserver-workflow-retry';

function ms(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return d ? Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : 0;
}

function eventTimeMs(event: HistoryEvent): number {
  return ms(event.eventTime);
}

describe('dev server: workflow retry policy', () => {
  const wf = useTestWorkflows(TASK_QUEUE);
  const { withWorker } = wf;

  /** Every run of a retry chain, first to last, following each close event's new run id. */
  async function runs(workflowId: string, firstRunId: string): Promise<History[]> {
    const histories: History[] = [];
    for (let runId = firstRunId; runId; ) {
      const history = await wf.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      histories.push(history);
      const close = history.events?.[history.events.length - 1];
      runId =
        close?.workflowExecutionFailedEventAttributes?.newExecutionRunId ?? close?.workflowExecutionTimedOutEventAttributes?.newExecutionRunId ?? '';
    }
    return histories;
  }

  function started(history: History): temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes {
    return history.events?.[0].workflowExecutionStartedEventAttributes ?? {};
  }

  it('retries a failed run as a new run with the next attempt and the last failure, after the backoff; result() follows the chain', async () => {
    // GIVEN a workflow failing on attempts 1 and 2, with a retry policy of 1 s initial interval
    const workflowId = uniqueId('retried');
    const { report, firstRunId } = await withWorker(async () => {
      const handle = await wf.env.client.workflow.start(failsUntilAttempt, {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [3, 'Transient'],
        retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
      });
      // WHEN the client waits for the result
      return { report: await handle.result(), firstRunId: handle.firstExecutionRunId };
    });

    // THEN the third attempt's result arrives, and it saw its attempt and the second one's failure
    expect(report).toEqual({ attempt: 3, lastFailure: 'attempt 2 fails', maximumAttempts: 5 });
    const [first, second, third, ...more] = await runs(workflowId, firstRunId);
    expect(more).toHaveLength(0);
    // and each failed run's close event names the next run, the retry in progress
    for (const [failed, next] of [
      [first, second],
      [second, third],
    ]) {
      const [closed] = eventsOfType(failed, 'WORKFLOW_EXECUTION_FAILED');
      const attrs = closed.workflowExecutionFailedEventAttributes;
      expect(attrs?.retryState).toBe(ProtoRetryState.RETRY_STATE_IN_PROGRESS);
      expect(attrs?.newExecutionRunId).toBeTruthy();
      expect(started(next).continuedExecutionRunId).toBe(started(failed).originalExecutionRunId);
      expect(started(next).originalExecutionRunId).toBe(attrs?.newExecutionRunId);
    }
    // and the new runs started as retries: next attempt, the failure carried, the backoff before
    // their first workflow task (1 s, then 2 s), the same first run id and the policy with its defaults
    expect(started(second)).toMatchObject({
      attempt: 2,
      initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
      firstExecutionRunId: firstRunId,
    });
    expect(started(second).continuedFailure?.message).toBe('attempt 1 fails');
    expect(started(third).attempt).toBe(3);
    expect(started(third).continuedFailure?.message).toBe('attempt 2 fails');
    expect(ms(started(second).firstWorkflowTaskBackoff)).toBe(1000);
    expect(ms(started(third).firstWorkflowTaskBackoff)).toBe(2000);
    const scheduled = eventsOfType(third, 'WORKFLOW_TASK_SCHEDULED')[0];
    expect(eventTimeMs(scheduled) - eventTimeMs(third.events?.[0] ?? {})).toBeGreaterThanOrEqual(2000);
    const policy = started(first).retryPolicy;
    expect(ms(policy?.initialInterval)).toBe(1000);
    expect(ms(policy?.maximumInterval)).toBe(100_000);
    expect(policy?.maximumAttempts).toBe(5);
    // and the workflow id's current run is the completed third one
    const description = await wf.env.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.runId).toBe(eventsOfType(second, 'WORKFLOW_EXECUTION_FAILED')[0].workflowExecutionFailedEventAttributes?.newExecutionRunId);
    await wf.expectReplays(workflowId);
  });

  it('stops at maximumAttempts: the last run fails with MAXIMUM_ATTEMPTS_REACHED and result() raises its failure', async () => {
    // GIVEN a workflow failing on every attempt, with at most 2 attempts
    const workflowId = uniqueId('max-attempts');
    const { error, firstRunId } = await withWorker(async () => {
      const handle = await wf.env.client.workflow.start(failsUntilAttempt, {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [0, 'Transient'],
        retry: { initialInterval: '100ms', maximumAttempts: 2 },
      });
      return { error: await handle.result().catch((err: unknown) => err), firstRunId: handle.firstExecutionRunId };
    });

    // THEN the client gets the second attempt's failure, retries exhausted
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failed = error as WorkflowFailedError;
    expect(failed.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(failed.cause).toBeInstanceOf(ApplicationFailure);
    expect(failed.cause?.message).toBe('attempt 2 fails');
    // and there were exactly two runs
    const histories = await runs(workflowId, firstRunId);
    expect(histories).toHaveLength(2);
    expect(eventsOfType(histories[1], 'WORKFLOW_EXECUTION_FAILED')[0].workflowExecutionFailedEventAttributes?.newExecutionRunId).toBeFalsy();
  });

  it('does not retry a failure whose type the policy lists as non-retryable, nor one marked non-retryable', async () => {
    await withWorker(async () => {
      // GIVEN a failure of a type the policy lists as non-retryable
      const listedId = uniqueId('non-retryable-type');
      const listed = await wf.env.client.workflow
        .execute(failsUntilAttempt, {
          workflowId: listedId,
          taskQueue: TASK_QUEUE,
          args: [0, 'Fatal'],
          retry: { initialInterval: '100ms', maximumAttempts: 5, nonRetryableErrorTypes: ['Fatal'] },
        })
        .catch((err: unknown) => err);
      // GIVEN a failure marked non-retryable by the workflow
      const markedId = uniqueId('non-retryable-failure');
      const marked = await wf.env.client.workflow
        .execute(failsUntilAttempt, {
          workflowId: markedId,
          taskQueue: TASK_QUEUE,
          args: [0, 'Transient', true],
          retry: { initialInterval: '100ms', maximumAttempts: 5 },
        })
        .catch((err: unknown) => err);
      // GIVEN a retryable failure without a retry policy
      const noPolicy = await wf.env.client.workflow
        .execute(failsUntilAttempt, { workflowId: uniqueId('no-policy'), taskQueue: TASK_QUEUE, args: [0, 'Transient'] })
        .catch((err: unknown) => err);

      // THEN each failed on its first attempt with the retry state saying why
      expect((listed as WorkflowFailedError).retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
      expect((marked as WorkflowFailedError).retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
      expect((noPolicy as WorkflowFailedError).retryState).toBe(RetryState.RETRY_POLICY_NOT_SET);
      for (const id of [listedId, markedId]) {
        const { runId } = await wf.env.client.workflow.getHandle(id).describe();
        const h = await wf.env.client.workflow.getHandle(id).fetchHistory();
        expect(started(h).originalExecutionRunId).toBe(runId);
        expect(started(h).attempt).toBe(1);
      }
    });
  });

  it('retries a run that hits its run timeout, until the attempts run out', async () => {
    // GIVEN a workflow that never ends, with a 1 s run timeout and at most 2 attempts
    const workflowId = uniqueId('run-timeout');
    const { error, firstRunId } = await withWorker(async () => {
      const handle = await wf.env.client.workflow.start(neverEnds, {
        workflowId,
        taskQueue: TASK_QUEUE,
        workflowRunTimeout: '1s',
        retry: { initialInterval: '100ms', maximumAttempts: 2 },
      });
      return { error: await handle.result().catch((err: unknown) => err), firstRunId: handle.firstExecutionRunId };
    });

    // THEN the first run timed out with a retry in progress, the second for good
    const [first, second, ...more] = await runs(workflowId, firstRunId);
    expect(more).toHaveLength(0);
    const firstClose = eventsOfType(first, 'WORKFLOW_EXECUTION_TIMED_OUT')[0].workflowExecutionTimedOutEventAttributes;
    expect(firstClose?.retryState).toBe(ProtoRetryState.RETRY_STATE_IN_PROGRESS);
    expect(started(second).attempt).toBe(2);
    expect(started(second).continuedFailure?.timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    expect(eventsOfType(second, 'WORKFLOW_EXECUTION_TIMED_OUT')[0].workflowExecutionTimedOutEventAttributes?.retryState).toBe(
      ProtoRetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
    );
    expect((error as WorkflowFailedError).retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
  });

  it('refuses a start whose retry policy is invalid, as the frontend does', async () => {
    // WHEN a start (sent as is, past the client's own checks) asks for a maximum interval below the initial one
    const error = await wf.env.client.workflowService
      .startWorkflowExecution({
        namespace: 'default',
        workflowId: uniqueId('bad-policy'),
        workflowType: { name: 'failsUntilAttempt' },
        taskQueue: { name: TASK_QUEUE },
        requestId: uniqueId('request'),
        retryPolicy: { initialInterval: { seconds: Long.fromNumber(10) }, maximumInterval: { seconds: Long.fromNumber(1) } },
      })
      .catch((err: unknown) => err);
    // THEN it is refused with INVALID_ARGUMENT
    expect((error as { code?: number }).code).toBe(status.INVALID_ARGUMENT);
    expect((error as Error).message).toMatch(/MaximumInterval cannot be less than InitialInterval on retry policy/);
  });
});
