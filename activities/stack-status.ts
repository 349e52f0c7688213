/**
 * A CloudFormation stack status with the questions the activities ask of it, so no caller
 * parses `_IN_PROGRESS` or `ROLLBACK` suffixes itself (after aws-cdk's StackStatus).
 */
export class StackStatus {
  /** The status of a stack that does not exist (never created, or deleted and looked up by name). */
  static readonly NOT_FOUND = new StackStatus('NOT_FOUND');

  constructor(
    /** The raw status, e.g. `UPDATE_ROLLBACK_COMPLETE`. */
    readonly name: string,
    /** CloudFormation's `StackStatusReason`, when it gave one. */
    readonly reason?: string,
  ) {}

  get isNotFound(): boolean {
    return this.name === 'NOT_FOUND';
  }

  /**
   * An operation is running and the status will change by itself. `REVIEW_IN_PROGRESS` is not:
   * a stack created for a change set stays there until someone executes or deletes it.
   */
  get isInProgress(): boolean {
    return this.name.endsWith('_IN_PROGRESS') && this.name !== 'REVIEW_IN_PROGRESS';
  }

  /** No operation is running. */
  get isStable(): boolean {
    return !this.isInProgress;
  }

  /** The last operation failed outright (`CREATE_FAILED`, `DELETE_FAILED`, `UPDATE_ROLLBACK_FAILED`, ...). */
  get isFailure(): boolean {
    return this.name.endsWith('_FAILED');
  }

  /** The last operation failed and CloudFormation rolled it back. */
  get isRolledBack(): boolean {
    return this.name === 'ROLLBACK_COMPLETE' || this.name === 'UPDATE_ROLLBACK_COMPLETE' || this.name === 'IMPORT_ROLLBACK_COMPLETE';
  }

  /** The last create, update or import succeeded. */
  get isDeploySuccess(): boolean {
    return this.name === 'CREATE_COMPLETE' || this.name === 'UPDATE_COMPLETE' || this.name === 'IMPORT_COMPLETE';
  }

  get isDeleted(): boolean {
    return this.name === 'DELETE_COMPLETE' || this.isNotFound;
  }

  /**
   * UpdateStack is allowed: the stack is stable and usable, including after a rolled-back update
   * (`UPDATE_ROLLBACK_COMPLETE`). A stack whose create rolled back (`ROLLBACK_COMPLETE`) can only
   * be deleted, and the other failed states need an operator first.
   */
  get isUpdatable(): boolean {
    return this.isDeploySuccess || this.name === 'UPDATE_ROLLBACK_COMPLETE' || this.name === 'IMPORT_ROLLBACK_COMPLETE';
  }

  toString(): string {
    return this.reason ? `${this.name} (${this.reason})` : this.name;
  }
}
