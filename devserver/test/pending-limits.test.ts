/**
 * The per-run pending limits (`limit.numPendingActivities.error`, `...ChildExecutions.error`,
 * `...Signals.error`, `...CancelRequests.error`; set to 2 here): a workflow task whose commands
 * would go past one fails with the limit's cause, as on the real server; the run goes on and the
 * worker's retried task succeeds once enough work is done. Run with the unmodified SDK worker and
 * client.
 */
import { temporal } from '@temporalio/proto';
import { eventsOfType, uniqueId, useServerWithWorker, waitFor } from './helpers';
import { heldActivities, manyPending, scheduleMoreSignal, type PendingKind } from './workflows';

const TASK_QUEUE = 'devserver-pending-limits';
const LIMIT = 2;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
type History = temporal.api.history.v1.IHistory;

describe('dev server: pending activity, child, signal and cancel request limits', () => {
  let releaseHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    releaseHeld = resolve;
  });
  const served = useServerWithWorker({
    taskQueue: TASK_QUEUE,
    args: [
      '--dynamic-config-value', `limit.numPendingActivities.error=${LIMIT}`,
      '--dynamic-config-value', `limit.numPendingChildExecutions.error=${LIMIT}`,
      '--dynamic-config-value', `limit.numPendingSignals.error=${LIMIT}`,
      '--dynamic-config-value', `limit.numPendingCancelRequests.error=${LIMIT}`,
    ],
    activities: {
      held: async (index: number) => {
        await held;
        return `held ${index}`;
      },
    },
    beforeStop: () => releaseHeld(),
  });

  /** The history once it has a failed workflow task. */
  const firstTaskFailure = async (workflowId: string): Promise<History> =>
    await waitFor(async () => {
      const history = await served.client.workflow.getHandle(workflowId).fetchHistory();
      return eventsOfType(history, 'WORKFLOW_TASK_FAILED').length > 0 ? history : undefined;
    }, 10_000, `a failed workflow task of ${workflowId}`);

  it('fails the task that schedules an activity past the limit, and the retried task schedules it once one is done', async () => {
    // GIVEN a run with as many pending activities as the limit allows
    const workflowId = uniqueId('pending-activities');
    const handle = await served.client.workflow.start(heldActivities, { taskQueue: TASK_QUEUE, workflowId, args: [LIMIT] });
    await waitFor(async () => (eventsOfType(await handle.fetchHistory(), 'ACTIVITY_TASK_SCHEDULED').length === LIMIT ? true : undefined));

    // WHEN its next workflow task schedules one more
    await handle.signal(scheduleMoreSignal);

    // THEN that task fails with the real server's cause and message, and nothing of it is stored
    const history = await firstTaskFailure(workflowId);
    const [failed] = eventsOfType(history, 'WORKFLOW_TASK_FAILED');
    const reason = `the number of pending activities, ${LIMIT}, has reached the per-workflow limit of ${LIMIT}`;
    expect(failed.workflowTaskFailedEventAttributes?.cause).toBe(Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED);
    expect(failed.workflowTaskFailedEventAttributes?.failure?.message).toBe(`WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED: ${reason}`);
    expect(eventsOfType(history, 'ACTIVITY_TASK_SCHEDULED')).toHaveLength(LIMIT);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // AND once the pending activities complete, the retried task schedules the last one and the run completes
    releaseHeld();
    expect(await handle.result()).toEqual(['held 0', 'held 1', 'held 2']);
    const final = await handle.fetchHistory();
    expect(eventsOfType(final, 'ACTIVITY_TASK_SCHEDULED')).toHaveLength(LIMIT + 1);
    const lastScheduled = eventsOfType(final, 'ACTIVITY_TASK_SCHEDULED')[LIMIT];
    expect(Number(lastScheduled.eventId)).toBeGreaterThan(Number(failed.eventId));
  });

  const cases: [PendingKind, number, string, string][] = [
    ['children', Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED, 'pending child workflow executions', 'START_CHILD_WORKFLOW_EXECUTION_INITIATED'],
    ['signals', Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED, 'pending signals to external workflows', 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED'],
    [
      'cancels',
      Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED,
      'pending requests to cancel external workflows',
      'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
    ],
  ];

  it.each(cases)('allows %s up to the limit in one workflow task, and fails the task going past it', async (kind, cause, description, initiated) => {
    // GIVEN a run that starts as many as the limit allows at once: it goes through
    const atLimitId = uniqueId(`${kind}-at-limit`);
    await served.client.workflow.execute(manyPending, { taskQueue: TASK_QUEUE, workflowId: atLimitId, args: [kind, LIMIT, uniqueId(`${kind}-target`)] });
    const atLimit = await served.client.workflow.getHandle(atLimitId).fetchHistory();
    expect(eventsOfType(atLimit, initiated)).toHaveLength(LIMIT);
    expect(eventsOfType(atLimit, 'WORKFLOW_TASK_FAILED')).toHaveLength(0);

    // WHEN a run starts one more than that in one workflow task
    const workflowId = uniqueId(`${kind}-past-limit`);
    const handle = await served.client.workflow.start(manyPending, { taskQueue: TASK_QUEUE, workflowId, args: [kind, LIMIT + 1, uniqueId(`${kind}-target`)] });

    // THEN the task fails with the real server's cause and message, none of its commands is stored, and the run goes on
    const history = await firstTaskFailure(workflowId);
    const [failed] = eventsOfType(history, 'WORKFLOW_TASK_FAILED');
    expect(failed.workflowTaskFailedEventAttributes?.cause).toBe(cause);
    expect(failed.workflowTaskFailedEventAttributes?.failure?.message).toBe(
      `${Cause[cause]}: the number of ${description}, ${LIMIT}, has reached the per-workflow limit of ${LIMIT}`,
    );
    expect(eventsOfType(history, initiated)).toHaveLength(0);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('done');
  });
});
