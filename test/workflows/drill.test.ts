/**
 * Recovery drills on the simulated fleet under time skipping, through the drill schedule the CLI
 * creates (`scheduleDrill`) on the dev server's Schedule API: a month of weekly drills rotating
 * through the fleet, a drill skipped by a blocking alarm, a drill aborted by an outcome alarm
 * with the cell back in service, and a drill inside a change freeze skipped.
 */
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import type { Client } from '@temporalio/client';
import { listDrills, scheduleDrill, type ScheduleDrillOptions } from '../../client/data/drills';
import { drillScheduleId, type DrillReport } from '../../domain/drills';
import { saveHistoryIfAsked } from './cell-replacement.helpers';
import { createTestFleet, serverTime, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';

jest.setTimeout(600_000);
const DAY = 24 * 3_600_000;

describe('recovery drills', () => {
  const t = useProcedureTestEnvironment();
  const client = (): Client => t.env.client;
  afterEach(async () => {
    // A schedule left behind would fire whenever a later test lets virtual time run.
    for await (const s of client().schedule.list()) await client().schedule.getHandle(s.scheduleId).delete();
  });

  function drill(fleet: TestFleet, name: string, overrides: Partial<ScheduleDrillOptions> = {}): Promise<{ scheduleId: string }> {
    return scheduleDrill(client(), {
      name,
      procedure: 'cellRestart',
      cron: '0 10 1 1 *',
      requestedBy: 'drill-owner',
      registry: fleet.registry,
      ...overrides,
    });
  }

  async function drillReports(name: string): Promise<DrillReport[]> {
    const ids: { id: string; start: number }[] = [];
    for await (const wf of client().workflow.list({ query: `TemporalScheduledById = "${drillScheduleId(name)}"` })) {
      ids.push({ id: wf.workflowId, start: wf.startTime.getTime() });
    }
    ids.sort((a, b) => a.start - b.start);
    return await Promise.all(ids.map(async ({ id }) => (await client().workflow.getHandle(id).result()) as DrillReport));
  }

  /** Triggers the drill now and returns its report (its history saved as `history` with CELLOPS_SAVE_HISTORIES=1). */
  async function triggerAndReport(name: string, history: string): Promise<DrillReport> {
    const handle = client().schedule.getHandle(drillScheduleId(name));
    await handle.trigger();
    const started = (await handle.describe()).info.recentActions.at(-1);
    if (!started) throw new Error('the trigger started nothing');
    const run = client().workflow.getHandle(started.action.workflow.workflowId);
    const report = (await run.result()) as DrillReport;
    await saveHistoryIfAsked(run, history);
    return report;
  }

  /**
   * A state set by SetAlarmState lasts until the alarm's next evaluation (10 s of fleet time by
   * default), and the fleet's clock runs with the server's, so on a slow machine the alarm could be
   * back to OK before the drill reads it. These tests are about an alarm that is in ALARM: it stays.
   */
  const alarmsHoldTheStateSet = { timing: { alarmStateOverrideMs: DAY } };

  const alarm = (fleet: TestFleet, name: string) =>
    fleet.clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'set by the test' }));

  it('runs a month of weekly drills, one cell after the other, each a completed restart within its runbook', async () => {
    const fleet = await createTestFleet(t.env);
    await t.withWorkers(fleet, async () => {
      // GIVEN a weekly drill rotating through the fleet
      await drill(fleet, 'weekly', { rotate: true, cron: '0 10 * * TUE' });

      // WHEN four weeks pass
      await t.env.sleep(28 * DAY);
      // (paused, so that waiting for results, which lets virtual time run, starts no fifth drill)
      await client().schedule.getHandle(drillScheduleId('weekly')).pause('month over');

      // THEN four drills ran, each on the next cell, each a completed restart with every step timed against the budget
      const reports = await drillReports('weekly');
      const cells = fleet.registry.cells.map((c) => c.id);
      expect(reports.map((r) => r.cellId)).toEqual([0, 1, 2, 3].map((i) => cells[i % cells.length]));
      for (const r of reports) {
        expect(r).toMatchObject({ outcome: 'completed', runbookHeld: true, procedure: 'cellRestart' });
        expect(r.procedureReport?.cellEndState).toBe('in-service');
        expect(r.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['drain-traffic', 'restart-services', 'restore-traffic']));
        for (const s of r.steps.filter((step) => step.status === 'done')) expect(s.tookSeconds).not.toBeNull();
        expect(r.budgetSeconds).toBeGreaterThan(0);
      }

      // AND `drill list` shows the schedule with its last outcome
      const [listed] = await listDrills(client());
      expect(listed).toMatchObject({ name: 'weekly', paused: true, note: 'month over', lastRun: { outcome: 'completed', cellId: reports[3].cellId } });
    });
  });

  it('skips a drill while a blocking alarm is in ALARM, and says why', async () => {
    const fleet = await createTestFleet(t.env, alarmsHoldTheStateSet);
    await t.withWorkers(fleet, async () => {
      // GIVEN a drill of cell-002 blocked by the router's error-rate alarm, which is in ALARM
      await drill(fleet, 'blocked', { cellId: 'cell-002', blockingAlarms: ['router-HighErrorRate'] });
      await alarm(fleet, 'router-HighErrorRate');

      // WHEN the drill runs
      const report = await triggerAndReport('blocked', 'recoveryDrill-blocking-alarm');

      // THEN it is skipped, naming the alarm, and no procedure ran
      expect(report).toMatchObject({ outcome: 'skipped', cellId: 'cell-002', why: 'blocking alarm in ALARM: router-HighErrorRate' });
      expect(report.procedureWorkflowId).toBeUndefined();
      expect(fleet.calls.list({ command: 'UpdateStack' })).toHaveLength(0);
    });
  });

  it('aborts the procedure when an outcome alarm fires, leaving the cell in service', async () => {
    const fleet = await createTestFleet(t.env, alarmsHoldTheStateSet);
    await t.withWorkers(fleet, async () => {
      // GIVEN a drill of cell-001 watching the router's availability alarm, which fires
      await drill(fleet, 'watched', { cellId: 'cell-001', outcomeAlarms: ['router-LowAvailability'] });
      await alarm(fleet, 'router-LowAvailability');

      // WHEN the drill runs
      const report = await triggerAndReport('watched', 'recoveryDrill-outcome-alarm-abort');

      // THEN the procedure was aborted, the cell is back in service and not restarted
      expect(report.outcome).toBe('aborted');
      expect(report.why).toMatch(/^outcome alarm in ALARM: router-LowAvailability; the procedure was aborted, the cell in-service$/);
      expect(report.procedureReport).toMatchObject({ outcome: 'aborted', cellEndState: 'in-service' });
      expect(report.runbookHeld).toBe(false);
      expect(fleet.calls.list({ command: 'UpdateStack' })).toHaveLength(0);
    });
  });

  it('skips a drill inside a change freeze', async () => {
    const fleet = await createTestFleet(t.env);
    await t.withWorkers(fleet, async () => {
      // GIVEN a drill with a change freeze around now
      const now = await serverTime(t.env);
      const freeze = { start: new Date(now - DAY).toISOString(), end: new Date(now + DAY).toISOString(), reason: 'end of quarter' };
      await drill(fleet, 'frozen', { cellId: 'cell-003', freezeWindows: [freeze] });

      // WHEN the drill runs
      const report = await triggerAndReport('frozen', 'recoveryDrill-freeze');

      // THEN it is skipped, naming the freeze
      expect(report).toMatchObject({ outcome: 'skipped', why: `inside the change freeze ${freeze.start} to ${freeze.end}: end of quarter` });
      expect(fleet.calls.list({ command: 'UpdateStack' })).toHaveLength(0);
    });
  });
});
