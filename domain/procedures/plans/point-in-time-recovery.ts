/** The plan of `pointInTimeRecovery` (workflows/point-in-time-recovery.ts, runbook in workflows/README.md). */
import { cellsByPriority, findCell } from '../../registry/lookup';
import { restoreSchedule } from '../drain-plan';
import { DEFAULT_LOOKBACK_SECONDS, recoveryCell } from '../point-in-time-recovery';
import { approvalPlan, finishPlan, restoreSeconds } from './common';
import type { Planner } from './types';

export const planPointInTimeRecovery: Planner = (registry, cellId) => {
  const cell = findCell(registry, cellId);
  const { policies } = registry;
  const recovery = recoveryCell(registry, cell, '<recovery point>');
  const interim = cellsByPriority(registry).find((c) => c.id !== cellId)?.id ?? '(no other cell)';
  const restore = restoreSchedule(0, recovery.route53.weight, policies.restore.stepPercent);
  // Promoting accepts losing the data-loss window's writes: always a person's decision.
  const promote = { ...approvalPlan(registry, 'promote'), required: true };
  return finishPlan(
    registry,
    cell,
    {
      procedure: 'pointInTimeRecovery',
      cellId,
      summary: `Isolate ${cellId}, restore its data to the last moment its alarms were all OK in a recovery environment (${recovery.id}), and promote it once approved; the writes since then are lost.`,
      steps: [
        { name: 'acquire-drain-permit', does: 'a drain permit from the fleet guard (blast radius)' },
        { name: 'isolate-cell', does: `weight ${cell.route53.weight} → 0 at once, checked against the observed share`, weights: [0] },
        { name: 'move-customers-away', does: `its ${cell.customers} customers to ${interim} (migrateCustomers hook)` },
        { name: 'pick-recovery-point', does: `the last time its alarms (${cell.alarms.join(', ') || 'none'}) were all OK in the last ${DEFAULT_LOOKBACK_SECONDS / 3600} h (DescribeAlarmHistory), less their look-back` },
        { name: 'build-recovery-environment', does: `create stack ${recovery.stack.name} from the cell template with RestoreToTime and RestoreFromCell, wait until stable` },
        { name: 'register-recovery-environment', does: `its record ${recovery.route53.setIdentifier} at weight 0` },
        { name: 'validate-integrity', does: 'the restored data checked by the validateDataIntegrity hook' },
        { name: 'approve-promotion', does: `an operator accepts the data-loss window and promotes ${recovery.id}`, approval: promote },
        { name: 'move-customers-to-recovery', does: `the moved customers from ${interim} onto ${recovery.id}` },
        { name: 'restore-traffic', does: `${recovery.id}: weight 0 → ${recovery.route53.weight} in steps of ${policies.restore.stepPercent}%, ${policies.restore.pauseSeconds} s apart`, weights: restore, minSeconds: restoreSeconds(registry, restore) },
        { name: 'watch-stability', does: `${Math.ceil(policies.stabilityWatchSeconds / 60)} health checks of ${recovery.id}, one a minute`, minSeconds: policies.stabilityWatchSeconds },
        { name: 'check-data-consistency', does: `${recovery.id}'s data validated again` },
        { name: 'release-drain-permit', does: `give the drain permit back (${cellId} stays drained, its stack kept for the investigation)` },
        { name: 'notify-recovered', does: 'tell the operators, with the data-loss window' },
      ],
    },
    ['no known-good point in the alarm history, or restored data that does not validate, stops the procedure with the cell isolated and an operator notified'],
  );
};
