import { ChildWorkflowFailure, condition, getExternalWorkflowHandle, startChild, workflowInfo } from '@temporalio/workflow';
import { drillStepTimes, freezeAt, nextDrillCell, runbookHeld, type DrillInput, type DrillReport } from '../domain/drills';
import type { CellRestartInput } from '../domain/procedures/input';
import { planCellRestart } from '../domain/procedures/plans/cell-restart';
import type { ProcedureReport } from '../domain/procedures/report';
import { awsTarget, findCell } from '../domain/registry/lookup';
import { recoveryWorkflowId } from '../domain/workflow-ids';
import { failureMessage } from './lib/failures';
import { aws } from './lib/proxies';
import { abortSignal } from './messages';

/** How often the outcome alarms are read while the practised procedure runs. */
const OUTCOME_CHECK_MS = 60_000;

/**
 * A recovery drill, started by its schedule: pick the cell (the next of the rotation after the
 * previous drill's, from the schedule's last result), skip inside a change freeze or when a
 * blocking alarm (or one of the cell's own) is in ALARM, else run the real procedure on the
 * cell under its recovery id (one recovery per cell, the fleet guard as for any procedure) while
 * reading the outcome alarms every minute: one in ALARM aborts the procedure, which puts the cell
 * back. The report compares each step with the plan's time budget and says whether the runbook
 * held.
 */
export async function recoveryDrill(input: DrillInput): Promise<DrillReport> {
  const previous = workflowInfo().lastResult as DrillReport | undefined;
  const rotationBefore = previous?.rotationCell;
  const cellId = nextDrillCell(input.cells, rotationBefore);
  const plan = planCellRestart(input.registry, cellId);
  const startedAt = new Date().toISOString();
  const base: DrillReport = {
    name: input.name,
    procedure: input.procedure,
    cellId,
    rotationCell: rotationBefore,
    outcome: 'skipped',
    steps: [],
    tookSeconds: null,
    budgetSeconds: plan.timeBudget.minimumSeconds,
    runbookHeld: false,
    startedAt,
  };

  // 1. Not inside a change freeze
  const freeze = freezeAt(input.freezeWindows, Date.now());
  if (freeze) return { ...base, why: `inside the change freeze ${freeze.start} to ${freeze.end}: ${freeze.reason}` };

  // 2. No blocking alarm (nor the cell's own) in ALARM
  const cell = findCell(input.registry, cellId);
  const token = (what: string) => `${workflowInfo().workflowId}-${workflowInfo().firstExecutionRunId}-${what}`;
  const alarmsInAlarm = async (names: string[], what: string): Promise<string[]> => {
    if (names.length === 0) return [];
    const health = await aws.getCellHealth({
      requestToken: token(what),
      target: awsTarget(cell),
      cellId,
      alarms: names,
      metrics: cell.metrics,
      signals: [],
      windowSeconds: 60,
      endTime: new Date().toISOString(),
    });
    return health.inAlarm;
  };
  const blocking = await alarmsInAlarm([...new Set([...input.blockingAlarms, ...cell.alarms])], 'blocking-alarms');
  if (blocking.length > 0) return { ...base, why: `blocking alarm${blocking.length > 1 ? 's' : ''} in ALARM: ${blocking.join(', ')}` };

  // 3. The real procedure on the cell, outcome alarms watched while it runs
  const procedureWorkflowId = recoveryWorkflowId(cellId);
  const child = await startChild('cellRestart', {
    workflowId: procedureWorkflowId,
    args: [{ cellId, reason: `recovery drill ${input.name}`, requestedBy: input.requestedBy, registry: input.registry } satisfies CellRestartInput],
  });
  let finished = false;
  let abortedBy: string | undefined;
  const watch = (async () => {
    for (let check = 0; !finished; check++) {
      const firing = await alarmsInAlarm(input.outcomeAlarms, `outcome-alarms-${check}`);
      if (firing.length > 0 && !finished) {
        abortedBy = firing.join(', ');
        await getExternalWorkflowHandle(procedureWorkflowId)
          .signal(abortSignal, { requestedBy: `drill ${input.name}`, reason: `outcome alarm in ALARM: ${abortedBy}` })
          .catch(() => undefined);
        return;
      }
      await condition(() => finished, OUTCOME_CHECK_MS);
    }
  })();
  let procedureReport: ProcedureReport | undefined;
  let error: string | undefined;
  try {
    procedureReport = (await child.result()) as ProcedureReport;
  } catch (err) {
    error = failureMessage(err);
    const details = err instanceof ChildWorkflowFailure ? (err.cause as { details?: unknown[] } | undefined)?.details : undefined;
    procedureReport = details?.[0] as ProcedureReport | undefined;
  } finally {
    finished = true;
  }
  await watch;
  const outcome = abortedBy !== undefined ? 'aborted' : procedureReport?.outcome === 'completed' ? 'completed' : procedureReport?.outcome === 'aborted' ? 'aborted' : 'failed';
  const why =
    abortedBy !== undefined
      ? `outcome alarm in ALARM: ${abortedBy}; the procedure was aborted, the cell ${procedureReport?.cellEndState ?? 'state unknown'}`
      : outcome === 'completed'
        ? undefined
        : (procedureReport?.error ?? error);
  return {
    ...base,
    rotationCell: cellId,
    outcome,
    ...(why ? { why } : {}),
    procedureWorkflowId,
    ...(procedureReport ? { procedureReport } : {}),
    steps: drillStepTimes(plan, procedureReport),
    tookSeconds: procedureReport ? procedureReport.durationMs / 1000 : null,
    runbookHeld: runbookHeld(plan, procedureReport),
  };
}
