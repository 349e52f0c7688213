/** The plan of `routerFailover` (workflows/router-failover.ts, runbook in workflows/README.md): the fleet's router, no cell. */
import { DEFAULT_PRIMARY_RECOVERY_CHECKS, ROUTER_ID, failedOverWeights, routerTargets, switchBackSchedule } from '../router-failover';
import { MIN_READING_DELAY_SECONDS, approvalPlan, finishPlan } from './common';
import type { Planner } from './types';

/** The restarted primary's first check waits a whole three-minute window (workflows/lib/router.ts). */
const PRIMARY_FIRST_CHECK_SECONDS = 180;

export const planRouterFailover: Planner = (registry) => {
  const { policies, router } = registry;
  const { primary, fallback } = routerTargets(registry);
  const failedOver = failedOverWeights(registry);
  const switchBack = switchBackSchedule(registry, policies.restore.stepPercent);
  const gate = approvalPlan(registry, 'failover');
  return finishPlan(
    registry,
    { capacity: 0 },
    {
      procedure: 'routerFailover',
      cellId: ROUTER_ID,
      summary: `Fail ${registry.fleet.name}'s routing over from the primary router (stack ${primary.stack.name}) to the hash-based fallback, restart the primary and switch back gradually once it is healthy again.`,
      steps: [
        { name: 'assess-primary-router', does: `the primary router's alarms (${primary.alarms.join(', ') || 'none'}) and metrics over the last ${policies.health.windowSeconds} s; a healthy primary is not failed over` },
        {
          name: 'approve-failover',
          does: 'an operator approves switching to the fallback (nothing is touched before)',
          approval: gate,
        },
        { name: 'activate-fallback', does: `one Route 53 batch: ${fallback.record.setIdentifier} at ${failedOver.fallback}, ${router.primary.setIdentifier} at 0`, weights: [failedOver.primary] },
        { name: 'validate-fallback', does: 'a whole published minute of the fallback: it takes the requests, misroutes none, every cell gets its part (up to 3 readings)', minSeconds: MIN_READING_DELAY_SECONDS },
        { name: 'restart-primary-router', does: `update stack ${primary.stack.name}, changing only ${primary.stack.restartParameter}` },
        { name: 'wait-router-stack-stable', does: 'wait until the stack update completes (a rollback fails the step)' },
        {
          name: 'confirm-primary-recovered',
          does: `the primary healthy again: a first check a whole window after the restart, then one a minute, at most ${DEFAULT_PRIMARY_RECOVERY_CHECKS} checks`,
          minSeconds: PRIMARY_FIRST_CHECK_SECONDS,
        },
        {
          name: 'switch-back',
          does: `primary/fallback weights ${switchBack.map((w) => `${w.primary}/${w.fallback}`).join(' → ')}, the primary checked over a whole minute after each`,
          weights: switchBack.map((w) => w.primary),
          minSeconds: switchBack.length * 60,
        },
        { name: 'watch-stability', does: `${Math.ceil(policies.stabilityWatchSeconds / 60)} health checks of the primary, one a minute`, minSeconds: policies.stabilityWatchSeconds },
        { name: 'notify-recovered', does: 'tell the operators' },
      ],
    },
    [
      'a fallback that does not validate puts routing back on the primary; a primary that does not recover keeps the fallback; an operator is notified either way',
    ],
    'no cell is drained: router failover takes no drain permit',
  );
};
