/**
 * A long stability watch stays within history limits: three hours of one check a minute run in
 * the `stabilityWatch` child, which continues as new every 100 checks, so neither the procedure's
 * history nor any run of the child grows with the length of the watch.
 */
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startProcedure } from '../../client/start-procedure';
import type { ProcedureReport } from '../../domain/procedures/report';
import { STABILITY_CHECKS_PER_RUN } from '../../domain/procedures/stability-watch';
import { bundleCellopsWorkflows, createFleetWorkers, createTestFleet, exampleRegistry, PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { saveHistoryIfAsked } from './cell-replacement.helpers';

jest.setTimeout(300_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES }), bundleCellopsWorkflows()]);
});
afterAll(async () => {
  await env?.teardown();
});

test('a 3-hour watch: 180 checks in a child that continued as new once; every history stays small', async () => {
  const registry = exampleRegistry();
  registry.policies.stabilityWatchSeconds = 3 * 3600;
  const fleet = await createTestFleet(env, { registry });
  const workers = await createFleetWorkers(env, fleet, { bundle });
  const { report, parentEvents, childRuns } = await workers.runUntil(async () => {
    const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
    const report = (await handle.result()) as ProcedureReport;
    const parentEvents = (await handle.fetchHistory()).events?.length ?? 0;
    const childRuns: { runId: string; events: number; closedBy: string }[] = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = "cell-recovery-cell-002-stability-watch"` })) {
      const child = env.client.workflow.getHandle(run.workflowId, run.runId);
      const events = (await child.fetchHistory()).events ?? [];
      childRuns.push({ runId: run.runId, events: events.length, closedBy: temporal.api.enums.v1.EventType[events[events.length - 1]?.eventType ?? 0] });
      if (childRuns[childRuns.length - 1].closedBy.endsWith('CONTINUED_AS_NEW')) await saveHistoryIfAsked(child, 'stabilityWatch-continued');
    }
    return { report, parentEvents, childRuns };
  });

  expect(report.outcome).toBe('completed');
  expect(report.steps.find((s) => s.name === 'watch-stability')?.status).toBe('done');
  const watched = Date.parse(report.steps.find((s) => s.name === 'watch-stability')?.endedAt ?? '') - Date.parse(report.steps.find((s) => s.name === 'watch-stability')?.startedAt ?? '');
  expect(watched).toBeGreaterThanOrEqual(3 * 3600 * 1000);

  // 180 checks: two runs of the child, the first continued as new after 100.
  expect(childRuns.map((r) => r.closedBy).sort()).toEqual(['EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW']);
  const stabilityChecks = fleet.calls.list({ command: 'DescribeAlarms' }).length - 1 - 1; // minus eligibility (the other cells read together) and the health check
  expect(stabilityChecks).toBe(180);
  // Each run holds at most its 100 checks (a few events each); the parent none of them.
  for (const run of childRuns) expect(run.events).toBeLessThan(STABILITY_CHECKS_PER_RUN * 12);
  expect(parentEvents).toBeLessThan(300);
});
