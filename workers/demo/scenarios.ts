/**
 * The incidents `npm start` can play, by name: what goes wrong in which cell of the simulated
 * fleet, which alarm that sets off, and the end the procedure must reach for the run to pass.
 * A procedure that lands adds its scenario here as one entry.
 */
import type { CellEndState, ProcedureOutcome } from '../../domain/procedures/report';
import type { ProcedureName } from '../../domain/procedures/progress';
import { FLEET_ID } from '../../domain/procedures/cascade-recovery';
import { ROUTER_ID } from '../../domain/procedures/router-failover';
import type { Registry } from '../../domain/registry';
import { cascadeRecoveryWorkflowId, recoveryWorkflowId, routerRecoveryWorkflowId } from '../../domain/workflow-ids';
import type { FaultSpec } from '../../simulator';

/** One playable incident. */
export interface Scenario {
  name: string;
  /** One line for the banner: what happens. */
  story: string;
  /** What the procedure's report is about: a cell, `router` or `fleet` (the summary line's "cell"). */
  cellId: string;
  /** Injected at the start; together they must set off every alarm of `alarms`. */
  faults: FaultSpec[];
  /**
   * The CloudWatch alarms (names in the registry) the incident sets off, delivered to the gateway
   * in this order; the last one starts the procedure followed.
   */
  alarms: string[];
  /** The procedure the gateway's decision matrix starts for the last alarm, and its workflow id. */
  starts: ProcedureName;
  workflowId: (registry: Registry) => string;
  /** The procedure the report must come from (after any escalation) and how it must end. */
  expected: { procedure: ProcedureName; outcome: ProcedureOutcome; cellEndState: CellEndState };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'restart',
    story: 'a cell wedges (errors and latency up); a restart of its services cures it',
    cellId: 'cell-002',
    faults: [{ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 25, latencyP99Ms: 3_000, curedByRestart: true }],
    alarms: ['cell-002-HighErrorRate'],
    starts: 'cellRestart',
    workflowId: () => recoveryWorkflowId('cell-002'),
    expected: { procedure: 'cellRestart', outcome: 'completed', cellEndState: 'in-service' },
  },
  {
    name: 'replacement',
    story: 'a cell fails and a restart does not help: it is replaced, its customers moved, the old cell decommissioned after approval',
    cellId: 'cell-002',
    faults: [{ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 40, latencyP99Ms: 4_000 }],
    alarms: ['cell-002-HighErrorRate'],
    starts: 'cellRestart',
    workflowId: () => recoveryWorkflowId('cell-002'),
    expected: { procedure: 'cellReplacement', outcome: 'completed', cellEndState: 'decommissioned' },
  },
  {
    name: 'failover',
    story: 'the cell-aware router fails: traffic fails over to the hash-based fallback, the router is restarted, traffic switches back gradually',
    cellId: ROUTER_ID,
    faults: [{ kind: 'router-failure' }],
    alarms: ['router-HighErrorRate'],
    starts: 'routerFailover',
    workflowId: (registry) => routerRecoveryWorkflowId(registry.fleet.name),
    expected: { procedure: 'routerFailover', outcome: 'completed', cellEndState: 'in-service' },
  },
  {
    name: 'cascade',
    story:
      'two cells fail at once: the first alarm starts a restart, which refuses on an unhealthy fleet; the second, within the correlation window, starts cascade recovery (load shed, an emergency cell after approval, the cells restarted one by one, shedding lifted)',
    cellId: FLEET_ID,
    faults: [
      { kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 30, latencyP99Ms: 3_000, curedByRestart: true },
      { kind: 'unhealthy-cell', cellId: 'cell-003', errorRatePercent: 30, latencyP99Ms: 3_000, curedByRestart: true },
    ],
    alarms: ['cell-002-HighErrorRate', 'cell-003-HighErrorRate'],
    starts: 'cascadeRecovery',
    workflowId: (registry) => cascadeRecoveryWorkflowId(registry.fleet.name),
    expected: { procedure: 'cascadeRecovery', outcome: 'completed', cellEndState: 'in-service' },
  },
];

/** Scenarios that cannot be played yet, with what each waits for. */
export const PLANNED_SCENARIOS: Readonly<Record<string, string>> = {
  deploy: 'the waveDeployment procedure',
  pitr: "a data-corruption alarm in the example registry's cells (the gateway starts pointInTimeRecovery for one)",
  provision: 'the cellProvisioning procedure',
};

/** A scenario name that cannot be played. */
export class UnknownScenarioError extends Error {
  constructor(name: string) {
    const available = SCENARIOS.map((s) => s.name).join(', ');
    const planned = PLANNED_SCENARIOS[name];
    super(
      planned !== undefined
        ? `scenario "${name}" is not available yet (it waits for ${planned}). Available: ${available}`
        : `unknown scenario "${name}". Available: ${available}`,
    );
    this.name = 'UnknownScenarioError';
  }
}

/** The scenario called `name`. @throws UnknownScenarioError listing the available ones. */
export function findScenario(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new UnknownScenarioError(name);
  return scenario;
}
