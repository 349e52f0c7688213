/** The plan of `cellRestart` (workflows/cell-restart.ts, runbook in workflows/README.md). */
import { findCell } from '../../registry/lookup';
import { drainSchedule, restoreSchedule } from '../drain-plan';
import { approvalPlan, drainSeconds, finishPlan, restoreSeconds } from './common';
import type { Planner } from './types';

export const planCellRestart: Planner = (registry, cellId) => {
  const cell = findCell(registry, cellId);
  const { policies } = registry;
  const inService = cell.route53.weight;
  const drain = drainSchedule(inService, policies.drain.stepPercent);
  const restore = restoreSchedule(0, inService, policies.restore.stepPercent);
  const watchChecks = Math.ceil(policies.stabilityWatchSeconds / 60);
  const restartGate = approvalPlan(registry, 'restart');
  return finishPlan(
    registry,
    cell,
    {
      procedure: 'cellRestart',
      cellId,
      summary: `Drain ${cellId} gradually, restart its services in place (stack ${cell.stack.name}), check it, bring its traffic back and watch it.`,
      steps: [
        { name: 'check-eligibility', does: `every other cell healthy over the last ${policies.health.windowSeconds} s (alarms, error rate, p99, availability)` },
        {
          name: 'approve-restart',
          does: `an operator approves restarting ${cellId} (nothing is touched before)`,
          approval: restartGate,
          ...(restartGate.required ? {} : { onlyIf: 'the approval policy requires approval of restart (it does not now)' }),
        },
        { name: 'acquire-drain-permit', does: 'a drain permit from the fleet guard (blast radius)' },
        { name: 'drain-traffic', does: `weight ${inService} → 0 in steps of ${policies.drain.stepPercent}%, each checked against the observed share (± ${policies.drain.tolerancePercent}%)`, weights: drain, minSeconds: drainSeconds(registry, drain) },
        { name: 'restart-services', does: `update stack ${cell.stack.name}, changing only ${cell.stack.restartParameter}` },
        { name: 'wait-stack-stable', does: 'wait until the stack update completes (a rollback fails the step)' },
        { name: 'health-check', does: `full health check of ${cellId} over the ${policies.health.windowSeconds} s after the restart`, minSeconds: policies.health.windowSeconds },
        { name: 'restore-traffic', does: `weight 0 → ${inService} in steps of ${policies.restore.stepPercent}%, ${policies.restore.pauseSeconds} s apart`, weights: restore, minSeconds: restoreSeconds(registry, restore) },
        { name: 'watch-stability', does: `${watchChecks} health checks, one a minute`, minSeconds: policies.stabilityWatchSeconds },
        { name: 'release-drain-permit', does: 'give the drain permit back' },
      ],
    },
    ['a failure after the restart began hands the cell over to cellReplacement (same workflow id)'],
  );
};
