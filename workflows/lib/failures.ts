/** Reading failures: activity and child failures wrap the failure that says what went wrong. */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/** The failure that says what went wrong: the cause of an activity or child workflow failure. */
export function rootFailure(err: unknown): unknown {
  let current = err;
  while ((current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) && current.cause) current = current.cause;
  return current;
}

/** The message of the root failure. */
export function failureMessage(err: unknown): string {
  const root = rootFailure(err);
  return root instanceof Error ? root.message : String(root);
}

/** The `ApplicationFailure` type of the root failure, if it has one. */
export function failureType(err: unknown): string | undefined {
  const root = rootFailure(err);
  return root instanceof ApplicationFailure ? (root.type ?? undefined) : undefined;
}
