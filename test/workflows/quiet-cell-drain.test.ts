/**
 * A cell whose weighted group serves no measurable traffic (night, a new region, a canary) is
 * drained on the Route 53 changes being in sync alone: no TrafficDidNotMove, and the progress
 * and the report say which steps were not measured.
 */
import type { ProcedureReport } from '../../domain/procedures/report';
import { startProcedure } from '../../client/start-procedure';
import { progressQuery } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { saveHistoryIfAsked } from './cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();
jest.setTimeout(300_000);

test('a quiet cell is drained, restarted and restored on INSYNC alone, each unmeasured step said in the progress and the report', async () => {
  // GIVEN a fleet that serves no requests at all
  const fleet = await createTestFleet(procedures.env, { requestsPerSecond: 0 });

  // WHEN cell-002 is restarted
  const { report, progress } = await procedures.withWorkers(fleet, async () => {
    const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
    const report = (await handle.result()) as ProcedureReport;
    await saveHistoryIfAsked(handle, 'cellRestart-quiet-cell');
    return { report, progress: await handle.query(progressQuery) };
  });

  // THEN it completes, every drain weight written once, and one traffic reading per step (no three-minute wait for requests)
  expect(report).toMatchObject({ outcome: 'completed', cellEndState: 'in-service' });
  expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100 });
  const drainReadings = fleet.calls.list({ command: 'GetMetricData' }).filter((c) => (c.input as { MetricDataQueries: { Id: string }[] }).MetricDataQueries.some((q) => q.Id.startsWith('cell')));
  expect(drainReadings).toHaveLength(4);

  // AND the progress marks each drain step as unmeasured, with the group's requests and the policy's minimum
  const unmeasured = (progress.traffic ?? []).filter((t) => t.unmeasured);
  expect(unmeasured.map((t) => t.weight)).toEqual([75, 50, 25, 0]);
  expect(unmeasured[0].unmeasured).toEqual({ groupRequests: 0, minGroupRequestsPerMinute: 60 });

  // AND the report says so in its timeline and asks for a check elsewhere
  const lines = report.timeline.map((e) => e.event).filter((e) => e.includes('no measurable traffic'));
  expect(lines).toHaveLength(4);
  expect(lines[0]).toBe('cell-002 at weight 75: no measurable traffic (0 requests in the minute, fewer than 60); moved on the Route 53 change being in sync alone');
  expect(report.recommendations).toContain('Traffic of cell-002 could not be measured while it moved: confirm from the load balancers that it followed the weights.');
});
