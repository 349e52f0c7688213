import type { ProcedureProgress } from '../../domain/procedures/progress';
import { buildReport } from '../../domain/procedures/report';

const progress = (steps: ProcedureProgress['steps']): ProcedureProgress => ({
  procedure: 'cellRestart',
  cellId: 'cell-002',
  state: 'completed',
  steps,
  requestedBy: 'alice@example.com',
});

describe('buildReport', () => {
  test('a completed restart: timeline in time order, duration from the first step, customers, a default recommendation', () => {
    const report = buildReport(
      progress([
        { name: 'drain-traffic', status: 'done', startedAt: '2026-01-05T00:00:00.000Z', endedAt: '2026-01-05T00:05:00.000Z' },
        { name: 'restart-services', status: 'done', startedAt: '2026-01-05T00:05:00.000Z', endedAt: '2026-01-05T00:05:10.000Z' },
      ]),
      { workflowId: 'cell-recovery-cell-002', reason: 'alarm', outcome: 'completed', cellEndState: 'in-service', endedAt: '2026-01-05T00:20:00.000Z', customersAffected: 380, events: [{ at: '2026-01-05T00:02:00.000Z', event: 'weight 50' }] },
    );
    expect(report).toMatchObject({ outcome: 'completed', cellEndState: 'in-service', startedAt: '2026-01-05T00:00:00.000Z', durationMs: 20 * 60_000, customersAffected: 380 });
    expect(report.timeline.map((e) => e.event)).toEqual([
      'drain-traffic started',
      'weight 50',
      'drain-traffic done',
      'restart-services started',
      'restart-services done',
      'cellRestart completed; cell in-service',
    ]);
    expect(report.dataLossWindow).toBeUndefined();
    expect(report.recommendations).toEqual(['No follow-up needed; watch the post-recovery alarms for the next day.']);
  });

  test('a failed step, a drained cell and a data-loss window each bring their recommendation; the error comes from progress', () => {
    const p = progress([{ name: 'health-check', status: 'failed', startedAt: '2026-01-05T00:00:00.000Z', endedAt: '2026-01-05T00:01:00.000Z' }]);
    p.lastError = 'cell-002 is unhealthy';
    const report = buildReport(p, {
      workflowId: 'w',
      reason: 'r',
      outcome: 'aborted',
      cellEndState: 'drained-operator-notified',
      endedAt: '2026-01-05T00:02:00.000Z',
      customersAffected: 10,
      dataLossWindow: { from: '2026-01-04T23:50:00.000Z', to: '2026-01-05T00:00:00.000Z', durationMs: 600_000 },
    });
    expect(report.error).toBe('cell-002 is unhealthy');
    expect(report.recommendations).toHaveLength(4);
    expect(report.recommendations.join(' ')).toMatch(/health-check.*aborted.*out of service.*Reconcile/);
  });
});

describe('buildReport decisions', () => {
  test('each decision is in the report and its timeline: who, which way, by update or signal, counted or why not', () => {
    const p = progress([{ name: 'approve-decommission', status: 'done', startedAt: '2026-01-05T00:00:00.000Z', endedAt: '2026-01-05T00:03:00.000Z' }]);
    p.decisions = [
      { step: 'decommission', approved: true, approver: 'alice@example.com', reason: 'ok', via: 'signal', at: '2026-01-05T00:01:00.000Z', outcome: 'rejected', rejection: 'four-eyes policy: alice@example.com requested this procedure and cannot approve it' },
      { step: 'decommission', approved: true, approver: 'bob@example.com', reason: 'ok', via: 'update', at: '2026-01-05T00:02:00.000Z', outcome: 'accepted' },
    ];
    const report = buildReport(p, { workflowId: 'w', reason: 'r', outcome: 'completed', cellEndState: 'decommissioned', endedAt: '2026-01-05T00:04:00.000Z', customersAffected: 0 });
    expect(report.decisions).toEqual(p.decisions);
    expect(report.timeline.map((e) => e.event)).toEqual([
      'approve-decommission started',
      'alice@example.com approved decommission (by signal): not counted, rejected: four-eyes policy: alice@example.com requested this procedure and cannot approve it',
      'bob@example.com approved decommission (by update): counted',
      'approve-decommission done',
      'cellRestart completed; cell decommissioned',
    ]);
  });
});
