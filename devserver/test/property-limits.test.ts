/**
 * The memo and search attribute limits (`limit.memoSize.error`, and
 * `frontend.searchAttributesNumberOfKeysLimit`, `...SizeOfValueLimit`, `...TotalSizeLimit`; set
 * low here), as the real server applies them: a start past one is refused with INVALID_ARGUMENT;
 * a workflow task setting too many search attributes (upsert, child, continue-as-new) fails; one
 * whose merged search attributes or memo, or a child's or continued run's, are past a size limit
 * fails and the run is terminated.
 * Run with the unmodified SDK worker and client.
 */
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { TerminatedFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { eventsOfType, eventTypes, uniqueId, expectTaskFailedAndRunTerminated, useServerWithWorker, waitFor } from './helpers';
import { propertySizes, type PropertyPlace } from './workflows';

const TASK_QUEUE = 'devserver-property-limits';
const MEMO_LIMIT = 1024;
const KEYS_LIMIT = 2;
const VALUE_LIMIT = 64;
const TOTAL_LIMIT = 150;
const INVALID_ARGUMENT = 3;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

describe('dev server: memo and search attribute limits', () => {
  const served = useServerWithWorker({
    taskQueue: TASK_QUEUE,
    args: [
      '--search-attribute', 'First=Keyword',
      '--search-attribute', 'Second=Keyword',
      '--search-attribute', 'Note=Text',
      '--dynamic-config-value', `limit.memoSize.error=${MEMO_LIMIT}`,
      '--dynamic-config-value', 'limit.memoSize.warn=256',
      '--dynamic-config-value', `frontend.searchAttributesNumberOfKeysLimit=${KEYS_LIMIT}`,
      '--dynamic-config-value', `frontend.searchAttributesSizeOfValueLimit=${VALUE_LIMIT}`,
      '--dynamic-config-value', `frontend.searchAttributesTotalSizeLimit=${TOTAL_LIMIT}`,
    ],
  });

  /** The gRPC error under a client call's rejection. */
  const refusal = async (promise: Promise<unknown>): Promise<{ code?: number; details?: string }> => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const { cause } = err as { cause?: { code?: number; details?: string } };
    return cause ?? {};
  };

  const expectNotStored = async (workflowId: string): Promise<void> => {
    await expect(served.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  };

  // A search attribute value given as a one-string list is a JSON array: the characters, their quotes and brackets.
  const dataSize = (chars: number): number => chars + 4;
  const FITTING = VALUE_LIMIT - 4;

  it('refuses a start whose memo is over limit.memoSize.error, and accepts one under it', async () => {
    const tooBig = uniqueId('start-memo');
    const start = served.client.workflow.start(propertySizes, { taskQueue: 'devserver-property-limits-idle', workflowId: tooBig, args: ['upsert-keys', 0], memo: { big: 'x'.repeat(MEMO_LIMIT) } });
    expect(await refusal(start)).toMatchObject({ code: INVALID_ARGUMENT, details: 'Memo size exceeds limit.' });
    await expectNotStored(tooBig);

    const withStart = uniqueId('signal-with-start-memo');
    const signalWithStart = served.client.workflow.signalWithStart(propertySizes, {
      taskQueue: 'devserver-property-limits-idle',
      workflowId: withStart,
      args: ['upsert-keys', 0],
      signal: 'ping',
      memo: { big: 'x'.repeat(MEMO_LIMIT) },
    });
    expect(await refusal(signalWithStart)).toMatchObject({ code: INVALID_ARGUMENT, details: 'Memo size exceeds limit.' });
    await expectNotStored(withStart);

    const fits = await served.client.workflow.start(propertySizes, {
      taskQueue: 'devserver-property-limits-idle',
      workflowId: uniqueId('start-memo-fits'),
      args: ['upsert-keys', 0],
      memo: { big: 'x'.repeat(MEMO_LIMIT / 2) },
    });
    await fits.terminate('done');
  });

  it('refuses a start with too many search attributes, a value too big, or too big in all', async () => {
    const startWith = async (searchAttributes: Record<string, string[]>): Promise<{ code?: number; details?: string }> => {
      const workflowId = uniqueId('start-search-attributes');
      const outcome = await refusal(
        served.client.workflow.start(propertySizes, { taskQueue: 'devserver-property-limits-idle', workflowId, args: ['upsert-keys', 0], searchAttributes }),
      );
      await expectNotStored(workflowId);
      return outcome;
    };

    expect(await startWith({ First: ['a'], Second: ['b'], Note: ['c'] })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: `number of search attributes 3 exceeds limit ${KEYS_LIMIT}`,
    });
    expect(await startWith({ Note: ['x'.repeat(VALUE_LIMIT)] })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: `search attribute Note value size ${dataSize(VALUE_LIMIT)} exceeds size limit ${VALUE_LIMIT}`,
    });
    const total = await startWith({ First: ['x'.repeat(FITTING)], Second: ['y'.repeat(FITTING)] });
    expect(total.code).toBe(INVALID_ARGUMENT);
    expect(total.details).toMatch(new RegExp(`^total size of search attributes (\\d+) exceeds size limit ${TOTAL_LIMIT}$`));
    expect(Number(/attributes (\d+)/.exec(total.details ?? '')?.[1])).toBeGreaterThan(TOTAL_LIMIT);
  });

  const tooManyKeys = `number of search attributes 3 exceeds limit ${KEYS_LIMIT}`;
  const keyCases: [PropertyPlace, string][] = [
    ['upsert-keys', tooManyKeys],
    ['child-keys', `invalid SearchAttributes on StartChildWorkflowCommand: ${tooManyKeys}. WorkflowId=child-keys-0 WorkflowType=pendingLimitChild Namespace=default`],
    [
      'continue-as-new-keys',
      `invalid SearchAttributes on ContinueAsNewWorkflowExecutionCommand: ${tooManyKeys}. WorkflowType=propertySizes TaskQueue=name:"${TASK_QUEUE}" kind:TASK_QUEUE_KIND_NORMAL`,
    ],
  ];

  it.each(keyCases)('fails the task setting too many search attributes (%s), and the run goes on', async (place, message) => {
    const workflowId = uniqueId(place);
    const handle = await served.client.workflow.start(propertySizes, { taskQueue: TASK_QUEUE, workflowId, args: [place, 0] });
    const history = await waitFor(async () => {
      const h = await handle.fetchHistory();
      return eventsOfType(h, 'WORKFLOW_TASK_FAILED').length > 0 ? h : undefined;
    });
    const [failed] = eventsOfType(history, 'WORKFLOW_TASK_FAILED');
    expect(failed.workflowTaskFailedEventAttributes?.cause).toBe(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES);
    expect(failed.workflowTaskFailedEventAttributes?.failure?.message).toBe(`WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES: ${message}`);
    expect(eventTypes(history).slice(-1)).toEqual(['WORKFLOW_TASK_FAILED']);
    expect(eventTypes(history)).not.toContain('WORKFLOW_TASK_COMPLETED');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('done');
  });

  const terminating: [PropertyPlace, number, number, string | RegExp, object][] = [
    [
      'upsert-value',
      VALUE_LIMIT,
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
      `search attribute Note value size ${dataSize(VALUE_LIMIT)} exceeds size limit ${VALUE_LIMIT}`,
      {},
    ],
    // Each value fits, the run's search attributes with the upserted one merged in do not.
    [
      'upsert-merged',
      FITTING,
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
      new RegExp(`^total size of search attributes \\d+ exceeds size limit ${TOTAL_LIMIT}$`),
      { searchAttributes: { First: ['x'.repeat(FITTING)] } },
    ],
    // Each upsert fits, the run's memo with the upserted field merged in does not.
    [
      'memo-merged',
      MEMO_LIMIT / 2 + 64,
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
      'ModifyWorkflowPropertiesCommandAttributes. Memo exceeds size limit.',
      { memo: { first: 'y'.repeat(MEMO_LIMIT / 2 + 64) } },
    ],
    [
      'child-memo',
      MEMO_LIMIT,
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
      'StartChildWorkflowExecutionCommandAttributes.Memo exceeds size limit.',
      {},
    ],
    [
      'child-search-attributes',
      VALUE_LIMIT,
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
      `search attribute Note value size ${dataSize(VALUE_LIMIT)} exceeds size limit ${VALUE_LIMIT}`,
      {},
    ],
    [
      'continue-as-new-memo',
      MEMO_LIMIT,
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
      'ContinueAsNewWorkflowExecutionCommandAttributes. Memo exceeds size limit.',
      {},
    ],
  ];

  it.each(terminating)('fails the task and terminates the run for %s past its limit', async (place, bytes, cause, message, options) => {
    // WHEN a workflow task's command takes a memo or search attributes past a size limit
    const workflowId = uniqueId(place);
    const outcome = await served.client.workflow
      .execute(propertySizes, { taskQueue: TASK_QUEUE, workflowId, args: [place, bytes], ...options })
      .catch((err: unknown) => err);

    // THEN the run was terminated by the server with the real server's reason
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    const reason = (outcome as WorkflowFailedError).cause?.message ?? '';
    const prefix = `${Cause[cause]}: `;
    expect(reason.startsWith(prefix)).toBe(true);
    if (typeof message === 'string') expect(reason.slice(prefix.length)).toBe(message);
    else expect(reason.slice(prefix.length)).toMatch(message);

    // AND the task failed with the command's cause, and nothing of the completion was stored
    const history = await served.client.workflow.getHandle(workflowId).fetchHistory();
    expectTaskFailedAndRunTerminated(history, cause, reason);
  });

  it('accepts the same commands within the limits', async () => {
    for (const [place, bytes, expected] of [
      ['upsert-value', FITTING, 'upserted'],
      ['memo-merged', MEMO_LIMIT / 4, 'upserted'],
      ['child-memo', MEMO_LIMIT / 2, 'child done'],
      ['child-search-attributes', FITTING, 'child done'],
      ['continue-as-new-memo', MEMO_LIMIT / 2, 'continued'],
    ] as [PropertyPlace, number, string][]) {
      const result = await served.client.workflow.execute(propertySizes, { taskQueue: TASK_QUEUE, workflowId: uniqueId(`${place}-fits`), args: [place, bytes] });
      expect(result).toBe(expected);
    }
  });
});
