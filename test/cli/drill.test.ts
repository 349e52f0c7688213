/** `cellops drill`: schedule (one cell or rotating), list with the last outcome, pause, resume, delete; usage errors. */
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { inProcessCli } from './helpers';

jest.setTimeout(300_000);
const procedures = useProcedureTestEnvironment();

describe('cellops drill', () => {
  afterEach(async () => {
    const client = procedures.env.client;
    for await (const s of client.schedule.list()) await client.schedule.getHandle(s.scheduleId).delete();
  });

  test('schedules a drill, lists it, pauses, resumes and deletes it', async () => {
    const fleet = await createTestFleet(procedures.env);
    const cellops = inProcessCli(procedures.env, fleet);

    const scheduled = await cellops('drill', 'schedule', 'cellRestart', '--name', 'weekly', '--rotate', '--cron', '0 10 * * TUE', '--blocking-alarm', 'router-HighErrorRate', '--freeze', '2026-12-20T00:00:00Z/2027-01-04T00:00:00Z=holidays', '--json', '--by', 'alice@example.com');
    expect(scheduled).toMatchObject({ code: 0, stderr: '' });
    const { scheduleId, nextRuns } = JSON.parse(scheduled.stdout) as { scheduleId: string; nextRuns: string[] };
    expect(scheduleId).toBe('drill-weekly');
    expect(nextRuns).toHaveLength(3);
    for (const at of nextRuns) expect(new Date(at).getUTCDay()).toBe(2);

    const listed = await cellops('drill', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ name: 'weekly', cron: '0 10 * * TUE', paused: false, cells: fleet.registry.cells.map((c) => c.id), nextRunAt: nextRuns[0] }),
    ]);

    expect((await cellops('drill', 'pause', 'weekly', '--reason', 'game day', '--by', 'alice@example.com')).stdout).toBe('drill weekly paused\n');
    expect((await cellops('drill', 'list')).stdout).toMatch(/^weekly {2}0 10 \* \* TUE {2}paused \(paused by alice@example.com: game day\) {2}cells .* {2}not run yet\n$/);
    expect((await cellops('drill', 'resume', 'weekly', '--by', 'alice@example.com')).code).toBe(0);
    expect(JSON.parse((await cellops('drill', 'list', '--json')).stdout)).toEqual([expect.objectContaining({ paused: false })]);
    expect((await cellops('drill', 'delete', 'weekly')).stdout).toBe('drill weekly deleted\n');
    expect((await cellops('drill', 'list')).stdout).toBe('no drills scheduled\n');
  });

  test('refuses a drill without a cell or with an unknown one, and an unknown drill', async () => {
    const fleet = await createTestFleet(procedures.env);
    const cellops = inProcessCli(procedures.env, fleet);
    const noCell = await cellops('drill', 'schedule', '--name', 'x', '--cron', '0 10 * * *', '--by', 'alice@example.com');
    expect(noCell.code).toBe(2);
    expect(noCell.stderr).toMatch(/give --cell <id> or --rotate/);
    const unknown = await cellops('drill', 'schedule', '--name', 'x', '--cell', 'cell-404', '--cron', '0 10 * * *', '--by', 'alice@example.com');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no cell cell-404/);
    const missing = await cellops('drill', 'pause', 'nope', '--by', 'alice@example.com');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/drill-nope/);
  });
});
