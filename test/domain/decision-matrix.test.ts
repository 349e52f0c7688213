import { decideRecovery, DECISION_RULES, MANUAL_INTERVENTION_REQUIRED, type DecisionRule } from '../../domain/decision-matrix';
import type { DataIntegrity, FailureType, Impact, IncidentScope } from '../../domain/incidents';

type Row = [FailureType, Impact, DataIntegrity, IncidentScope, string];

describe('decideRecovery: the matrix in force', () => {
  test.each<Row>([
    // One cell, data intact: the cell procedures.
    ['elevated-errors', 'degraded', 'intact', 'single', 'cellRestart'],
    ['elevated-errors', 'outage', 'intact', 'single', 'cellRestart'],
    ['high-latency', 'degraded', 'intact', 'single', 'cellRestart'],
    ['unavailable', 'outage', 'intact', 'single', 'cellRestart'],
    ['infrastructure-lost', 'outage', 'intact', 'single', 'cellReplacement'],
    // Data not to be trusted: never an automatic restart or replacement.
    ['elevated-errors', 'degraded', 'at-risk', 'single', 'manual'],
    // Corrupt data in one cell: point-in-time recovery (its promotion always waits for a person).
    ['data-corruption', 'degraded', 'compromised', 'single', 'pointInTimeRecovery'],
    ['data-corruption', 'outage', 'compromised', 'single', 'pointInTimeRecovery'],
    ['data-corruption', 'outage', 'compromised', 'multiple', 'manual'],
    ['data-corruption', 'degraded', 'at-risk', 'single', 'manual'],
    ['infrastructure-lost', 'outage', 'compromised', 'single', 'manual'],
    // Several cells, or every cell, failing at once with data intact: cascade recovery.
    ['elevated-errors', 'degraded', 'intact', 'multiple', 'cascadeRecovery'],
    ['high-latency', 'degraded', 'intact', 'multiple', 'cascadeRecovery'],
    ['unavailable', 'outage', 'intact', 'system', 'cascadeRecovery'],
    ['infrastructure-lost', 'outage', 'intact', 'multiple', 'cascadeRecovery'],
    ['unknown', 'degraded', 'intact', 'multiple', 'cascadeRecovery'],
    // ... but never over data that cannot be trusted.
    ['elevated-errors', 'degraded', 'at-risk', 'multiple', 'manual'],
    ['unavailable', 'outage', 'compromised', 'system', 'manual'],
    // Nothing recognised on one cell: a person decides.
    // The router (the system itself, whatever the impact): router failover.
    ['router-failure', 'outage', 'intact', 'system', 'routerFailover'],
    ['router-failure', 'degraded', 'intact', 'system', 'routerFailover'],
    ['router-failure', 'outage', 'at-risk', 'system', 'manual'],
    ['unknown', 'degraded', 'intact', 'single', 'manual'],
  ])('%s, %s, data %s, %s scope → %s', (failureType, impact, dataIntegrity, scope, expected) => {
    const decision = decideRecovery({ failureType, impact, dataIntegrity, scope });
    expect(decision.action === 'start' ? decision.procedure : decision.action).toBe(expected);
    expect(decision.why.length).toBeGreaterThan(0);
    if (decision.action === 'manual') expect(decision.why).toContain(MANUAL_INTERVENTION_REQUIRED);
  });

  test('every row that names a procedure requires data intact, so no procedure runs over data at risk, except point-in-time recovery, which restores it', () => {
    for (const rule of DECISION_RULES.filter((r) => r.procedure !== null && r.procedure !== 'pointInTimeRecovery')) expect(rule.dataIntegrity).toBe('intact');
    expect(DECISION_RULES.filter((r) => r.procedure === 'pointInTimeRecovery')).toEqual([expect.objectContaining({ failureType: 'data-corruption', dataIntegrity: 'compromised', scope: 'single' })]);
  });
});

describe('decideRecovery: how rows are read', () => {
  const rules: DecisionRule[] = [
    { failureType: 'elevated-errors', impact: 'outage', dataIntegrity: '*', scope: '*', procedure: 'cellReplacement', why: 'first' },
    { failureType: 'elevated-errors', impact: '*', dataIntegrity: '*', scope: '*', procedure: 'cellRestart', why: 'second' },
  ];

  test('the first matching row decides; "*" matches anything', () => {
    expect(decideRecovery({ failureType: 'elevated-errors', impact: 'outage', dataIntegrity: 'intact', scope: 'single' }, rules)).toEqual({
      action: 'start',
      procedure: 'cellReplacement',
      why: 'first',
    });
    expect(decideRecovery({ failureType: 'elevated-errors', impact: 'degraded', dataIntegrity: 'at-risk', scope: 'multiple' }, rules)).toEqual({
      action: 'start',
      procedure: 'cellRestart',
      why: 'second',
    });
  });

  test('no matching row: manual intervention required, saying what the incident was', () => {
    expect(decideRecovery({ failureType: 'high-latency', impact: 'degraded', dataIntegrity: 'intact', scope: 'single' }, rules)).toEqual({
      action: 'manual',
      why: `high-latency (degraded, single scope): ${MANUAL_INTERVENTION_REQUIRED}`,
    });
    expect(decideRecovery({ failureType: 'high-latency', impact: 'degraded', dataIntegrity: 'intact', scope: 'single' }, [])).toMatchObject({ action: 'manual' });
  });
});

describe('decideRecovery: every combination of the columns', () => {
  const failureTypes: FailureType[] = ['elevated-errors', 'high-latency', 'unavailable', 'infrastructure-lost', 'router-failure', 'data-corruption', 'unknown'];
  const impacts: Impact[] = ['degraded', 'outage'];
  const integrities: DataIntegrity[] = ['intact', 'at-risk', 'compromised'];
  const scopes: IncidentScope[] = ['single', 'multiple', 'system'];

  /** The matrix as the runbooks state it, written out independently of the rows. */
  function runbook(failureType: FailureType, dataIntegrity: DataIntegrity, scope: IncidentScope): string {
    if (failureType === 'data-corruption' && dataIntegrity === 'compromised' && scope === 'single') return 'pointInTimeRecovery';
    if (dataIntegrity !== 'intact') return 'manual';
    if (failureType === 'router-failure') return 'routerFailover';
    if (scope !== 'single') return 'cascadeRecovery';
    if (failureType === 'infrastructure-lost') return 'cellReplacement';
    if (failureType === 'elevated-errors' || failureType === 'high-latency' || failureType === 'unavailable') return 'cellRestart';
    return 'manual';
  }

  const combinations = failureTypes.flatMap((f) => impacts.flatMap((i) => integrities.flatMap((d) => scopes.map((s) => [f, i, d, s] as [FailureType, Impact, DataIntegrity, IncidentScope]))));

  test('there are 126 combinations, and each gets the runbook\'s answer (the default: manual intervention required)', () => {
    expect(combinations).toHaveLength(126);
    const wrong = combinations.filter(([f, i, d, s]) => {
      const decision = decideRecovery({ failureType: f, impact: i, dataIntegrity: d, scope: s });
      return (decision.action === 'start' ? decision.procedure : 'manual') !== runbook(f, d, s);
    });
    expect(wrong).toEqual([]);
  });
});
