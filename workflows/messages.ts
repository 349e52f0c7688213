/**
 * Every signal, query and update of the cellops procedures, defined once and imported by the
 * workflows, the CLI and the tests. Wire names equal the identifiers without their suffix.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProcedureProgress } from '../domain/procedures/progress';
import type { DeploymentProgress } from '../domain/procedures/wave-deployment';
import type { AbortRequest, ApprovalDecision, ApprovalOutcome, PauseRequest } from '../domain/procedures/messages-types';
import type { CellLifecycleRecord } from '../domain/procedures/cell-lifecycle';
import type { CapacityWatchStatus } from '../domain/procedures/capacity-watch';
import type { ChangePermitsRelease, ChangePermitsRequest, ChangePermitsVerdict, DrainPermit, DrainPermitRelease, DrainPermitReleased, DrainPermitRequest, PermitVerdict } from '../domain/procedures/drain-permits';

/** Where the procedure is: current step, steps done with their times, pending approval, last error. */
export const progressQuery = defineQuery<ProcedureProgress>('progress');

/** An operator's decision on the pending approval; rejected (not accepted) if it does not apply. */
export const approveUpdate = defineUpdate<ApprovalOutcome, [ApprovalDecision]>('approve');

/**
 * The same decision as a signal, for the Temporal Web UI's "Send Signal" and `temporal workflow
 * signal --name approval`: judged by the same rules; one that does not apply cannot be refused
 * to its sender, so it is recorded in the progress (`decisions`) and notified instead.
 */
export const approvalSignal = defineSignal<[ApprovalDecision]>('approval');

/** Holds the procedure before its next step until `resume`. */
export const pauseSignal = defineSignal<[PauseRequest]>('pause');
export const resumeSignal = defineSignal<[]>('resume');

/** Stops the procedure, leaving the cell in a known-good state that the final report names. */
export const abortSignal = defineSignal<[AbortRequest]>('abort');

/** Fleet guard: asks for a drain permit; the verdict says whether it was granted, and why not. */
export const requestDrainPermitUpdate = defineUpdate<PermitVerdict, [DrainPermitRequest]>('requestDrainPermit');

/** Fleet guard: gives a permit back (the holder when done, or an operator clearing a leaked one). */
export const releaseDrainPermitUpdate = defineUpdate<DrainPermitReleased, [DrainPermitRelease]>('releaseDrainPermit');

/** Fleet guard: the permits held now. */
export const drainPermitsQuery = defineQuery<DrainPermit[]>('drainPermits');
/** A deployment's permits to change cells in service (see `decideChangePermits`), and their release. */
export const requestChangePermitsUpdate = defineUpdate<ChangePermitsVerdict, [ChangePermitsRequest]>('requestChangePermits');
export const releaseChangePermitsUpdate = defineUpdate<DrainPermitReleased, [ChangePermitsRelease]>('releaseChangePermits');

/** Wave deployment: where the rollout is, wave by wave (cells updated, bake checks, failures), and after, how it ended. */
export const deploymentProgressQuery = defineQuery<DeploymentProgress>('deploymentProgress');

/** Fleet guard: records a cell's lifecycle state (provisioning, ready, draining, decommissioned); returns the record kept. */
export const recordCellStateUpdate = defineUpdate<CellLifecycleRecord, [CellLifecycleRecord]>('recordCellState');

/** Fleet guard: every cell's lifecycle state, as procedures set them. */
export const cellStatesQuery = defineQuery<CellLifecycleRecord[]>('cellStates');

/** Capacity watch: the last readings, the actions in flight and every decision taken (the last ones). */
export const capacityWatchQuery = defineQuery<CapacityWatchStatus>('capacityWatch');
