/** The plan of `cellProvisioning` (workflows/cell-provisioning.ts, runbook in workflows/README.md). */
import { CellAlreadyExistsError } from '../../registry/lookup';
import { cellMonitoringNames } from '../cell-lifecycle';
import { restoreSchedule } from '../drain-plan';
import { newCell } from '../replacement';
import { finishPlan, restoreSeconds } from './common';
import type { Planner } from './types';

/** The new cell's health is read after a whole health window plus the minute's publishing delay. */
const METRICS_PUBLISH_DELAY_SECONDS = 5;

/** Plans a new cell `cellId` (one the registry does not list) from the registry's cell template. */
export const planCellProvisioning: Planner = (registry, cellId) => {
  if (registry.cells.some((c) => c.id === cellId)) throw new CellAlreadyExistsError(cellId);
  const cell = newCell(registry, cellId, Math.max(0, ...registry.cells.map((c) => c.priority + 1)));
  const { policies } = registry;
  const ramp = restoreSchedule(0, cell.route53.weight, policies.restore.stepPercent);
  const names = cellMonitoringNames(cellId);
  return finishPlan(
    registry,
    { capacity: 0 },
    {
      procedure: 'cellProvisioning',
      cellId,
      summary: `Build ${cellId} from the cell template (stack ${cell.stack.name}, ${cell.capacity} rps), monitor it, validate it and ramp its weight up to ${cell.route53.weight}.`,
      steps: [
        { name: 'record-provisioning', does: `record ${cellId} as provisioning with the fleet guard` },
        { name: 'create-stack', does: `create stack ${cell.stack.name} from the cell template and wait until it is stable` },
        { name: 'set-up-monitoring', does: `alarms ${names.alarms.join(', ')} and dashboard ${names.dashboard}` },
        { name: 'register-in-routing', does: `add its weighted record ${cell.route53.setIdentifier} at weight 0` },
        { name: 'validate-health', does: 'full health check after a whole health window, up to 3 checks a minute apart', minSeconds: policies.health.windowSeconds + METRICS_PUBLISH_DELAY_SECONDS },
        { name: 'ramp-up', does: `weight 0 → ${cell.route53.weight} in steps of ${policies.restore.stepPercent}%, its last minute checked after each`, weights: ramp, minSeconds: restoreSeconds(registry, ramp) },
        { name: 'mark-ready', does: `record ${cellId} as ready (with its description) with the fleet guard` },
      ],
    },
    ['any failure or an abort removes what was created, in reverse order (record, monitoring, stack), and records the cell failed'],
    'adds capacity and drains nothing: provisioning takes no drain permit',
  );
};
