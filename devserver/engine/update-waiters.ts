import type { ServiceError } from './errors';
import type { enums } from './proto';
import type { ExecutionState } from './types';
import type { UpdateDecision, UpdateDecisions, UpdateStatus } from './update-decisions';
import { updateStatus } from './updates';

/** A caller of UpdateWorkflowExecution or PollWorkflowExecutionUpdate waiting for a stage. */
export interface UpdateWaiter {
  runId: string;
  updateId: string;
  waitStage: enums.UpdateWorkflowExecutionLifecycleStage;
  settle(result: UpdateStatus | ServiceError): void;
}

/**
 * Callers waiting for updates, by run. Not state: like queries, they live only as long as the
 * caller waits. Decisions that state does not keep (rejections, aborts) are held here until the
 * transaction that made them commits, then delivered with everything else.
 */
export class UpdateWaiters implements UpdateDecisions {
  private readonly byRun = new Map<string, Set<UpdateWaiter>>();
  private readonly decided = new Map<string, UpdateDecision>();

  add(waiter: UpdateWaiter): void {
    let set = this.byRun.get(waiter.runId);
    if (!set) {
      set = new Set();
      this.byRun.set(waiter.runId, set);
    }
    set.add(waiter);
  }

  remove(waiter: UpdateWaiter): void {
    const set = this.byRun.get(waiter.runId);
    set?.delete(waiter);
    if (set?.size === 0) this.byRun.delete(waiter.runId);
  }

  decide(runId: string, updateId: string, decision: UpdateDecision): void {
    this.decided.set(`${runId}\u0000${updateId}`, decision);
  }

  /** At commit: answers the run's waiters whose update got where they wait for. */
  notify(exec: ExecutionState): void {
    const set = this.byRun.get(exec.runId);
    if (!set) return;
    for (const waiter of [...set]) {
      const result =
        this.decided.get(`${exec.runId}\u0000${waiter.updateId}`) ?? updateStatus(exec, waiter.updateId, waiter.waitStage);
      if (result === undefined) continue;
      this.remove(waiter);
      waiter.settle(result);
    }
  }

  /** Ends a commit: decisions not claimed by a waiter now are not needed by anyone. */
  endCommit(): void {
    this.decided.clear();
  }

  /** Number of waiting callers, for diagnostics and tests. */
  get size(): number {
    let n = 0;
    for (const set of this.byRun.values()) n += set.size;
    return n;
  }
}
