/**
 * The Schedule API on the dev server (`createLocal` form), through the unmodified SDK's
 * `client.schedule`: create/describe/list/update/delete, triggers and backfills, pause with a
 * note, overlap policies, pause on failure, and the search attributes of started workflows.
 * Actions here come from triggers and backfills; spec-driven actions over time are in
 * schedules-time-skipping.test.ts and the restart test under persistence/.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { uniqueId, useTestWorkflows, waitFor } from './helpers';
import { failWithApplicationFailure, greet, waitForCancel } from './workflows';

const TASK_QUEUE = 'devserver-schedules';
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const DAY = 24 * 3_600_000;

describe('dev server: schedules', () => {
  const fixture = useTestWorkflows(TASK_QUEUE);
  const client = (): Client => fixture.env.client;

  async function statusOf(run: { workflowId: string; firstExecutionRunId: string }): Promise<number> {
    const execution = { workflowId: run.workflowId, runId: run.firstExecutionRunId };
    const d = await client().workflowService.describeWorkflowExecution({ namespace: 'default', execution });
    return d.workflowExecutionInfo?.status ?? 0;
  }

  it('creates a schedule from a cron string, describes it compiled, lists it, and answers matching times', async () => {
    // GIVEN a schedule on weekdays at 09:30 Paris time, paused with a note
    const scheduleId = uniqueId('sched-describe');
    const handle = await client().schedule.create({
      scheduleId,
      spec: { cronExpressions: ['30 9 * * MON-FRI'], timezone: 'Europe/Paris' },
      action: { type: 'startWorkflow', workflowType: greet, args: ['drill'], taskQueue: TASK_QUEUE },
      state: { paused: true, note: 'created paused' },
      memo: { owner: 'ops' },
    });

    // WHEN it is described
    const d = await handle.describe();

    // THEN the cron string comes back as a structured calendar, with the defaults of a real server
    expect(d.spec.calendars).toEqual([
      expect.objectContaining({
        hour: [{ start: 9, end: 9, step: 1 }],
        minute: [{ start: 30, end: 30, step: 1 }],
        dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
      }),
    ]);
    expect(d.spec.timezone).toBe('Europe/Paris');
    expect(d.policies).toEqual({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 365 * DAY, pauseOnFailure: false });
    expect(d.state).toEqual({ paused: true, note: 'created paused', remainingActions: undefined });
    expect(d.memo).toEqual({ owner: 'ops' });
    expect(d.action).toMatchObject({ workflowType: 'greet', args: ['drill'], workflowId: `${scheduleId}-workflow` });
    expect(d.info.nextActionTimes).toHaveLength(10);
    for (const t of d.info.nextActionTimes) {
      const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', weekday: 'short' }).format(t);
      expect(paris).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:30$/);
    }

    // AND the matching times of the next week are the five weekdays, the first ones Describe lists
    const from = d.info.nextActionTimes[0];
    const matching = await client().workflowService.listScheduleMatchingTimes({
      namespace: 'default',
      scheduleId,
      startTime: { seconds: Long.fromNumber(Math.floor(from.getTime() / 1000)) },
      endTime: { seconds: Long.fromNumber(Math.floor(from.getTime() / 1000) + 7 * 86_400 - 1) },
    });
    expect(matching.startTime?.map((t) => Number(t.seconds) * 1000)).toEqual(d.info.nextActionTimes.slice(0, 5).map((t) => t.getTime()));

    // AND the list shows it, paused, and the query language selects it
    const listed = [];
    for await (const s of client().schedule.list({ query: `ScheduleId = "${scheduleId}" AND TemporalSchedulePaused = true` })) listed.push(s);
    expect(listed).toEqual([expect.objectContaining({ scheduleId, state: { paused: true, note: 'created paused' }, action: { type: 'startWorkflow', workflowType: 'greet' } })]);
    const none = [];
    for await (const s of client().schedule.list({ query: `ScheduleId = "${scheduleId}" AND TemporalSchedulePaused = false` })) none.push(s);
    expect(none).toEqual([]);

    // AND a second create with the same id is refused, and so is a broken cron string
    await expect(client().schedule.create(sameId(scheduleId))).rejects.toBeInstanceOf(ScheduleAlreadyRunning);
    await expect(
      client().schedule.create({
        scheduleId: uniqueId('sched-bad'),
        spec: { cronExpressions: ['0 25 * * *'] },
        action: { type: 'startWorkflow', workflowType: greet, args: ['x'], taskQueue: TASK_QUEUE },
      }),
    ).rejects.toThrow(/hour value 25 out of range/);
    await handle.delete();
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  function sameId(scheduleId: string) {
    return {
      scheduleId,
      spec: { intervals: [{ every: '1 day' as const }] },
      action: { type: 'startWorkflow' as const, workflowType: greet, args: ['x'] as [string], taskQueue: TASK_QUEUE },
    };
  }

  it('starts a triggered workflow with the schedule search attributes and reports it as a recent action', async () => {
    await fixture.withWorker(async () => {
      // GIVEN a daily schedule
      const scheduleId = uniqueId('sched-trigger');
      const handle = await client().schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1 day' }] },
        action: { type: 'startWorkflow', workflowType: greet, workflowId: `${scheduleId}-wf`, args: ['schedule'], taskQueue: TASK_QUEUE },
      });

      // WHEN it is triggered
      await handle.trigger();

      // THEN one workflow runs to completion, its id the action's with the time appended
      const action = await waitFor(async () => {
        const d = await handle.describe();
        const a = d.info.recentActions[0];
        return a && d.info.runningActions.length === 0 ? a : undefined;
      }, 30_000);
      const workflowId = action.action.workflow.workflowId;
      expect(workflowId).toMatch(new RegExp(`^${scheduleId}-wf-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
      expect(await client().workflow.getHandle(workflowId).result()).toBe('Hello, schedule');
      const d = await handle.describe();
      expect(d.info.numActionsTaken).toBe(1);
      expect(d.raw.info?.recentActions?.[0].startWorkflowStatus).toBe(Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);

      // AND the workflow carries TemporalScheduledById and TemporalScheduledStartTime, which the list query finds
      const described = await client().workflow.getHandle(workflowId).describe();
      expect(described.searchAttributes.TemporalScheduledById).toEqual([scheduleId]);
      expect((described.searchAttributes.TemporalScheduledStartTime as Date[])[0].getTime()).toBe(action.scheduledAt.getTime());
      const found = [];
      for await (const wf of client().workflow.list({ query: `TemporalScheduledById = "${scheduleId}"` })) found.push(wf.workflowId);
      expect(found).toEqual([workflowId]);
      await handle.delete();
    });
  });

  it('backfills a range of past times, one workflow per nominal time, buffered one after another', async () => {
    await fixture.withWorker(async () => {
      // GIVEN a schedule every 6 hours
      const scheduleId = uniqueId('sched-backfill');
      const handle = await client().schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '6 hours' }] },
        action: { type: 'startWorkflow', workflowType: greet, workflowId: scheduleId, args: ['backfill'], taskQueue: TASK_QUEUE },
      });

      // WHEN a day of 2026-01-01 is backfilled with BUFFER_ALL
      await handle.backfill({ start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-01T23:59:59Z'), overlap: ScheduleOverlapPolicy.BUFFER_ALL });

      // THEN the four times run, in order, each once
      const d = await waitFor(async () => {
        const desc = await handle.describe();
        return desc.info.numActionsTaken === 4 && desc.info.runningActions.length === 0 && desc.raw.info?.bufferSize?.toString() === '0' ? desc : undefined;
      }, 60_000);
      expect(d.info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual(
        ['00', '06', '12', '18'].map((h) => `${scheduleId}-2026-01-01T${h}:00:00Z`),
      );
      expect(d.info.recentActions.map((a) => a.scheduledAt.toISOString())).toEqual(
        ['00', '06', '12', '18'].map((h) => `2026-01-01T${h}:00:00.000Z`),
      );
      await handle.delete();
    });
  });

  it('applies overlap policies to triggers while a workflow of the schedule runs', async () => {
    await fixture.withWorker(async () => {
      // GIVEN a schedule whose workflow runs until cancelled, one of it running
      const scheduleId = uniqueId('sched-overlap');
      const handle = await client().schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1 day' }] },
        action: { type: 'startWorkflow', workflowType: waitForCancel, workflowId: scheduleId, taskQueue: TASK_QUEUE },
      });
      const running = async () => (await handle.describe()).info.runningActions.map((a) => a.workflow);
      const runningOtherThan = async (runId: string) => {
        const now = await running();
        return now.length === 1 && now[0].firstExecutionRunId !== runId ? now[0] : undefined;
      };
      await handle.trigger(ScheduleOverlapPolicy.SKIP);
      const first = await waitFor(async () => (await running())[0], 30_000);

      // WHEN triggers come with SKIP, then BUFFER_ONE twice
      await handle.trigger(ScheduleOverlapPolicy.SKIP);
      await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
      await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);

      // THEN the skip is counted, one start is buffered and the other dropped
      const d = await handle.describe();
      expect(d.info.numActionsSkippedOverlap).toBe(1);
      expect(d.raw.info?.bufferSize?.toNumber()).toBe(1);
      expect(d.raw.info?.bufferDropped?.toNumber()).toBe(1);
      expect(await running()).toEqual([first]);

      // AND when the running one ends, the buffered start runs
      await client().workflow.getHandle(first.workflowId, first.firstExecutionRunId).cancel();
      const second = await waitFor(async () => await runningOtherThan(first.firstExecutionRunId), 30_000);
      expect(await statusOf(first)).toBe(Status.WORKFLOW_EXECUTION_STATUS_CANCELED);

      // AND TERMINATE_OTHER ends it and starts the next at once
      await handle.trigger(ScheduleOverlapPolicy.TERMINATE_OTHER);
      expect(await statusOf(second)).toBe(Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
      const third = await runningOtherThan(second.firstExecutionRunId);
      if (!third) throw new Error('TERMINATE_OTHER started nothing');

      // AND CANCEL_OTHER asks it to cancel and starts the next only once it has
      await handle.trigger(ScheduleOverlapPolicy.CANCEL_OTHER);
      const fourth = await waitFor(async () => await runningOtherThan(third.firstExecutionRunId), 30_000);
      expect(await statusOf(third)).toBe(Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
      expect((await handle.describe()).info.numActionsTaken).toBe(4);
      await client().workflow.getHandle(fourth.workflowId, fourth.firstExecutionRunId).cancel();
      await handle.delete();
    });
  });

  it('pauses on a failed workflow with a note, and pause/unpause/update keep their notes and conflict token', async () => {
    await fixture.withWorker(async () => {
      // GIVEN a schedule with pause on failure whose workflow fails
      const scheduleId = uniqueId('sched-failure');
      const handle = await client().schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1 day' }] },
        action: { type: 'startWorkflow', workflowType: failWithApplicationFailure, workflowId: scheduleId, args: ['broken'], taskQueue: TASK_QUEUE },
        policies: { pauseOnFailure: true },
      });

      // WHEN it is triggered
      await handle.trigger();

      // THEN it pauses, saying which workflow failed
      const d = await waitFor(async () => {
        const desc = await handle.describe();
        return desc.state.paused ? desc : undefined;
      }, 30_000);
      const failed = d.info.recentActions[0].action.workflow.workflowId;
      expect(d.state.note).toBe(`paused due to workflow failure: ${failed}: FAILED`);

      // AND unpause and pause replace the note
      await handle.unpause('looked at it');
      expect((await handle.describe()).state).toMatchObject({ paused: false, note: 'looked at it' });
      await handle.pause('maintenance');
      expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'maintenance' });

      // AND an update changes the spec and bumps the conflict token; a stale token is refused
      const before = (await handle.describe()).raw.conflictToken;
      await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '2 days' }] } }));
      const after = await handle.describe();
      expect(after.spec.intervals).toEqual([{ every: 2 * DAY, offset: 0 }]);
      expect(after.info.lastUpdatedAt).toBeInstanceOf(Date);
      await expect(
        client().workflowService.updateSchedule({ namespace: 'default', scheduleId, schedule: after.raw.schedule, conflictToken: before }),
      ).rejects.toThrow(/mismatched conflict token/);
      await handle.delete();
    });
  });
});
