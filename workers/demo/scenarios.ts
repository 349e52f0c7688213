/**
 * The incidents `npm start` can play, by name: how the procedure starts (an alarm set off by a
 * fault in the simulated fleet, or a person's `cellops` command), and the end it must reach for
 * the run to pass. A procedure that lands adds its scenario here as one entry.
 */
import type { CellEndState, ProcedureOutcome } from '../../domain/procedures/report';
import type { ProcedureName } from '../../domain/procedures/progress';
import { FLEET_ID } from '../../domain/procedures/cascade-recovery';
import { ROUTER_ID } from '../../domain/procedures/router-failover';
import type { Registry } from '../../domain/registry';
import { cascadeRecoveryWorkflowId, deploymentWorkflowId, recoveryWorkflowId, routerRecoveryWorkflowId } from '../../domain/workflow-ids';
import type { FaultSpec } from '../../simulator';

interface ScenarioBase {
  name: string;
  /** One line for the banner: what happens. */
  story: string;
  /** What the procedure's report is about: a cell, `router` or `fleet` (the summary line's "cell"). */
  cellId: string;
  /** The procedure the scenario starts, and its workflow id. */
  starts: ProcedureName;
  workflowId: (registry: Registry) => string;
  /** The approval gates it asks for, in order (answered by key press, `cellops approve` or `--yes`). */
  approvals: string[];
  /** The procedure the report must come from (after any escalation) and how it must end. */
  expected: { procedure: ProcedureName; outcome: ProcedureOutcome; cellEndState: CellEndState };
  /** What the scenario adds to the demonstration's registry (an alarm the example registry does not have). */
  registry?: (registry: Registry) => Registry;
}

/** An incident: a fault sets off CloudWatch alarms, delivered to the alarm gateway, which starts the procedure. */
export interface AlarmScenario extends ScenarioBase {
  startedBy: 'alarm';
  /** Injected at the start; together they must set off every alarm of `alarms`. */
  faults: FaultSpec[];
  /**
   * The CloudWatch alarms (names in the registry) the incident sets off, delivered to the gateway
   * in this order; the last one starts `starts` (the gateway's decision matrix picks it).
   */
  alarms: string[];
}

/** A planned change no alarm starts: a person runs a `cellops` command. */
export interface CommandScenario extends ScenarioBase {
  startedBy: 'cellops';
  /** The command's arguments, after `cellops`. */
  command: string[];
}

/** A change an operator's program starts through `startProcedure` (`client/start-procedure.ts`), as no `cellops` command starts it yet. */
export interface ProgramScenario extends ScenarioBase {
  startedBy: 'startProcedure';
  /** The procedure's input, without the registry (the demonstration's). */
  input: { cellId: string; reason: string; requestedBy: string };
}

/** One playable scenario. */
export type Scenario = AlarmScenario | CommandScenario | ProgramScenario;

/** The alarm that watches cell-002's data in the `pitr` scenario (its name makes it a data-corruption alarm). */
const DATA_INTEGRITY_ALARM = 'cell-002-DataIntegrity';

/** The registry with `alarm` added to `cellId`'s alarms (the simulator creates every registry alarm). */
function withCellAlarm(cellId: string, alarm: string): (registry: Registry) => Registry {
  return (registry) => ({ ...registry, cells: registry.cells.map((c) => (c.id === cellId ? { ...c, alarms: [...c.alarms, alarm] } : c)) });
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'restart',
    story: 'a cell wedges (errors and latency up); a restart of its services cures it',
    cellId: 'cell-002',
    startedBy: 'alarm',
    faults: [{ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 25, latencyP99Ms: 3_000, curedByRestart: true }],
    alarms: ['cell-002-HighErrorRate'],
    starts: 'cellRestart',
    workflowId: () => recoveryWorkflowId('cell-002'),
    approvals: [],
    expected: { procedure: 'cellRestart', outcome: 'completed', cellEndState: 'in-service' },
  },
  {
    name: 'replacement',
    story: 'a cell fails and a restart does not help: it is replaced, its customers moved, the old cell decommissioned after approval',
    cellId: 'cell-002',
    startedBy: 'alarm',
    faults: [{ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 40, latencyP99Ms: 4_000 }],
    alarms: ['cell-002-HighErrorRate'],
    starts: 'cellRestart',
    workflowId: () => recoveryWorkflowId('cell-002'),
    approvals: ['decommission'],
    expected: { procedure: 'cellReplacement', outcome: 'completed', cellEndState: 'decommissioned' },
  },
  {
    name: 'failover',
    story: 'the cell-aware router fails: traffic fails over to the hash-based fallback, the router is restarted, traffic switches back gradually',
    cellId: ROUTER_ID,
    startedBy: 'alarm',
    faults: [{ kind: 'router-failure' }],
    alarms: ['router-HighErrorRate'],
    starts: 'routerFailover',
    workflowId: (registry) => routerRecoveryWorkflowId(registry.fleet.name),
    approvals: [],
    expected: { procedure: 'routerFailover', outcome: 'completed', cellEndState: 'in-service' },
  },
  {
    name: 'cascade',
    story:
      'two cells fail at once: the first alarm starts a restart, which refuses on an unhealthy fleet; the second, within the correlation window, starts cascade recovery (load shed, an emergency cell after approval, the cells restarted one by one, shedding lifted)',
    cellId: FLEET_ID,
    startedBy: 'alarm',
    faults: [
      { kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 30, latencyP99Ms: 3_000, curedByRestart: true },
      { kind: 'unhealthy-cell', cellId: 'cell-003', errorRatePercent: 30, latencyP99Ms: 3_000, curedByRestart: true },
    ],
    alarms: ['cell-002-HighErrorRate', 'cell-003-HighErrorRate'],
    starts: 'cascadeRecovery',
    workflowId: (registry) => cascadeRecoveryWorkflowId(registry.fleet.name),
    approvals: ['emergency-capacity'],
    expected: { procedure: 'cascadeRecovery', outcome: 'completed', cellEndState: 'in-service' },
  },
  {
    name: 'pitr',
    story:
      "a cell's data goes bad (its data-integrity alarm goes off): it is isolated, its customers moved away, its data restored to the last moment its alarms were all OK, and the restored copy promoted after approval",
    cellId: 'cell-002',
    startedBy: 'alarm',
    faults: [{ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 30, latencyP99Ms: 600 }],
    alarms: [DATA_INTEGRITY_ALARM],
    starts: 'pointInTimeRecovery',
    workflowId: () => recoveryWorkflowId('cell-002'),
    approvals: ['promote'],
    // The corrupt cell stays drained (kept for the investigation); its restored copy serves its customers.
    expected: { procedure: 'pointInTimeRecovery', outcome: 'completed', cellEndState: 'drained-operator-notified' },
    registry: withCellAlarm('cell-002', DATA_INTEGRITY_ALARM),
  },
  {
    name: 'deploy',
    story:
      'a new version of the cells\' stacks is rolled out with `cellops deploy`: the canary cell first, baked against its criteria, then the next wave after approval, each wave baked',
    cellId: FLEET_ID,
    startedBy: 'cellops',
    command: [
      'deploy',
      '--version',
      'v2.5.0',
      '--template-url',
      'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell-v2.5.0.yaml',
      '--approve-waves',
      '--reason',
      'release v2.5.0',
      '--by',
      'release-pipeline@demo',
    ],
    starts: 'waveDeployment',
    workflowId: (registry) => deploymentWorkflowId(registry.fleet.name),
    approvals: ['wave-1'],
    expected: { procedure: 'waveDeployment', outcome: 'completed', cellEndState: 'in-service' },
  },
  {
    name: 'provision',
    story: 'a new cell is provisioned: its stack, its monitoring, registered at weight 0, validated, its weight ramped up while watched, marked ready',
    cellId: 'cell-004',
    startedBy: 'startProcedure',
    input: { cellId: 'cell-004', reason: 'more capacity before the sale', requestedBy: 'capacity-planner@demo' },
    starts: 'cellProvisioning',
    workflowId: () => recoveryWorkflowId('cell-004'),
    approvals: [],
    expected: { procedure: 'cellProvisioning', outcome: 'completed', cellEndState: 'in-service' },
  },
];

/** A scenario name that cannot be played. */
export class UnknownScenarioError extends Error {
  constructor(name: string) {
    super(`unknown scenario "${name}". Available: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    this.name = 'UnknownScenarioError';
  }
}

/** The scenario called `name`. @throws UnknownScenarioError listing the available ones. */
export function findScenario(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new UnknownScenarioError(name);
  return scenario;
}
