/**
 * The recovery decision matrix: which procedure an incident calls for. Pure and table-driven:
 * rows are tried in order and the first whose every column matches decides; an incident no row
 * matches needs a person ("manual intervention required"). A new procedure adds its rows here.
 */
import type { DataIntegrity, FailureType, Impact, Incident, IncidentScope } from './incidents';
import type { ProcedureName } from './procedures/progress';

/** A column's value, or `'*'` for any. */
type Match<T extends string> = T | '*';

/** One row: when the incident matches every column, `procedure` (or a person, when `null`) handles it. */
export interface DecisionRule {
  failureType: Match<FailureType>;
  impact: Match<Impact>;
  dataIntegrity: Match<DataIntegrity>;
  scope: Match<IncidentScope>;
  /** `null`: no procedure may run automatically, a person must act. */
  procedure: ProcedureName | null;
  /** Why, in words an operator reads in the gateway's answer and the procedure's reason. */
  why: string;
}

/** The matrix's answer. */
export type RecoveryDecision =
  | { action: 'start'; procedure: ProcedureName; why: string }
  | { action: 'manual'; why: string };

/** What the default answer says. */
export const MANUAL_INTERVENTION_REQUIRED = 'manual intervention required';

/**
 * The rows in force, most specific first. Data that cannot be trusted and incidents beyond one
 * cell come before the single-cell rows, so a restart never runs over corrupt data or in the
 * middle of a fleet-wide failure.
 */
export const DECISION_RULES: readonly DecisionRule[] = [
  {
    failureType: 'data-corruption',
    impact: '*',
    dataIntegrity: 'compromised',
    scope: 'single',
    procedure: 'pointInTimeRecovery',
    why: "one cell's data is corrupt: isolate it and restore its data to the last moment its alarms were all OK (promotion needs approval)",
  },
  {
    failureType: '*',
    impact: '*',
    dataIntegrity: 'compromised',
    scope: '*',
    procedure: null,
    why: `data integrity compromised: ${MANUAL_INTERVENTION_REQUIRED} (no automatic recovery over corrupt data)`,
  },
  {
    failureType: '*',
    impact: '*',
    dataIntegrity: 'at-risk',
    scope: '*',
    procedure: null,
    why: `data integrity at risk: ${MANUAL_INTERVENTION_REQUIRED}`,
  },
  {
    failureType: 'router-failure',
    impact: '*',
    dataIntegrity: 'intact',
    scope: '*',
    procedure: 'routerFailover',
    why: 'the cell router failed: fail over to the hash-based fallback routing, recover the primary, switch back',
  },
  {
    failureType: '*',
    impact: '*',
    dataIntegrity: 'intact',
    scope: 'system',
    procedure: 'cascadeRecovery',
    why: 'every cell is failing at once: shed load, add emergency capacity, recover the cells one by one in priority order',
  },
  {
    failureType: '*',
    impact: '*',
    dataIntegrity: 'intact',
    scope: 'multiple',
    procedure: 'cascadeRecovery',
    why: 'several cells are failing at once: shed load, add emergency capacity, recover the cells one by one in priority order',
  },
  {
    failureType: 'infrastructure-lost',
    impact: '*',
    dataIntegrity: 'intact',
    scope: 'single',
    procedure: 'cellReplacement',
    why: "the cell's infrastructure is lost: replace the cell",
  },
  {
    failureType: 'elevated-errors',
    impact: '*',
    dataIntegrity: 'intact',
    scope: 'single',
    procedure: 'cellRestart',
    why: 'errors in one cell: restart it (a failed restart escalates to replacement)',
  },
  {
    failureType: 'high-latency',
    impact: '*',
    dataIntegrity: 'intact',
    scope: 'single',
    procedure: 'cellRestart',
    why: 'latency in one cell: restart it (a failed restart escalates to replacement)',
  },
  {
    failureType: 'unavailable',
    impact: '*',
    dataIntegrity: 'intact',
    scope: 'single',
    procedure: 'cellRestart',
    why: 'one cell unavailable: restart it (a failed restart escalates to replacement)',
  },
];

function matches<T extends string>(column: Match<T>, value: T): boolean {
  return column === '*' || column === value;
}

/** The procedure `incident` calls for under `rules` (default {@link DECISION_RULES}); "manual intervention required" when no row matches. */
export function decideRecovery(
  incident: Pick<Incident, 'failureType' | 'impact' | 'dataIntegrity' | 'scope'>,
  rules: readonly DecisionRule[] = DECISION_RULES,
): RecoveryDecision {
  const rule = rules.find(
    (r) =>
      matches(r.failureType, incident.failureType) &&
      matches(r.impact, incident.impact) &&
      matches(r.dataIntegrity, incident.dataIntegrity) &&
      matches(r.scope, incident.scope),
  );
  if (!rule) return { action: 'manual', why: `${incident.failureType} (${incident.impact}, ${incident.scope} scope): ${MANUAL_INTERVENTION_REQUIRED}` };
  return rule.procedure === null ? { action: 'manual', why: rule.why } : { action: 'start', procedure: rule.procedure, why: rule.why };
}
