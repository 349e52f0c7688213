/** The plan of `cellReplacement` (workflows/cell-replacement.ts, runbook in workflows/README.md). */
import { findCell } from '../../registry/lookup';
import { restoreSchedule } from '../drain-plan';
import { newCellStackName, replacementCellId } from '../replacement';
import { approvalPlan, finishPlan, MIN_READING_DELAY_SECONDS, restoreSeconds } from './common';
import type { Planner } from './types';

export const planCellReplacement: Planner = (registry, cellId) => {
  const cell = findCell(registry, cellId);
  const { policies } = registry;
  const replacementId = replacementCellId(cellId);
  const inService = registry.cellTemplate.route53.weight;
  const reroute = restoreSchedule(0, inService, policies.restore.stepPercent);
  return finishPlan(
    registry,
    cell,
    {
      procedure: 'cellReplacement',
      cellId,
      summary: `Take ${cellId} out at once, build ${replacementId} from the cell template, move its ${cell.customers} customers, re-route traffic, then decommission ${cellId}.`,
      steps: [
        { name: 'acquire-drain-permit', does: 'a drain permit from the fleet guard (kept when handed over from a cell restart)' },
        { name: 'drain-at-once', does: `weight ${cell.route53.weight} → 0 in one change, then check its traffic left`, weights: [0], minSeconds: MIN_READING_DELAY_SECONDS },
        { name: 'check-capacity', does: 'the fleet load against the other cells\u2019 capacity (at most 80% utilisation by default)' },
        {
          name: 'add-emergency-capacity',
          does: 'build emergency cells (child workflows) so the rest of the fleet is not overloaded',
          onlyIf: 'the other cells would run above the utilisation limit',
          approval: approvalPlan(registry, 'emergency-capacity'),
        },
        { name: 'provision-replacement', does: `create stack ${newCellStackName(registry.cellTemplate.stackNamePrefix, replacementId)} from the cell template and wait until it is stable` },
        { name: 'register-replacement', does: `add ${replacementId}'s weighted record at weight 0` },
        { name: 'move-customers', does: `migrate the ${cell.customers} customers, or restore them from the latest backup when ${cellId}'s data is not accessible` },
        { name: 'reroute-traffic', does: `${replacementId}: weight 0 → ${inService} in steps of ${policies.restore.stepPercent}%`, weights: reroute, minSeconds: restoreSeconds(registry, reroute) },
        { name: 'validate-replacement', does: `full health check of ${replacementId}` },
        { name: 'put-post-recovery-alarms', does: `stricter alarms on ${replacementId} (error rate, p99 latency, availability)` },
        { name: 'approve-decommission', does: `an operator approves removing ${cellId}`, approval: approvalPlan(registry, 'decommission') },
        { name: 'decommission-failed-cell', does: `back up ${cellId}'s data, delete stack ${cell.stack.name}, remove its record` },
        { name: 'release-drain-permit', does: 'give the drain permit back' },
      ],
    },
    ['a rejected or timed-out decommission approval keeps the failed cell, drained'],
  );
};
