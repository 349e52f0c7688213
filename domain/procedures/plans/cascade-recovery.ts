/**
 * The plan of `cascadeRecovery` (workflows/cascade-recovery.ts, runbook in workflows/README.md):
 * the whole fleet. Which cells failed is found by its first step, so each cell's recovery is
 * planned as a step that runs only if that cell is found failed, in recovery order.
 */
import { DEFAULT_SHEDDING_PERCENT, FLEET_ID, STABLE_CHECKS_NEEDED, recoveryOrder, sheddingLiftSchedule } from '../cascade-recovery';
import { recoveryWorkflowId } from '../../workflow-ids';
import { fleetCapacity } from '../../registry/lookup';
import { approvalPlan, finishPlan } from './common';
import type { PlannedStep, Planner } from './types';

export const planCascadeRecovery: Planner = (registry) => {
  const { policies } = registry;
  const stable = STABLE_CHECKS_NEEDED * 60;
  const lift = sheddingLiftSchedule(DEFAULT_SHEDDING_PERCENT);
  const gate = approvalPlan(registry, 'emergency-capacity');
  const router = registry.router.stack?.name ?? '(the router has no stack: cascade recovery cannot run)';
  const perCell: PlannedStep[] = recoveryOrder(registry.cells, (c) => c).flatMap((cell) => [
    {
      name: `recover-${cell.id}`,
      does: `${cell.id} (priority ${cell.priority}) by its own restart (handed over to replacement if the restart does not cure it) or replacement, as the decision matrix says, as ${recoveryWorkflowId(cell.id)}`,
      onlyIf: `${cell.id} is found failed`,
    },
    { name: `wait-fleet-stable-after-${cell.id}`, does: `the fleet stable (${STABLE_CHECKS_NEEDED} healthy one-minute checks in a row) before the next cell`, minSeconds: stable, onlyIf: `${cell.id} is found failed` },
  ]);
  const largest = Math.max(...registry.cells.map((c) => c.capacity));
  return finishPlan(
    registry,
    { capacity: largest },
    {
      procedure: 'cascadeRecovery',
      cellId: FLEET_ID,
      summary: `Find ${registry.fleet.name}'s failed cells, shed ${DEFAULT_SHEDDING_PERCENT}% of the load at the router (stack ${router}), add an emergency cell, open the failed cells' circuit breakers, recover them one by one in priority order, then close the breakers and lift the shedding gradually once the fleet is stable.`,
      steps: [
        { name: 'assess-failed-cells', does: `every cell's alarms and metrics over the last ${policies.health.windowSeconds} s; the decision matrix picks each failed cell's procedure` },
        { name: 'shed-load', does: `router stack ${router}: LoadSheddingPercent ${DEFAULT_SHEDDING_PERCENT}` },
        { name: 'approve-emergency-capacity', does: 'an operator approves adding 1 emergency cell', approval: gate },
        { name: 'add-emergency-capacity', does: 'an emergency cell from the cell template, in service (provisionEmergencyCell)', ...(gate.required ? { onlyIf: 'the emergency capacity is approved' } : {}) },
        { name: 'open-circuit-breakers', does: `router stack ${router}: OpenCircuitBreakers lists the failed cells` },
        ...perCell,
        { name: 'wait-fleet-stable', does: 'the fleet stable before anything is lifted (else the shedding stays and an operator is told)', minSeconds: stable },
        { name: 'close-circuit-breakers', does: 'close the breakers of the recovered cells (those not recovered stay open)' },
        { name: 'lift-load-shedding', does: `LoadSheddingPercent ${lift.join(' → ')}, the fleet stable before each step`, minSeconds: lift.length * stable },
        { name: 'validate-system', does: 'the whole fleet stable once more', minSeconds: stable },
        { name: 'notify-done', does: 'tell the operators, a line per failed cell' },
      ],
    },
    [
      'each failed cell adds the time of its own procedure: see `cellops plan cellRestart --cell <id>` (and cellReplacement)',
      'a cell whose recovery fails keeps its circuit breaker open and the cascade goes on with the next',
    ],
    `each failed cell's own procedure asks the fleet guard for a drain permit: at most ${policies.blastRadius.maxCellsOut} cell(s) and ${policies.blastRadius.maxCapacityOutPercent}% of capacity out at once; the largest cell is ${Math.round((largest / fleetCapacity(registry)) * 1000) / 10}%`,
  );
};
