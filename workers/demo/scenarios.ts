/**
 * The incidents `npm start` can play, by name: what goes wrong in which cell of the simulated
 * fleet, which alarm that sets off, and the end the procedure must reach for the run to pass.
 * A procedure that lands adds its scenario here as one entry.
 */
import type { CellEndState, ProcedureOutcome } from '../../domain/procedures/report';
import type { ProcedureName } from '../../domain/procedures/progress';
import type { FaultSpec } from '../../simulator';

/** One playable incident. */
export interface Scenario {
  name: string;
  /** One line for the banner: what happens. */
  story: string;
  /** The cell the fault is injected into. */
  cellId: string;
  /** Injected at the start; the first one must set off `alarm`. */
  faults: (cellId: string) => FaultSpec[];
  /** The CloudWatch alarm (a name in the cell's registry entry) the incident sets off. */
  alarm: (cellId: string) => string;
  /** The procedure the gateway's decision matrix starts for that alarm. */
  starts: ProcedureName;
  /** The procedure the report must come from (after any escalation) and how it must end. */
  expected: { procedure: ProcedureName; outcome: ProcedureOutcome; cellEndState: CellEndState };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'restart',
    story: 'a cell wedges (errors and latency up); a restart of its services cures it',
    cellId: 'cell-002',
    faults: (cellId) => [{ kind: 'unhealthy-cell', cellId, errorRatePercent: 25, latencyP99Ms: 3_000, curedByRestart: true }],
    alarm: (cellId) => `${cellId}-HighErrorRate`,
    starts: 'cellRestart',
    expected: { procedure: 'cellRestart', outcome: 'completed', cellEndState: 'in-service' },
  },
  {
    name: 'replacement',
    story: 'a cell fails and a restart does not help: it is replaced, its customers moved, the old cell decommissioned after approval',
    cellId: 'cell-002',
    faults: (cellId) => [{ kind: 'unhealthy-cell', cellId, errorRatePercent: 40, latencyP99Ms: 4_000 }],
    alarm: (cellId) => `${cellId}-HighErrorRate`,
    starts: 'cellRestart',
    expected: { procedure: 'cellReplacement', outcome: 'completed', cellEndState: 'decommissioned' },
  },
];

/** Scenarios that cannot be played yet, with what each waits for. */
export const PLANNED_SCENARIOS: Readonly<Record<string, string>> = {
  cascade: 'the cascadeRecovery procedure',
  deploy: 'the waveDeployment procedure',
  failover: 'the alarm gateway starting routerFailover for the router alarms',
  pitr: 'the pointInTimeRecovery procedure',
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
