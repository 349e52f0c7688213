/**
 * `suggestContinueAsNew` on WorkflowTaskStarted once the history passes the real server's
 * thresholds, lowered here with `--dynamic-config-value limit.historyCount.suggestContinueAsNew`;
 * seen through the unmodified SDK as `workflowInfo().continueAsNewSuggested`.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, SETUP_TIMEOUT_MS, uniqueId } from './helpers';
import { untilContinueAsNewSuggested } from './workflows';

const TASK_QUEUE = 'devserver-suggest-continue-as-new';

describe('dev server: suggestContinueAsNew', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createLocalTestEnvironment({
      sdkLogLevel: 'ERROR',
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=18'],
    });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('suggests continue-as-new on the workflow tasks started as event 18 or later, as the real server counts', async () => {
    // GIVEN a server suggesting continue-as-new from 18 events, and a workflow adding 5 events per step
    // (its tasks start as events 3, 8, 13, 18, ...)
    const workflowId = uniqueId('suggest');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await bundleTestWorkflows() });

    // WHEN it runs until its workflow task suggests continue-as-new
    const report = await worker.runUntil(env.client.workflow.execute(untilContinueAsNewSuggested, { workflowId, taskQueue: TASK_QUEUE, args: [50] }));

    // THEN the suggestion came on the task started as event 18: the real server counts the events
    // before WorkflowTaskStarted plus that event itself
    expect(report.suggested).toBe(true);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const started = eventsOfType(history, 'WORKFLOW_TASK_STARTED');
    expect(started.map((e) => Number(e.eventId))).toEqual([3, 8, 13, 18]);
    expect(started.map((e) => e.workflowTaskStartedEventAttributes?.suggestContinueAsNew ?? false)).toEqual([false, false, false, true]);
  });
});
