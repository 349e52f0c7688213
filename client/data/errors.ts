/** Errors the data functions throw for what a person can act on (the CLI maps them to exit codes). */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';

/** No workflow with that id (or run) exists in the namespace. */
export class ProcedureNotFoundError extends Error {
  constructor(readonly workflowId: string, readonly namespace?: string) {
    super(`no procedure ${workflowId}${namespace ? ` in namespace ${namespace}` : ''}; \`cellops list\` shows the procedures there are`);
    this.name = 'ProcedureNotFoundError';
  }
}

/** The procedure refused an action, or the action does not apply to it now; `reason` says why. */
export class ActionRefusedError extends Error {
  constructor(
    readonly workflowId: string,
    readonly action: string,
    readonly reason: string,
  ) {
    super(`${action} refused by ${workflowId}: ${reason}`);
    this.name = 'ActionRefusedError';
  }
}

/** Input that cannot be used (an invalid filter value, an empty reason); nothing was sent. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}


/** Whether `err` says the workflow does not exist (the SDK's error, or the server's NOT_FOUND). */
export function isWorkflowNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GrpcStatus.NOT_FOUND);
}

/** A rollout asked for inside a change freeze of the registry, without waiting for its end. */
export class ChangeFrozenError extends Error {
  constructor(readonly why: string) {
    super(`not started: ${why}; start it after then, or with --wait-for-freeze`);
    this.name = 'ChangeFrozenError';
  }
}
