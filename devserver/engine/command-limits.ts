/**
 * @module The blob size limit on what a workflow task completion carries, as the real server
 * applies it: each command's payload field (activity, child and continue-as-new input, workflow
 * result and failure, external signal input, marker details, upserted search attributes and
 * memo) and each update protocol message may be at most `limit.blobSize.error` bytes. Past it
 * the real server fails the task with the command's cause and terminates the run (reason
 * "<cause>: <Attributes> exceeds size limit.", identity `history-service`), so nothing
 * oversized is stored; past `limit.blobSize.warn` it logs.
 */
import type { EngineContext } from './context';
import { api, command, common, enumName, enums, failure, pb } from './proto';
import type { ExecutionState } from './types';

const CommandType = enums.CommandType;
const Cause = enums.WorkflowTaskFailedCause;

/** A command or message over the blob size limit: the cause and message the real server gives. */
export interface OversizedPayload {
  cause: enums.WorkflowTaskFailedCause;
  message: string;
}

function payloadsSize(payloads: common.IPayloads | null | undefined): number {
  return payloads ? common.Payloads.encode(payloads).finish().length : 0;
}

/** Keys plus encoded payloads of a marker's details (the real server's `GetPayloadsMapSize`). */
function payloadsMapSize(details: Record<string, common.IPayloads> | null | undefined): number {
  return Object.entries(details ?? {}).reduce((sum, [key, value]) => sum + key.length + payloadsSize(value), 0);
}

/** Keys plus data bytes of search attributes or memo fields (the real server's `payloadsMapSize`). */
function payloadMapDataSize(fields: Record<string, common.IPayload> | null | undefined): number {
  return Object.entries(fields ?? {}).reduce((sum, [key, value]) => sum + key.length + (value.data?.length ?? 0), 0);
}

/** The measured field of each command kind the real server checks: its size, message and task-failure cause. */
function commandPayload(cmd: command.ICommand): { size: number; message: string; cause: enums.WorkflowTaskFailedCause } | undefined {
  switch (cmd.commandType) {
    case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
      return {
        size: payloadsSize(cmd.scheduleActivityTaskCommandAttributes?.input),
        message: 'ScheduleActivityTaskCommandAttributes.Input exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
      };
    case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      return {
        size: payloadsSize(cmd.completeWorkflowExecutionCommandAttributes?.result),
        message: 'CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.',
        // Sic: the real server names this cause for an oversized workflow result.
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
      };
    case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
      const f = cmd.failWorkflowExecutionCommandAttributes?.failure;
      return {
        size: f ? failure.Failure.encode(f).finish().length : 0,
        message: 'FailWorkflowExecutionCommandAttributes.Failure exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
      };
    }
    case CommandType.COMMAND_TYPE_RECORD_MARKER:
      return {
        size: payloadsMapSize(cmd.recordMarkerCommandAttributes?.details),
        message: 'RecordMarkerCommandAttributes.Details exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
      };
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      return {
        size: payloadsSize(cmd.continueAsNewWorkflowExecutionCommandAttributes?.input),
        message: 'ContinueAsNewWorkflowExecutionCommandAttributes. Input exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
      };
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      return {
        size: payloadsSize(cmd.startChildWorkflowExecutionCommandAttributes?.input),
        message: 'StartChildWorkflowExecutionCommandAttributes. Input exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
      };
    case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
      return {
        size: payloadsSize(cmd.signalExternalWorkflowExecutionCommandAttributes?.input),
        message: 'SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
      };
    case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      return {
        size: payloadMapDataSize(cmd.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields),
        message: 'UpsertWorkflowSearchAttributesCommandAttributes exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
      };
    case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      return {
        size: payloadMapDataSize(cmd.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo?.fields),
        message: 'ModifyWorkflowPropertiesCommandAttributes exceeds size limit.',
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
      };
    default:
      return undefined;
  }
}

function checkSize(ctx: EngineContext, exec: ExecutionState, size: number, what: string): 'ok' | 'oversized' {
  if (size <= ctx.limits.blobSizeWarn) return 'ok';
  ctx.log.warn('Blob data size exceeds the warning limit.', { workflowId: exec.workflowId, runId: exec.runId, what, size });
  return size > ctx.limits.blobSizeError ? 'oversized' : 'ok';
}

/** The command's payload over the blob size limit, if it has one. */
export function oversizedCommand(ctx: EngineContext, exec: ExecutionState, cmd: command.ICommand): OversizedPayload | undefined {
  const payload = commandPayload(cmd);
  if (!payload || checkSize(ctx, exec, payload.size, enumName(CommandType, cmd.commandType ?? 0)) === 'ok') return undefined;
  return { cause: payload.cause, message: payload.message };
}

/** The first update protocol message whose body is over the blob size limit, if any. */
export function oversizedMessage(
  ctx: EngineContext,
  exec: ExecutionState,
  messages: readonly api.protocol.v1.IMessage[],
): OversizedPayload | undefined {
  for (const message of messages) {
    const body = message.body;
    const size = body ? pb.Any.encode(body).finish().length : 0;
    const type = (body?.type_url ?? '').replace(/^.*\//, '');
    if (checkSize(ctx, exec, size, type) === 'oversized') {
      return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, message: `Message type ${type} exceeds size limit.` };
    }
  }
  return undefined;
}
