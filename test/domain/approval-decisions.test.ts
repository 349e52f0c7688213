import { judgeDecision, parseDecision, type OpenGate } from '../../domain/procedures/approval-decisions';

const rules = { requestedBy: 'alice@example.com', fourEyes: true };
const gate = (extra: Partial<OpenGate> = {}): OpenGate => ({ step: 'decommission', minApprovers: 1, approvedBy: [], ...extra });
const decision = (extra: Record<string, unknown> = {}) => ({ step: 'decommission', approved: true, approver: 'bob@example.com', reason: 'checked', ...extra });
const none = new Map<string, string>();

describe('approval decisions', () => {
  test('a decision naming the pending step, from someone other than the requester, opens a one-approver gate', () => {
    expect(judgeDecision(decision(), gate(), none, rules)).toEqual({ outcome: 'accepted', decision: decision(), closesGate: true });
  });

  test.each([
    ['not an object', 'approve it', 'a decision is an object'],
    ['an array', [decision()], 'a decision is an object'],
    ['no step', decision({ step: ' ' }), 'needs the step'],
    ['approved as a string', decision({ approved: 'true' }), '"approved": true or false'],
    ['no approver', decision({ approver: '' }), 'needs the approver'],
    ['no reason', decision({ reason: undefined }), 'needs a reason'],
  ])('%s is rejected, with the reason', (_name, raw, reason) => {
    const judged = judgeDecision(raw, gate(), none, rules);
    expect(judged.outcome).toBe('rejected');
    expect(judged.outcome !== 'accepted' && judged.reason).toContain(reason);
  });

  test('another step, no gate pending, and the requester under four-eyes (however spelt) are rejected', () => {
    expect(judgeDecision(decision({ step: 'emergency-capacity' }), gate(), none, rules)).toMatchObject({ outcome: 'rejected', reason: 'the pending approval is for step decommission, not emergency-capacity' });
    expect(judgeDecision(decision(), undefined, none, rules)).toMatchObject({ outcome: 'rejected', reason: 'no approval is pending' });
    expect(judgeDecision(decision({ approver: ' Alice@Example.com' }), gate(), none, rules)).toMatchObject({ outcome: 'rejected', reason: 'four-eyes policy: Alice@Example.com requested this procedure and cannot approve it' });
    expect(judgeDecision(decision({ approver: 'alice@example.com', approved: false }), gate(), none, rules)).toMatchObject({ outcome: 'rejected' });
    expect(judgeDecision(decision({ approver: 'alice@example.com' }), gate(), none, { ...rules, fourEyes: false })).toMatchObject({ outcome: 'accepted' });
  });

  test('minApprovers: each approver counts once; the last one needed closes the gate; any rejection closes it at once', () => {
    expect(judgeDecision(decision(), gate({ minApprovers: 2 }), none, rules)).toMatchObject({ outcome: 'accepted', closesGate: false });
    expect(judgeDecision(decision({ approver: 'BOB@example.com' }), gate({ minApprovers: 2, approvedBy: ['bob@example.com'] }), none, rules)).toMatchObject({
      outcome: 'rejected',
      reason: 'BOB@example.com already approved decommission; it needs 2 distinct approvers',
    });
    expect(judgeDecision(decision({ approver: 'carol@example.com' }), gate({ minApprovers: 2, approvedBy: ['bob@example.com'] }), none, rules)).toMatchObject({ outcome: 'accepted', closesGate: true });
    expect(judgeDecision(decision({ approved: false }), gate({ minApprovers: 3 }), none, rules)).toMatchObject({ outcome: 'accepted', closesGate: true });
  });

  test('a decision for a gate already decided is late, whether the gate is still pending or closed', () => {
    expect(judgeDecision(decision({ approver: 'carol@example.com' }), gate({ decided: 'approved by bob@example.com' }), none, rules)).toMatchObject({
      outcome: 'late',
      reason: 'the approval of decommission was already decided: approved by bob@example.com',
    });
    const closed = new Map([['emergency-capacity', 'nobody decided before 2026-01-05T01:00:00.000Z']]);
    expect(judgeDecision(decision({ step: 'emergency-capacity' }), undefined, closed, rules)).toMatchObject({ outcome: 'late' });
    expect(judgeDecision(decision({ step: 'emergency-capacity' }), gate(), closed, rules)).toMatchObject({ outcome: 'late' });
  });

  test('parseDecision keeps what it can read and trims long fields', () => {
    expect(parseDecision({ step: ' decommission ', approved: false, approver: 'bob', reason: 'x'.repeat(2000) })).toEqual({
      decision: { step: 'decommission', approved: false, approver: 'bob', reason: 'x'.repeat(500) },
    });
    expect(parseDecision(null)).toEqual({ decision: { step: '', approved: false, approver: '', reason: '' }, problem: 'a decision is an object: {"step", "approved", "approver", "reason"}' });
  });
});
