/** The plan of `cellDecommissioning` (workflows/cell-decommissioning.ts, runbook in workflows/README.md). */
import { findCell } from '../../registry/lookup';
import { cellWithMostRoom } from '../cell-lifecycle';
import { drainSchedule } from '../drain-plan';
import { approvalPlan, drainSeconds, finishPlan } from './common';
import type { Planner } from './types';

export const planCellDecommissioning: Planner = (registry, cellId) => {
  const cell = findCell(registry, cellId);
  const { policies } = registry;
  const drain = drainSchedule(cell.route53.weight, policies.drain.stepPercent);
  const target = cellWithMostRoom(registry.cells, cellId);
  const gate = approvalPlan(registry, 'decommission');
  return finishPlan(
    registry,
    cell,
    {
      procedure: 'cellDecommissioning',
      cellId,
      summary: `Empty ${cellId} (traffic drained, customers migrated to ${target?.id ?? 'another cell'}), take it out of routing, back it up and, once approved, delete its monitoring and stack ${cell.stack.name}.`,
      steps: [
        { name: 'acquire-drain-permit', does: 'a drain permit from the fleet guard (blast radius)' },
        { name: 'record-draining', does: `record ${cellId} as draining with the fleet guard` },
        { name: 'drain-traffic', does: `weight ${cell.route53.weight} → 0 in steps of ${policies.drain.stepPercent}%, each checked against the observed share (± ${policies.drain.tolerancePercent}%)`, weights: drain, minSeconds: drainSeconds(registry, drain) },
        { name: 'migrate-customers', does: `migrate its ${cell.customers} customers to ${target?.id ?? 'the cell with the most room'}` },
        { name: 'validate-empty', does: 'its customers migrated and no requests in the last minute' },
        { name: 'remove-from-routing', does: `delete its weighted record ${cell.route53.setIdentifier}` },
        { name: 'back-up-data', does: `back up ${cellId}'s data (a failure stops here: nothing is destroyed)` },
        { name: 'approve-decommission', does: `an operator approves deleting ${cellId}`, approval: gate },
        { name: 'delete-monitoring', does: `delete its cellops-${cellId} alarms and dashboard` },
        { name: 'delete-stack', does: `delete stack ${cell.stack.name} and wait until it is gone` },
        { name: 'record-decommissioned', does: `record ${cellId} as decommissioned` },
        { name: 'release-drain-permit', does: 'give the drain permit back' },
      ],
    },
    ['a failure or an abort before the customers moved puts the cell back into service; after, the cell is kept intact'],
  );
};
