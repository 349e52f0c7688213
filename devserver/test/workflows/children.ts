/**
 * @module Workflows exercising child workflows: results, failures, cancellation, timeouts,
 * termination, id conflicts, parent close policies, and the parent/root chain.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  ParentClosePolicy,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { finishSignal } from './messages';

/** What a child reports about itself and its ancestry. */
export interface Lineage {
  workflowId: string;
  parent?: { workflowId: string; runId: string; namespace: string };
  root?: { workflowId: string; runId: string };
  /** The lineage of the child this workflow started, if any. */
  child?: Lineage;
}

/** Starts a chain of `depth` nested children and returns the lineage each one saw. */
export async function lineage(depth: number): Promise<Lineage> {
  const info = workflowInfo();
  const own: Lineage = {
    workflowId: info.workflowId,
    parent: info.parent ? { workflowId: info.parent.workflowId, runId: info.parent.runId, namespace: info.parent.namespace } : undefined,
    root: info.root ? { workflowId: info.root.workflowId, runId: info.root.runId } : undefined,
  };
  if (depth > 0) {
    own.child = await executeChild(lineage, { args: [depth - 1], workflowId: `${info.workflowId}-${depth}` });
  }
  return own;
}

/** Waits (one hour of workflow time) unless cancelled; a cancellation ends the workflow canceled. */
export async function childWaits(): Promise<string> {
  await sleep(3_600_000);
  return 'woke up';
}

/** Fails with a typed application failure. */
export async function childFails(): Promise<never> {
  await sleep(1);
  throw ApplicationFailure.create({ message: 'child gave up', type: 'ChildGaveUp', nonRetryable: true });
}

/** How a child ended, as its parent saw it. */
export interface ChildOutcome {
  result?: unknown;
  failure?: string;
  cause?: string;
  causeMessage?: string;
}

function outcomeOf(err: unknown): ChildOutcome {
  if (err instanceof ChildWorkflowFailure) return { failure: err.name, cause: err.cause?.name, causeMessage: err.cause?.message };
  if (err instanceof WorkflowExecutionAlreadyStartedError) return { failure: err.name, causeMessage: err.message };
  throw err;
}

export type ChildCase = 'fails' | 'times-out' | 'is-cancelled' | 'is-terminated' | 'conflicts';

/**
 * Runs one child scenario and reports the outcome. `is-terminated` waits for the test to
 * terminate the child (id `<parent id>-child`); `conflicts` reuses the id of a running workflow.
 */
export async function parentOfChild(which: ChildCase, conflictingId = ''): Promise<ChildOutcome> {
  const workflowId = `${workflowInfo().workflowId}-child`;
  try {
    switch (which) {
      case 'fails':
        return { result: await executeChild(childFails, { workflowId, retry: { maximumAttempts: 1 } }) };
      case 'times-out':
        return { result: await executeChild(childWaits, { workflowId, workflowExecutionTimeout: '1s' }) };
      case 'is-terminated':
        return { result: await executeChild(childWaits, { workflowId }) };
      case 'conflicts':
        return { result: await executeChild(childWaits, { workflowId: conflictingId }) };
      case 'is-cancelled': {
        const scope = new CancellationScope();
        const child = await scope.run(() => startChild(childWaits, { workflowId }));
        scope.cancel();
        return { result: await child.result() };
      }
    }
  } catch (err) {
    return outcomeOf(err);
  }
}

/**
 * Starts three waiting children, one per parent close policy (ids `<parent id>-terminate`,
 * `-request-cancel`, `-abandon`), then completes when signalled `finish`.
 */
export async function parentWithPolicies(): Promise<string[]> {
  let finished = false;
  setHandler(finishSignal, () => void (finished = true));
  const id = workflowInfo().workflowId;
  const policies = [
    ['terminate', ParentClosePolicy.TERMINATE],
    ['request-cancel', ParentClosePolicy.REQUEST_CANCEL],
    ['abandon', ParentClosePolicy.ABANDON],
  ] as const;
  const handles = [];
  for (const [suffix, parentClosePolicy] of policies) {
    handles.push(await startChild(childWaits, { workflowId: `${id}-${suffix}`, parentClosePolicy }));
  }
  await condition(() => finished);
  return handles.map((h) => h.workflowId);
}
