/**
 * A pause that arrives while a procedure waits at an approval gate holds the step after the
 * gate, and the progress says so: `paused` once the gate is decided, not `running`.
 */
import { startProcedure } from '../../client/start-procedure';
import type { ProcedureReport } from '../../domain/procedures/report';
import type { Registry } from '../../domain/registry';
import { pauseSignal, resumeSignal } from '../../workflows/messages';
import { createTestFleet, exampleRegistry, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { APPROVER, awaitingApproval, decide, skipUntil } from './cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();
jest.setTimeout(300_000);

test('paused at the restart gate: approved, still paused with nothing touched, then resumed to completion', async () => {
  const base = exampleRegistry();
  const registry: Registry = { ...base, policies: { ...base.policies, approvals: { ...base.policies.approvals, required: ['restart'] } } };
  const fleet = await createTestFleet(procedures.env, { registry });
  const { whilePaused, afterDecision, report } = await procedures.withWorkers(fleet, async () => {
    const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
    await skipUntil(procedures.env, handle, awaitingApproval('restart'));
    await handle.signal(pauseSignal, { requestedBy: 'carol@example.com', reason: 'hold until the on-call is back' });
    const whilePaused = await skipUntil(procedures.env, handle, (p) => p.state === 'paused');
    await decide(handle, 'restart', true, APPROVER, 'restart checked');
    const afterDecision = await skipUntil(procedures.env, handle, (p) => p.pendingApproval === undefined, 5);
    await handle.signal(resumeSignal);
    const report = (await handle.result()) as ProcedureReport;
    return { whilePaused, afterDecision, report };
  });
  expect(whilePaused.pendingApproval?.step).toBe('restart');
  expect(afterDecision.state).toBe('paused');
  expect(afterDecision.steps.map((s) => s.name)).toEqual(['check-eligibility', 'approve-restart']);
  expect(report.outcome).toBe('completed');
});

test('paused and resumed while the gate waits: back to awaiting approval', async () => {
  const base = exampleRegistry();
  const registry: Registry = { ...base, policies: { ...base.policies, approvals: { ...base.policies.approvals, required: ['restart'] } } };
  const fleet = await createTestFleet(procedures.env, { registry });
  const progress = await procedures.withWorkers(fleet, async () => {
    const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
    await skipUntil(procedures.env, handle, awaitingApproval('restart'));
    await handle.signal(pauseSignal, { requestedBy: 'carol@example.com', reason: 'hold' });
    await skipUntil(procedures.env, handle, (p) => p.state === 'paused');
    await handle.signal(resumeSignal);
    const progress = await skipUntil(procedures.env, handle, (p) => p.state !== 'paused');
    await decide(handle, 'restart', false, APPROVER, 'not today');
    await handle.result();
    return progress;
  });
  expect(progress).toMatchObject({ state: 'awaiting-approval', pendingApproval: { step: 'restart' } });
  expect(fleet.calls.count({ command: 'ChangeResourceRecordSets' })).toBe(0);
});
