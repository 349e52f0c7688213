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
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=20'],
    });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('suggests continue-as-new on the first workflow task started once the history has 20 events', async () => {
    // GIVEN a server suggesting continue-as-new from 20 events, and a workflow adding 5 events per step
    const workflowId = uniqueId('suggest');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await bundleTestWorkflows() });

    // WHEN it runs until its workflow task suggests continue-as-new
    const report = await worker.runUntil(env.client.workflow.execute(untilContinueAsNewSuggested, { workflowId, taskQueue: TASK_QUEUE, args: [50] }));

    // THEN the suggestion came, on the first task started with at least 20 events before it
    expect(report.suggested).toBe(true);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const started = eventsOfType(history, 'WORKFLOW_TASK_STARTED');
    const firstSuggested = started.find((e) => e.workflowTaskStartedEventAttributes?.suggestContinueAsNew);
    expect(Number(firstSuggested?.eventId)).toBeGreaterThanOrEqual(21);
    expect(Number(firstSuggested?.eventId)).toBeLessThan(27);
    for (const e of started) {
      expect(e.workflowTaskStartedEventAttributes?.suggestContinueAsNew ?? false).toBe(Number(e.eventId) >= Number(firstSuggested?.eventId));
    }
  });
});
