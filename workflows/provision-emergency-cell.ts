/**
 * Provision one emergency cell: a child of a procedure that found the fleet short of capacity.
 * Its workflow id derives from the parent's id and step, so a retried or replayed parent finds
 * the same child, and each side effect's token derives from that id.
 *
 * 1. Create the cell's stack from the cell template.
 * 2. Wait until the stack is stable (a failed create is deleted again before failing).
 * 3. Add the cell to routing at the safe weight the parent computed, and wait until in sync.
 */
import { ApplicationFailure, CancellationScope, log } from '@temporalio/workflow';
import type { Cell } from '../domain/registry/schema';
import { newCellTags } from '../domain/procedures/replacement';
import { deleteStackAndWait, deployStackAndWait, setRecordWeight } from './lib/cell-lifecycle';
import { failureMessage } from './lib/failures';

/** Input of `provisionEmergencyCell`. */
export interface ProvisionEmergencyCellInput {
  /** The cell to build (from `newCell`). */
  cell: Cell;
  /** The weight it joins routing at: low enough that a cold cell is not handed more than it serves. */
  weight: number;
  /** Who asked, for the stack's tags. */
  requestedBy: string;
}

/** The cell built, and the weight it serves at. */
export interface ProvisionEmergencyCellResult {
  cellId: string;
  stackName: string;
  stackStatus: string;
  weight: number;
}

/** The `provisionEmergencyCell` workflow: one emergency cell, stack then routing (see the module comment). */
export async function provisionEmergencyCell(input: ProvisionEmergencyCellInput): Promise<ProvisionEmergencyCellResult> {
  const { cell, weight } = input;
  const tags = { ...newCellTags(cell.id), 'cellops:purpose': 'emergency-capacity', 'cellops:requested-by': input.requestedBy };
  let stackStatus: string;
  try {
    // 1. Create the stack; 2. wait until it is stable
    stackStatus = await deployStackAndWait(cell, 'create-stack', tags, 'wait-stack');
  } catch (err) {
    await removeFailedStack(cell);
    throw ApplicationFailure.create({
      type: 'EmergencyCellFailed',
      nonRetryable: true,
      message: `emergency cell ${cell.id} could not be created (its stack ${cell.stack.name} was deleted again): ${failureMessage(err)}`,
      cause: err instanceof Error ? err : undefined,
    });
  }
  // 3. Add it to routing at the safe weight
  await setRecordWeight(cell.route53, weight, 'add-to-routing');
  return { cellId: cell.id, stackName: cell.stack.name, stackStatus, weight };
}

/** Compensation: a stack that failed to create is deleted, so no half-built cell stays behind. */
async function removeFailedStack(cell: Cell): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    try {
      await deleteStackAndWait(cell, 'delete-failed-stack', 'wait-failed-stack-deleted');
    } catch (err) {
      // The creation failure is what the parent must hear about; this one is logged for the operator.
      log.error('could not delete the failed emergency cell stack', { stackName: cell.stack.name, error: String(err) });
    }
  });
}
