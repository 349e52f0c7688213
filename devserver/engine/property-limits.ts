/**
 * @module The real server's memo and search attribute limits:
 * - at most `frontend.searchAttributesNumberOfKeysLimit` (100) search attributes in one request or
 *   command, each value at most `frontend.searchAttributesSizeOfValueLimit` (2 KiB) of data and
 *   all of them at most `frontend.searchAttributesTotalSizeLimit` (40 KiB) encoded;
 * - a memo of at most `limit.memoSize.error` (2 MiB) encoded; past `limit.memoSize.warn` it logs.
 * A start request past one answers INVALID_ARGUMENT (rpc/limits.ts); in a workflow task, too many
 * search attributes on an upsert, child or continue-as-new command fail the task, and a run's
 * merged search attributes or memo, or a child's or continued run's, past a size limit terminate
 * it (engine/commands.ts), as on the real server.
 */
import type { Logger } from '../log';
import type { OversizedPayload } from './command-limits';
import type { LimitSettings } from './limit-settings';
import { command, common, enumName, enums } from './proto';

const CommandType = enums.CommandType;
const Cause = enums.WorkflowTaskFailedCause;

/** The real server's answer to a start request whose memo is over the limit. */
export const MEMO_SIZE_EXCEEDS_LIMIT = 'Memo size exceeds limit.';

/** The real server's message when a request or command sets too many search attributes. */
export function searchAttributeKeysOverLimit(limits: LimitSettings, attributes: common.ISearchAttributes | null | undefined): string | undefined {
  const count = Object.keys(attributes?.indexedFields ?? {}).length;
  const limit = limits.searchAttributesNumberOfKeys;
  return count > limit ? `number of search attributes ${count} exceeds limit ${limit}` : undefined;
}

/**
 * The real server's task-failure message (cause `BAD_SEARCH_ATTRIBUTES`) for a child or
 * continue-as-new command setting too many search attributes, if it does. A continue-as-new's
 * task queue is named as the real server prints it (Go's proto text form).
 */
export function newRunSearchAttributeKeysOverLimit(
  limits: LimitSettings,
  run: { namespace: string; workflowType: string; taskQueue: string },
  cmd: command.ICommand,
): string | undefined {
  const prefix = `${enumName(Cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES)}: invalid SearchAttributes on`;
  const child = cmd.startChildWorkflowExecutionCommandAttributes;
  if (cmd.commandType === CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION && child) {
    const tooMany = searchAttributeKeysOverLimit(limits, child.searchAttributes);
    const where = `WorkflowId=${child.workflowId ?? ''} WorkflowType=${child.workflowType?.name ?? ''} Namespace=${child.namespace || run.namespace}`;
    return tooMany ? `${prefix} StartChildWorkflowCommand: ${tooMany}. ${where}` : undefined;
  }
  const next = cmd.continueAsNewWorkflowExecutionCommandAttributes;
  if (cmd.commandType === CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION && next) {
    const tooMany = searchAttributeKeysOverLimit(limits, next.searchAttributes);
    const type = next.workflowType?.name || run.workflowType;
    const where = `WorkflowType=${type} TaskQueue=name:"${next.taskQueue?.name || run.taskQueue}" kind:TASK_QUEUE_KIND_NORMAL`;
    return tooMany ? `${prefix} ContinueAsNewWorkflowExecutionCommand: ${tooMany}. ${where}` : undefined;
  }
  return undefined;
}

/** The real server's message when a value, or all of the search attributes, are over their size limit. */
export function searchAttributesSizeOverLimit(limits: LimitSettings, fields: Record<string, common.IPayload> | null | undefined): string | undefined {
  const valueLimit = limits.searchAttributesSizeOfValue;
  for (const [name, payload] of Object.entries(fields ?? {})) {
    const size = payload.data?.length ?? 0;
    if (size > valueLimit) return `search attribute ${name} value size ${size} exceeds size limit ${valueLimit}`;
  }
  const total = common.SearchAttributes.encode({ indexedFields: fields ?? {} }).finish().length;
  const totalLimit = limits.searchAttributesTotalSize;
  return total > totalLimit ? `total size of search attributes ${total} exceeds size limit ${totalLimit}` : undefined;
}

/** Whether a memo is over `limit.memoSize.error`; past the warn limit it logs. */
export function memoOverLimit(limits: LimitSettings, log: Logger, memo: common.IMemo | null | undefined, what: string): boolean {
  const size = memo ? common.Memo.encode(memo).finish().length : 0;
  if (size <= limits.memoSizeWarn) return false;
  log.warn('Memo size exceeds the warning limit.', { what, size, warnLimit: limits.memoSizeWarn });
  return size > limits.memoSizeError;
}

/** A run's memo with upserted fields merged in; an empty payload removes a field. */
export function mergeMemo(current: common.IMemo | null | undefined, upserted: common.IMemo | null | undefined): common.IMemo {
  const fields = { ...(current?.fields ?? {}) };
  for (const [key, value] of Object.entries(upserted?.fields ?? {})) {
    if (!value.data || value.data.length === 0) delete fields[key];
    else fields[key] = value;
  }
  return { fields };
}

/**
 * Checks a completion's commands, one by one, against the memo and search attribute size limits,
 * following the run's memo through its memo upserts.
 */
export class PropertySizes {
  private memo: common.IMemo | null | undefined;

  constructor(
    private readonly limits: LimitSettings,
    private readonly log: Logger,
    memo: common.IMemo | null | undefined,
  ) {
    this.memo = memo;
  }

  /**
   * The command's memo or search attributes over a size limit, if so. `searchAttributes` is the
   * run's search attributes with an upsert command's merged in.
   */
  overLimit(cmd: command.ICommand, searchAttributes: Record<string, common.IPayload> | undefined): OversizedPayload | undefined {
    switch (cmd.commandType) {
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const message = searchAttributesSizeOverLimit(this.limits, searchAttributes);
        return message ? { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, message } : undefined;
      }
      case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
        this.memo = mergeMemo(this.memo, cmd.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo);
        return memoOverLimit(this.limits, this.log, this.memo, 'ModifyWorkflowProperties')
          ? {
              cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
              message: 'ModifyWorkflowPropertiesCommandAttributes. Memo exceeds size limit.',
            }
          : undefined;
      }
      case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const a = cmd.startChildWorkflowExecutionCommandAttributes;
        return this.newRunOverLimit(
          a?.memo,
          a?.searchAttributes,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
          'StartChildWorkflowExecutionCommandAttributes.Memo exceeds size limit.',
        );
      }
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const a = cmd.continueAsNewWorkflowExecutionCommandAttributes;
        return this.newRunOverLimit(
          a?.memo,
          a?.searchAttributes,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
          'ContinueAsNewWorkflowExecutionCommandAttributes. Memo exceeds size limit.',
        );
      }
      default:
        return undefined;
    }
  }

  /** A child's or continued run's memo, then search attributes, as the command gives them. */
  private newRunOverLimit(
    memo: common.IMemo | null | undefined,
    searchAttributes: common.ISearchAttributes | null | undefined,
    cause: enums.WorkflowTaskFailedCause,
    memoMessage: string,
  ): OversizedPayload | undefined {
    if (memoOverLimit(this.limits, this.log, memo, enumName(Cause, cause))) return { cause, message: memoMessage };
    const message = searchAttributesSizeOverLimit(this.limits, searchAttributes?.indexedFields);
    return message ? { cause, message } : undefined;
  }
}
