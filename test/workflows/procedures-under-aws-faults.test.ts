/**
 * Procedures under AWS faults: each procedure of the table runs twice on identical fleets, once
 * clean and once with 20 % of its AWS calls failing (throttling: `Throttling`,
 * `TooManyRequestsException`, `PriorRequestNotComplete`; and 5xx, half of those after the call
 * took effect), drawn by a fixed seed. Both runs must end in the same state with exactly the
 * same effective side effects: no stack updated or created twice, no weight set twice to a
 * different value, no alarm or record written twice. Add a row for every new procedure.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startProcedure } from '../../client/start-procedure';
import type { RecordedCall } from '../../simulator';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { changeSequence, decide, startReplacement } from './cell-replacement.helpers';
import { progressQuery } from '../../workflows/messages';

const procedures = useProcedureTestEnvironment();
jest.setTimeout(600_000);

interface ProcedureRow {
  name: string;
  /** Prepares the fleet (the fault that makes the procedure needed). */
  arrange(fleet: TestFleet): void;
  start(fleet: TestFleet): Promise<WorkflowHandle>;
  /** Answers what the procedure waits for (approvals); called between time skips until it ends. */
  drive?(handle: WorkflowHandle): Promise<void>;
}

const TERMINAL = ['completed', 'failed', 'aborted'];

const TABLE: ProcedureRow[] = [
  {
    name: 'cellRestart',
    arrange: () => undefined,
    start: (fleet) => startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') }),
  },
  {
    name: 'cellReplacement',
    arrange: (fleet) => void fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' }),
    start: (fleet) => startReplacement(procedures.env, fleet, 'cell-002'),
    drive: async (handle) => {
      const progress = await handle.query(progressQuery);
      if (progress.pendingApproval?.step === 'decommission') await decide(handle, 'decommission', true);
    },
  },
];

const FAULTS = { kind: 'random-api-errors', percent: 20, seed: 'procedures-under-aws-faults', afterEffectPercent: 50 } as const;

interface Outcome {
  report: Record<string, unknown>;
  weights: Record<string, number>;
  stacks: { name: string; status: string; parameters: Record<string, string> }[];
  effects: string[];
  failedCalls: number;
  /** Calls that failed after acting (their response lost). */
  lostResponses: number;
}

/** The calls that acted (answered ok, or failed after acting), as `service:command target`, a repeat of the same effect collapsed. */
function effectiveSideEffects(calls: RecordedCall[]): string[] {
  const acted = calls.filter((c) => (c.outcome === 'ok' || c.tookEffect === true) && !c.replayed);
  const effects = changeSequence(acted).filter((e) => !e.startsWith('reads'));
  // An idempotent repeat (the same UPSERT, the same alarm, the same hook token) writes the same thing again: one effect.
  return effects.filter((e, i) => e !== effects[i - 1]);
}

async function runOnce(row: ProcedureRow, faults: boolean): Promise<Outcome> {
  const fleet = await createTestFleet(procedures.env);
  row.arrange(fleet);
  if (faults) fleet.fleet.inject(FAULTS);
  const report = await procedures.withWorkers(fleet, async () => {
    const handle = await row.start(fleet);
    for (let round = 0; round < 400; round++) {
      const progress = await handle.query(progressQuery);
      if (TERMINAL.includes(progress.state)) break;
      await row.drive?.(handle);
      await procedures.env.sleep(30_000);
    }
    return (await handle.result()) as Record<string, unknown>;
  });
  const snapshot = fleet.fleet.snapshot();
  return {
    report,
    weights: fleet.fleet.weights(),
    stacks: snapshot.stacks.map((s) => ({ name: s.stackName, status: s.status, parameters: s.parameters })).sort((a, b) => a.name.localeCompare(b.name)),
    effects: effectiveSideEffects(fleet.calls.list()),
    failedCalls: fleet.calls.count({ outcome: 'error' }),
    lostResponses: fleet.calls.count((c) => c.tookEffect === true),
  };
}

describe('procedures under AWS faults', () => {
  test.each(TABLE.map((row) => [row.name, row] as const))('%s ends as a clean run does, with the same effective side effects', async (_name, row) => {
    const clean = await runOnce(row, false);
    const faulted = await runOnce(row, true);

    // The faults were there: many more calls failed than the answers a clean run expects (a stack not there yet).
    expect(faulted.failedCalls).toBeGreaterThan(clean.failedCalls + 5);
    expect(faulted.lostResponses).toBeGreaterThan(0);

    // The same end state.
    expect(faulted.report).toMatchObject({ outcome: clean.report.outcome, cellEndState: clean.report.cellEndState });
    expect(faulted.weights).toEqual(clean.weights);
    expect(faulted.stacks.map(({ name, status }) => [name, status])).toEqual(clean.stacks.map(({ name, status }) => [name, status]));

    // Exactly the same effective side effects, in the same order.
    expect(faulted.effects).toEqual(clean.effects);
    const updates = faulted.effects.filter((e) => e.startsWith('cloudformation:UpdateStack') || e.startsWith('cloudformation:CreateStack'));
    expect(new Set(updates).size).toBe(updates.length);
  });
});
