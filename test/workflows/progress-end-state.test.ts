/**
 * The `progress` query after a procedure ended says how it ended (`completed`, `failed` or
 * `aborted`, never still `running`), on every path: a restart refused at its approval gate, a
 * failed drain, a restart handed over to replacement (the restart's own run), an aborted
 * replacement, a procedure for an unknown cell, a router failover without a router to restart.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { startProcedure, startRouterFailover } from '../../client/start-procedure';
import type { ProcedureReport } from '../../domain/procedures/report';
import type { Registry } from '../../domain/registry';
import { TASK_QUEUE } from '../../domain/task-queues';
import { abortSignal, progressQuery } from '../../workflows/messages';
import { createTestFleet, exampleRegistry, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { APPROVER, awaitingApproval, decide, skipUntil, startReplacement } from './cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;
jest.setTimeout(300_000);

/** Waits for the end of the workflow, failed or not. */
const settled = (handle: WorkflowHandle) => handle.result().then(
  (report: unknown) => ({ report: report as ProcedureReport, error: undefined }),
  (error: unknown) => ({ report: undefined, error }),
);

describe('progress at the end of a procedure', () => {
  test('a restart rejected at its approval gate: aborted, nothing touched, the cell in service', async () => {
    const base = exampleRegistry();
    const registry: Registry = { ...base, policies: { ...base.policies, approvals: { ...base.policies.approvals, required: ['restart'] } } };
    const fleet = await createTestFleet(procedures.env, { registry });
    const { report, progress } = await withWorkers(fleet, async () => {
      const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      await skipUntil(procedures.env, handle, awaitingApproval('restart'));
      await decide(handle, 'restart', false, APPROVER, 'not during the sale');
      const report = (await handle.result()) as ProcedureReport;
      return { report, progress: await handle.query(progressQuery) };
    });
    expect(report).toMatchObject({ outcome: 'aborted', cellEndState: 'in-service', error: `the restart of cell-002 was rejected by ${APPROVER}: not during the sale` });
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['check-eligibility:done', 'approve-restart:done']);
    expect(progress).toMatchObject({ state: 'aborted', lastError: `the restart of cell-002 was rejected by ${APPROVER}: not during the sale` });
    expect(fleet.calls.count({ command: 'ChangeResourceRecordSets' })).toBe(0);
    expect(fleet.calls.count({ command: 'UpdateStack' })).toBe(0);
  });

  test('a drain whose traffic does not move: failed', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'traffic-stuck', cellId: 'cell-002' });
    const { outcome, progress } = await withWorkers(fleet, async () => {
      const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      return { outcome: await settled(handle), progress: await handle.query(progressQuery) };
    });
    expect(outcome.error).toBeInstanceOf(WorkflowFailedError);
    expect(progress.state).toBe('failed');
    expect(progress.currentStep).toBeUndefined();
    expect(progress.lastError).toContain('did not follow weight');
  });

  test('a restart handed over to replacement: the restart run ends failed, the replacement run takes over', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'failing-stack-update', stackName: 'shop-cell-002', reason: 'CellService did not stabilize' });
    const { restartRun, replacementRun } = await withWorkers(fleet, async () => {
      const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      const firstRun = (await handle.describe()).runId;
      for (let minute = 0; minute < 60; minute++) {
        if ((await procedures.env.client.workflow.getHandle(handle.workflowId).describe()).runId !== firstRun) break;
        await procedures.env.sleep(60_000);
      }
      const restartRun = await procedures.env.client.workflow.getHandle(handle.workflowId, firstRun).query(progressQuery);
      const replacementRun = await procedures.env.client.workflow.getHandle(handle.workflowId).query(progressQuery);
      return { restartRun, replacementRun };
    });
    expect(restartRun).toMatchObject({ procedure: 'cellRestart', state: 'failed' });
    expect(restartRun.lastError).toMatch(/UPDATE_ROLLBACK_COMPLETE/);
    expect(replacementRun).toMatchObject({ procedure: 'cellReplacement' });
    expect(['running', 'awaiting-approval']).toContain(replacementRun.state);
  });

  test('an aborted replacement: aborted', async () => {
    const fleet = await createTestFleet(procedures.env);
    const progress = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-002');
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await handle.signal(abortSignal, { requestedBy: APPROVER, reason: 'stop here' });
      await settled(handle);
      return await handle.query(progressQuery);
    });
    expect(progress).toMatchObject({ state: 'aborted', lastError: `aborted by ${APPROVER}: stop here` });
    expect(progress.pendingApproval).toBeUndefined();
  });

  test('a procedure for a cell the registry does not know: failed, with the reason', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { outcome, progress } = await withWorkers(fleet, async () => {
      // Past the client's own check, as if the registry had changed since the start was decided.
      const handle = await procedures.env.client.workflow.start('cellReplacement', { taskQueue: TASK_QUEUE, workflowId: 'cell-recovery-cell-404', args: [fleet.input('cell-404')] });
      return { outcome: await settled(handle), progress: await handle.query(progressQuery) };
    });
    expect(outcome.error).toBeInstanceOf(WorkflowFailedError);
    expect(progress.state).toBe('failed');
    expect(progress.lastError).toContain('cell-404');
  });

  test('a router failover on a registry whose router has no stack: failed, with the reason', async () => {
    const fleet = await createTestFleet(procedures.env);
    const registry: Registry = { ...fleet.registry, router: { ...fleet.registry.router, stack: undefined } };
    const { outcome, progress } = await withWorkers(fleet, async () => {
      const handle = await startRouterFailover(procedures.env.client, { reason: 'test', requestedBy: 'alice@example.com', registry });
      return { outcome: await settled(handle), progress: await handle.query(progressQuery) };
    });
    expect(outcome.error).toBeInstanceOf(WorkflowFailedError);
    expect(progress).toMatchObject({ procedure: 'routerFailover', state: 'failed' });
    expect(progress.lastError).toContain('has no stack');
  });
});
