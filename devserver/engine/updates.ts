/**
 * Workflow updates, following the real server's update registry
 * (temporalio/temporal `service/history/workflow/update`):
 * - UpdateWorkflowExecution admits an update; a run with no pending workflow task gets a
 *   speculative one; the request travels as a protocol message on the next started task, with
 *   sequencing event id = that task's started event id − 1;
 * - the worker answers in RespondWorkflowTaskCompleted with Acceptance / Rejection / Response
 *   messages; PROTOCOL_MESSAGE commands place them among the commands, messages no command names
 *   are applied after the commands, in request order;
 * - Acceptance → WorkflowExecutionUpdateAccepted, Response → WorkflowExecutionUpdateCompleted,
 *   Rejection → no event, and the update is forgotten;
 * - an update delivered but left unanswered by a (non-heartbeat) completion is rejected by the
 *   server; one delivered on a task that failed or timed out is delivered again;
 * - when the run closes, accepted updates complete with a server failure and updates not yet
 *   accepted fail the caller (NOT_FOUND, or UNAVAILABLE for continue-as-new, which the client retries).
 * Update state is plain data in `ExecutionState.updates`; callers waiting for an update live in
 * `UpdateWaiters`, outside state.
 */
import { status } from '@grpc/grpc-js';
import type { EngineContext, Txn } from './context';
import { inFlightUpdateLimit, invalidArgument, notFound, ServiceError } from './errors';
import { appendEvent, makeEvent } from './history';
import { api, enums, errordetails, failure, history, i64, wsv } from './proto';
import type { ExecutionState, UpdateState } from './types';
import type { UpdateDecision, UpdateDecisions, UpdateStatus } from './update-decisions';

const updatepb = api.update.v1;
const Stage = enums.UpdateWorkflowExecutionLifecycleStage;
const Status = enums.WorkflowExecutionStatus;
const EventType = enums.EventType;
const BAD_MESSAGE = enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE;

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const REQUEST_TYPE = 'temporal.api.update.v1.Request';
const ACCEPTANCE_TYPE = 'temporal.api.update.v1.Acceptance';
const REJECTION_TYPE = 'temporal.api.update.v1.Rejection';
const RESPONSE_TYPE = 'temporal.api.update.v1.Response';

/** The real server refuses new updates while the workflow task keeps failing (attempt ≥ 3). */
const FAIL_UPDATE_WORKFLOW_TASK_ATTEMPT = 3;

/** Outcome of an update accepted by a run that closed before completing it (real server's wording). */
const ACCEPTED_UPDATE_COMPLETED_WORKFLOW: failure.IFailure = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

/** Rejection the server issues for an update the worker completed a task without answering. */
const UNPROCESSED_UPDATE: failure.IFailure = {
  message:
    "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};

function isRunning(exec: ExecutionState): boolean {
  return exec.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING;
}

function workflowNotReady(message: string): ServiceError {
  const value = errordetails.WorkflowNotReadyFailure.encode({}).finish();
  return new ServiceError(status.FAILED_PRECONDITION, message, [
    { typeUrl: `${TYPE_URL_PREFIX}temporal.api.errordetails.v1.WorkflowNotReadyFailure`, value },
  ]);
}

/**
 * Key of an update in `ExecutionState.updates`. Update ids come from callers; the prefix keeps
 * every key an ordinary property name ("constructor", "__proto__", "$x" are ordinary ids here,
 * also for the persistence codec, which skips `$` keys).
 */
function updateKey(updateId: string): string {
  return `u/${updateId}`;
}

/** The run's update with this id. */
export function findUpdate(exec: ExecutionState, updateId: string): UpdateState | undefined {
  const key = updateKey(updateId);
  return Object.hasOwn(exec.updates, key) ? exec.updates[key] : undefined;
}

/** Records an update's state in the run. */
export function putUpdate(exec: ExecutionState, update: UpdateState): UpdateState {
  exec.updates[updateKey(update.updateId)] = update;
  return update;
}

function forgetUpdate(exec: ExecutionState, updateId: string): void {
  delete exec.updates[updateKey(updateId)];
}

// -----------------------------------------------------------------------------------------------
// Admission (UpdateWorkflowExecution)

/** Checks an update request's required fields; returns its update id. */
export function validateUpdateRequest(request: api.update.v1.IRequest | null | undefined): string {
  const updateId = request?.meta?.updateId ?? '';
  if (!request?.meta) throw invalidArgument('invalid Request: meta is not set');
  if (!updateId) throw invalidArgument('invalid Request: meta.update_id is not set');
  if (!request.input) throw invalidArgument('invalid Request: input is not set');
  if (!request.input.name) throw invalidArgument('invalid Request: input.name is not set');
  return updateId;
}

/** What admission decided: the update to wait for, and whether a speculative task is needed. */
export interface Admission {
  update: UpdateState;
  needsWorkflowTask: boolean;
}

/** The real server's `history.maxInFlightUpdates`: updates admitted and not yet completed, per run. */
export const MAX_IN_FLIGHT_UPDATES = 10;

/**
 * Admits the update of an UpdateWorkflowExecution request, or finds the one with the same update
 * id (in flight or completed: the caller then sees that update's outcome; nothing runs again).
 */
export function admitUpdate(ctx: EngineContext, exec: ExecutionState, req: wsv.IUpdateWorkflowExecutionRequest, txn: Txn): Admission {
  const updateId = validateUpdateRequest(req.request);
  if (req.firstExecutionRunId && req.firstExecutionRunId !== exec.firstExecutionRunId) {
    throw notFound('workflow execution not found');
  }
  const existing = findUpdate(exec, updateId);
  if (!isRunning(exec)) {
    // Repeated requests for an update the run accepted see its result; anything else is refused.
    if (existing && (existing.phase === 'accepted' || existing.phase === 'completed')) return { update: existing, needsWorkflowTask: false };
    throw notFound('workflow execution already completed');
  }
  if (existing) return { update: existing, needsWorkflowTask: false };
  const inFlight = Object.values(exec.updates).filter((u) => u.phase !== 'completed').length;
  if (inFlight >= MAX_IN_FLIGHT_UPDATES) throw inFlightUpdateLimit(MAX_IN_FLIGHT_UPDATES);
  if (exec.wftAttempt >= FAIL_UPDATE_WORKFLOW_TASK_ATTEMPT) {
    throw workflowNotReady('Unable to perform workflow execution update due to Workflow Task in failed state.');
  }
  const update: UpdateState = {
    updateId,
    phase: 'admitted',
    request: req.request ?? null,
    admittedSeq: ctx.nextTaskId(),
    acceptedEventId: 0,
    completedEventId: 0,
  };
  putUpdate(exec, update);
  txn.touched.add(exec);
  return { update, needsWorkflowTask: exec.wft === null };
}

// -----------------------------------------------------------------------------------------------
// Delivery with a workflow task

/** Whether admitted updates wait for a workflow task to carry them. */
export function hasUndeliveredUpdates(exec: ExecutionState): boolean {
  return Object.values(exec.updates).some((u) => u.phase === 'admitted');
}

/**
 * The request messages for a task being started: every admitted update, oldest first, each
 * moving to `sent`. The sequencing event id is the event just before WorkflowTaskStarted.
 */
export function takeUpdateRequestMessages(exec: ExecutionState, startedEventId: number): api.protocol.v1.IMessage[] {
  const admitted = Object.values(exec.updates)
    .filter((u) => u.phase === 'admitted' && u.request)
    .sort((a, b) => a.admittedSeq - b.admittedSeq);
  return admitted.map((u) => {
    u.phase = 'sent';
    return {
      id: `${u.updateId}/request`,
      protocolInstanceId: u.updateId,
      eventId: i64(startedEventId - 1),
      body: { type_url: TYPE_URL_PREFIX + REQUEST_TYPE, value: updatepb.Request.encode(u.request ?? {}).finish() },
    };
  });
}

/** The task that carried these updates failed or timed out: deliver them again with the next one. */
export function requeueSentUpdates(exec: ExecutionState): void {
  for (const u of Object.values(exec.updates)) if (u.phase === 'sent') u.phase = 'admitted';
}

/**
 * The server itself failed the completion of the task that carried these updates: the workflow
 * never saw them (the retried task replays without them), so their callers get an error.
 */
export function abortSentUpdates(exec: ExecutionState, decisions: UpdateDecisions): void {
  for (const u of Object.values(exec.updates)) {
    if (u.phase !== 'sent') continue;
    forgetUpdate(exec, u.updateId);
    decisions.decide(
      exec.runId,
      u.updateId,
      workflowNotReady('Unable to perform workflow execution update due to unexpected workflow task failure.'),
    );
  }
}

// -----------------------------------------------------------------------------------------------
// Messages in RespondWorkflowTaskCompleted

/** A protocol message from the worker that failed validation; the task is failed with its cause. */
export class UpdateMessageRejected extends Error {
  readonly failedCause = BAD_MESSAGE;
}

type DecodedBody =
  | { kind: 'acceptance'; body: api.update.v1.Acceptance }
  | { kind: 'rejection'; body: api.update.v1.Rejection }
  | { kind: 'response'; body: api.update.v1.Response };

/** A validated message from the worker. */
export type UpdateMessage = DecodedBody & { id: string; updateId: string };

/** The validated messages of a completion: those PROTOCOL_MESSAGE commands name, and the rest. */
export interface MessagePlan {
  byId: Map<string, UpdateMessage>;
  /** Messages no command names, applied after all commands, in request order. */
  remaining: UpdateMessage[];
  onlyRejections: boolean;
}

function decodeBody(message: api.protocol.v1.IMessage): DecodedBody {
  const typeUrl = message.body?.type_url ?? '';
  const value = message.body?.value ?? new Uint8Array();
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  try {
    switch (typeName) {
      case ACCEPTANCE_TYPE:
        return { kind: 'acceptance', body: updatepb.Acceptance.decode(value) };
      case REJECTION_TYPE:
        return { kind: 'rejection', body: updatepb.Rejection.decode(value) };
      case RESPONSE_TYPE:
        return { kind: 'response', body: updatepb.Response.decode(value) };
    }
  } catch (err) {
    throw new UpdateMessageRejected(`unable to unmarshal message ${message.id ?? ''}: ${(err as Error).message}`);
  }
  throw new UpdateMessageRejected(`Message type ${typeUrl || '(none)'} not supported`);
}

/** The request carried by an Acceptance or Rejection, from which a forgotten update can be revived. */
function carriedRequest(decoded: DecodedBody): api.update.v1.IRequest | null {
  if (decoded.kind === 'acceptance') return decoded.body.acceptedRequest ?? null;
  if (decoded.kind === 'rejection') return decoded.body.rejectedRequest ?? null;
  return null;
}

/**
 * Validates the completion's messages against the run's updates, in the order they will be
 * applied, before anything is applied (so a bad message leaves no partial effects).
 */
export function planUpdateMessages(
  exec: ExecutionState,
  commandMessageIds: readonly string[],
  messages: readonly api.protocol.v1.IMessage[],
): MessagePlan {
  const decoded = new Map<string, UpdateMessage>();
  const order: UpdateMessage[] = [];
  for (const message of messages) {
    const id = message.id ?? '';
    if (!id) throw new UpdateMessageRejected('Message id is not set.');
    if (decoded.has(id)) throw new UpdateMessageRejected(`Duplicate message id ${id}.`);
    const updateId = message.protocolInstanceId ?? '';
    if (!updateId) throw new UpdateMessageRejected(`Message ${id} has no protocol instance id.`);
    const msg: UpdateMessage = { ...decodeBody(message), id, updateId };
    decoded.set(id, msg);
    order.push(msg);
  }

  const byId = new Map<string, UpdateMessage>();
  for (const id of commandMessageIds) {
    const msg = decoded.get(id);
    if (!msg || byId.has(id)) throw new UpdateMessageRejected(`ProtocolMessageCommand referenced absent message ID ${id}`);
    byId.set(id, msg);
  }
  const remaining = order.filter((m) => !byId.has(m.id));
  const applyOrder = [...commandMessageIds.map((id) => byId.get(id) as UpdateMessage), ...remaining];

  // Phases as they will be while the messages are applied one after another.
  const phases = new Map<string, UpdateState['phase'] | 'gone'>();
  for (const msg of applyOrder) {
    const before = phases.get(msg.updateId) ?? findUpdate(exec, msg.updateId)?.phase;
    let phase = before;
    if (phase === undefined || phase === 'gone') {
      if (!carriedRequest(msg)) {
        throw new UpdateMessageRejected(
          `update ${msg.updateId} wasn't found on the server. This is most likely a transient error which will be resolved automatically by retries`,
        );
      }
      phase = 'admitted';
    }
    const invalid = (): never => {
      throw new UpdateMessageRejected(
        `invalid state transition attempted for Update ${msg.updateId}: received ${msg.kind} message while in state ${phase ?? 'unknown'}`,
      );
    };
    switch (msg.kind) {
      case 'acceptance':
        if (phase !== 'admitted' && phase !== 'sent') invalid();
        phases.set(msg.updateId, 'accepted');
        break;
      case 'rejection':
        if (phase !== 'admitted' && phase !== 'sent') invalid();
        phases.set(msg.updateId, 'gone');
        break;
      case 'response':
        if (phase !== 'accepted') invalid();
        if (msg.body.meta?.updateId !== msg.updateId) {
          throw new UpdateMessageRejected(`invalid Response: meta.update_id != ${msg.updateId}`);
        }
        if (!msg.body.outcome) throw new UpdateMessageRejected('invalid Response: outcome is not set');
        phases.set(msg.updateId, 'completed');
        break;
    }
  }
  return { byId, remaining, onlyRejections: order.every((m) => m.kind === 'rejection') };
}

/**
 * Applies one validated message after WorkflowTaskCompleted. A closed run takes only
 * rejections (which write nothing); its unfinished updates are answered from its status.
 */
export function applyUpdateMessage(ctx: EngineContext, exec: ExecutionState, msg: UpdateMessage, decisions: UpdateDecisions, txn: Txn): void {
  txn.touched.add(exec);
  if (msg.kind === 'rejection') {
    const upd = findUpdate(exec, msg.updateId);
    if (upd && (upd.phase === 'admitted' || upd.phase === 'sent')) forgetUpdate(exec, msg.updateId);
    decisions.decide(exec.runId, msg.updateId, {
      stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      outcome: { failure: msg.body.failure ?? { message: 'update rejected' } },
    });
    return;
  }
  if (!isRunning(exec)) return;
  if (msg.kind === 'acceptance') {
    // An update the server no longer knows (e.g. lost in a restart) is revived from the request
    // the Acceptance carries, as the real server does.
    const upd =
      findUpdate(exec, msg.updateId) ??
      putUpdate(exec, {
        updateId: msg.updateId,
        phase: 'admitted',
        request: msg.body.acceptedRequest ?? null,
        admittedSeq: ctx.nextTaskId(),
        acceptedEventId: 0,
        completedEventId: 0,
      });
    upd.acceptedEventId = appendEvent(
      ctx,
      exec,
      makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
        workflowExecutionUpdateAcceptedEventAttributes: {
          protocolInstanceId: msg.updateId,
          acceptedRequestMessageId: `${msg.updateId}/request`,
          acceptedRequestSequencingEventId: msg.body.acceptedRequestSequencingEventId,
          acceptedRequest: upd.request ?? msg.body.acceptedRequest,
        },
      }),
      txn,
    );
    upd.phase = 'accepted';
    upd.request = null;
    return;
  }
  const upd = findUpdate(exec, msg.updateId);
  if (!upd) return; // planUpdateMessages only lets a Response through for an accepted update
  upd.completedEventId = appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
      workflowExecutionUpdateCompletedEventAttributes: {
        meta: msg.body.meta,
        acceptedEventId: i64(upd.acceptedEventId),
        outcome: msg.body.outcome,
      },
    }),
    txn,
  );
  upd.phase = 'completed';
}

/**
 * After a completion of a still-running run: updates delivered with the task and not answered
 * are rejected by the server (a heartbeat completion may leave them for the next one).
 */
export function rejectUnprocessedUpdates(exec: ExecutionState, heartbeat: boolean, decisions: UpdateDecisions): void {
  if (heartbeat || !isRunning(exec)) return;
  for (const u of Object.values(exec.updates)) {
    if (u.phase !== 'sent') continue;
    forgetUpdate(exec, u.updateId);
    decisions.decide(exec.runId, u.updateId, {
      stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      outcome: { failure: UNPROCESSED_UPDATE },
    });
  }
}

/**
 * Whether the completion of a speculative task can be dropped as if it never happened: it
 * changed nothing (no commands, only rejections, not a heartbeat) and no events arrived meanwhile.
 */
export function isDiscardable(exec: ExecutionState, req: wsv.IRespondWorkflowTaskCompletedRequest, plan: MessagePlan): boolean {
  return (
    exec.wft?.speculative === true &&
    (req.commands ?? []).length === 0 &&
    req.forceCreateNewWorkflowTask !== true &&
    plan.onlyRejections &&
    exec.buffered.length === 0
  );
}

// -----------------------------------------------------------------------------------------------
// Status for waiting callers

function completedOutcome(exec: ExecutionState, upd: UpdateState): api.update.v1.IOutcome | null {
  const bytes = exec.log.encoded[upd.completedEventId - 1];
  if (!bytes) return null;
  return history.HistoryEvent.decode(bytes).workflowExecutionUpdateCompletedEventAttributes?.outcome ?? null;
}

/**
 * The answer for a caller waiting for `waitStage`, or undefined while the update has not got
 * there. `UNSPECIFIED`/`ADMITTED` callers are answered with the stage reached at once.
 */
export function updateStatus(
  exec: ExecutionState,
  updateId: string,
  waitStage: enums.UpdateWorkflowExecutionLifecycleStage,
): UpdateDecision | undefined {
  const upd = findUpdate(exec, updateId);
  if (!upd) return notFound(`update "${updateId}" not found`);
  if (upd.phase === 'completed') {
    return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: completedOutcome(exec, upd) };
  }
  if (upd.phase === 'accepted') {
    if (!isRunning(exec)) {
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: { failure: ACCEPTED_UPDATE_COMPLETED_WORKFLOW } };
    }
    if (waitStage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED) return undefined;
    return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, outcome: null };
  }
  if (!isRunning(exec)) {
    if (exec.status === Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) {
      return new ServiceError(status.UNAVAILABLE, 'workflow operation can not be applied because workflow is closing');
    }
    return notFound('update aborted by closing workflow');
  }
  if (waitStage >= Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED) return undefined;
  return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED, outcome: null };
}

/** The stage an update has reached, for a caller whose wait ran out (the client asks again). */
export function reachedStatus(exec: ExecutionState, updateId: string): UpdateStatus {
  const upd = findUpdate(exec, updateId);
  return {
    stage:
      upd?.phase === 'accepted'
        ? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
        : Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
    outcome: null,
  };
}
