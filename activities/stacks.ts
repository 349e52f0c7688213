import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  type Capability,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { StackSpec } from '../domain/registry/schema';
import { mapError, pause } from './aws-call';
import { clientRequestToken } from './client-request-token';
import type { AwsTarget, ResolvedDeps } from './deps';
import { ErrorType, activityFailure, isAwsError, isNoUpdatesError, isStackBusyError, isStackMissingError } from './errors';
import { describeFailures, eventsSince, latestOperationFailures, latestOperationToken, summarizeEvent, type StackEventPager } from './stack-events';
import { StackStatus } from './stack-status';

export interface DeployCellStackInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  /** The cell's stack from the registry (or built from the cell template for a new cell). */
  stack: StackSpec;
  /** Default `CAPABILITY_IAM` and `CAPABILITY_NAMED_IAM`: cell stacks create their own roles. */
  capabilities?: Capability[];
  /** Applied on create and update. */
  tags?: Record<string, string>;
}

export interface RestartCellServicesInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  stackName: string;
  /** The template parameter whose change restarts the services (`StackSpec.restartParameter`). */
  restartParameter: string;
}

export interface DeleteCellStackInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  stackName: string;
}

export interface WaitForStackInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  stackName: string;
  /** `stable`: a create or update finished; `deleted`: the stack is gone. */
  until: 'stable' | 'deleted';
}

/** What a stack-changing activity did. Wait with `waitForStack` unless `noOp`. */
export interface StackOperationResult {
  stackName: string;
  stackId?: string;
  operation: 'create' | 'update' | 'restart' | 'delete';
  /** Nothing to do: the stack already was as asked (or already gone). No operation runs. */
  noOp: boolean;
  /** An earlier attempt with the same request token already started this operation. */
  alreadyStarted: boolean;
  /** The token sent as ClientRequestToken; also the restart nonce. */
  clientRequestToken: string;
}

export interface WaitForStackResult {
  stackName: string;
  /** `NOT_FOUND` when the stack is gone and CloudFormation no longer describes it by name. */
  status: string;
  polls: number;
  lastEventId?: string;
}

/** What `waitForStack` heartbeats, and resumes from after a retry. */
export interface StackWaitProgress {
  status: string;
  /** The newest stack event seen so far. */
  lastEventId?: string;
  polls: number;
  /** Summaries of the events since the previous heartbeat, newest first (at most 10). */
  recentEvents: string[];
}

/** CloudFormation activities. Each passes a ClientRequestToken derived from `requestToken`. */
export interface StackActivities {
  /**
   * Creates the cell stack, or updates it when it exists, from the template and parameters in
   * `stack`. Idempotent: when the stack's latest operation carries this request's token the call
   * already happened and it returns `alreadyStarted`; "No updates are to be performed." returns
   * `noOp`. A stack busy with another operation fails retryably (`ResourceBusy`); one that only
   * an operator can repair (`ROLLBACK_COMPLETE`, `*_FAILED`) fails with `StackOperationFailed`.
   * An update keeps the restart parameter's current value unless `stack.parameters` sets it.
   */
  deployCellStack(input: DeployCellStackInput): Promise<StackOperationResult>;
  /**
   * Restarts a cell's services by updating only its restart parameter: previous template, every
   * other parameter `UsePreviousValue`, the restart parameter set to a nonce derived from
   * `requestToken`. A retry therefore finds its own operation (`alreadyStarted`) or gets
   * "No updates are to be performed." (`noOp`), and never restarts twice.
   */
  restartCellServices(input: RestartCellServicesInput): Promise<StackOperationResult>;
  /**
   * Deletes a stack. A missing or already deleted stack is success (`noOp`); a delete this request
   * already started is `alreadyStarted`. Wait with `waitForStack({ until: 'deleted' })`.
   */
  deleteCellStack(input: DeleteCellStackInput): Promise<StackOperationResult>;
  /**
   * Polls DescribeStacks until the stack is stable (or gone, for `until: 'deleted'`),
   * heartbeating its status and the newest event seen; a retry resumes from the last heartbeat.
   * A failed or rolled-back end state fails non-retryably with `StackOperationFailed`, naming
   * the resources that failed and why (from the operation's `*_FAILED` events). Cancellation
   * interrupts the wait. Give it a heartbeat timeout above `stackPollIntervalMs`.
   */
  waitForStack(input: WaitForStackInput): Promise<WaitForStackResult>;
}

const DEFAULT_CAPABILITIES: Capability[] = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'];
const MAX_RECENT_EVENTS = 10;

const toParameters = (values: Record<string, string>): Parameter[] =>
  Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));

function isStackWaitProgress(value: unknown): value is StackWaitProgress {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<StackWaitProgress>;
  return typeof v.status === 'string' && typeof v.polls === 'number' && (v.lastEventId === undefined || typeof v.lastEventId === 'string');
}

/** Builds the CloudFormation activities. */
export function createStackActivities(deps: ResolvedDeps): StackActivities {
  const on = (target: AwsTarget | undefined): StackActivities => stackActivitiesOn(deps.clients.cloudFormation(target), deps);
  return {
    deployCellStack: (input) => on(input.target).deployCellStack(input),
    restartCellServices: (input) => on(input.target).restartCellServices(input),
    deleteCellStack: (input) => on(input.target).deleteCellStack(input),
    waitForStack: (input) => on(input.target).waitForStack(input),
  };
}

/** The activities on one region's (and account's) CloudFormation client. */
function stackActivitiesOn(cfn: CloudFormationClient, deps: ResolvedDeps): StackActivities {
  const { cloudFormationCalls: calls } = deps;

  /** The stack, or undefined when CloudFormation says it does not exist. */
  async function describeStack(stackName: string): Promise<Stack | undefined> {
    try {
      const out = await calls.attempt((abortSignal) => cfn.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal }));
      return out.Stacks?.[0];
    } catch (err) {
      if (isStackMissingError(err)) return undefined;
      throw mapError(err, { operation: 'DescribeStacks', resource: stackName });
    }
  }

  const pager =
    (stackName: string): StackEventPager =>
    async (nextToken) => {
      const out = await calls.call({ operation: 'DescribeStackEvents', resource: stackName }, (abortSignal) =>
        cfn.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: nextToken }), { abortSignal }),
      );
      return { events: out.StackEvents ?? [], nextToken: out.NextToken };
    };

  const isOurOperation = async (stackName: string, token: string): Promise<boolean> =>
    (await latestOperationToken(pager(stackName))) === token;

  /** Refuses to update a stack that is busy or needs an operator. */
  function assertUpdatable(stackName: string, status: StackStatus): void {
    if (status.isInProgress) {
      throw activityFailure(ErrorType.ResourceBusy, `stack ${stackName} is busy with another operation: ${status.toString()}`, {
        stackName,
        status: status.name,
      });
    }
    if (!status.isUpdatable) {
      throw activityFailure(ErrorType.StackOperationFailed, `stack ${stackName} cannot be updated in ${status.toString()}; it needs an operator (or a delete)`, {
        stackName,
        status: status.name,
      });
    }
  }

  /** Sends an UpdateStack; "No updates" is a no-op, a busy stack running our own request is success. */
  async function update(stack: Stack, command: UpdateStackCommand, operation: 'update' | 'restart', token: string): Promise<StackOperationResult> {
    const stackName = stack.StackName ?? command.input.StackName ?? '';
    const result = { stackName, stackId: stack.StackId, operation, clientRequestToken: token };
    try {
      await calls.attempt((abortSignal) => cfn.send(command, { abortSignal }));
      return { ...result, noOp: false, alreadyStarted: false };
    } catch (err) {
      if (isNoUpdatesError(err)) return { ...result, noOp: true, alreadyStarted: false };
      if (isStackBusyError(err) && (await isOurOperation(stackName, token))) return { ...result, noOp: false, alreadyStarted: true };
      throw mapError(err, { operation: 'UpdateStack', resource: stackName });
    }
  }

  /** Stack events of the given stack's failed operation, as a failure naming each resource. */
  async function operationFailure(stackName: string, status: StackStatus): Promise<Error> {
    const failures = status.isNotFound ? [] : await latestOperationFailures(pager(stackName), stackName);
    const why = failures.length > 0 ? describeFailures(failures) : (status.reason ?? 'no failed resources reported');
    return activityFailure(ErrorType.StackOperationFailed, `stack ${stackName} ended in ${status.name}: ${why}`, {
      stackName,
      status: status.name,
      statusReason: status.reason,
      failures,
    });
  }

  return {
    async deployCellStack(input) {
      const token = clientRequestToken(input.requestToken);
      const spec = input.stack;
      const tags = Object.entries(input.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      let stack = await describeStack(spec.name);
      if (stack === undefined) {
        try {
          const out = await calls.attempt((abortSignal) =>
            cfn.send(
              new CreateStackCommand({
                StackName: spec.name,
                TemplateBody: spec.template.templateBody,
                TemplateURL: spec.template.templateUrl,
                Parameters: toParameters(spec.parameters),
                Capabilities: input.capabilities ?? DEFAULT_CAPABILITIES,
                Tags: tags.length > 0 ? tags : undefined,
                ClientRequestToken: token,
              }),
              { abortSignal },
            ),
          );
          return { stackName: spec.name, stackId: out.StackId, operation: 'create', noOp: false, alreadyStarted: false, clientRequestToken: token };
        } catch (err) {
          // Maybe ours: an earlier attempt whose response was lost. The token check below tells.
          if (!isAwsError(err, 'AlreadyExistsException')) throw mapError(err, { operation: 'CreateStack', resource: spec.name });
          stack = await describeStack(spec.name);
          if (stack === undefined) {
            // It existed a moment ago: someone else's delete is finishing. The next attempt creates it.
            throw activityFailure(ErrorType.ResourceBusy, `stack ${spec.name} already existed at CreateStack but is gone now`, { stackName: spec.name });
          }
        }
      }
      const status = new StackStatus(stack.StackStatus ?? 'UNKNOWN', stack.StackStatusReason);
      if (await isOurOperation(spec.name, token)) {
        const operation = status.name.startsWith('CREATE_') || status.name.startsWith('ROLLBACK_') ? 'create' : 'update';
        return { stackName: spec.name, stackId: stack.StackId, operation, noOp: false, alreadyStarted: true, clientRequestToken: token };
      }
      assertUpdatable(spec.name, status);
      const current = new Set((stack.Parameters ?? []).map((p) => p.ParameterKey));
      // Leaving the restart parameter out would reset it to the template default: a restart.
      const keepNonce: Parameter[] =
        current.has(spec.restartParameter) && !(spec.restartParameter in spec.parameters)
          ? [{ ParameterKey: spec.restartParameter, UsePreviousValue: true }]
          : [];
      const command = new UpdateStackCommand({
        StackName: spec.name,
        TemplateBody: spec.template.templateBody,
        TemplateURL: spec.template.templateUrl,
        Parameters: [...toParameters(spec.parameters), ...keepNonce],
        Capabilities: input.capabilities ?? DEFAULT_CAPABILITIES,
        Tags: tags.length > 0 ? tags : undefined,
        ClientRequestToken: token,
      });
      return update(stack, command, 'update', token);
    },

    async restartCellServices(input) {
      const token = clientRequestToken(input.requestToken);
      const stack = await describeStack(input.stackName);
      if (stack === undefined) throw activityFailure(ErrorType.StackNotFound, `stack ${input.stackName} does not exist`, { stackName: input.stackName });
      const parameters = stack.Parameters ?? [];
      if (!parameters.some((p) => p.ParameterKey === input.restartParameter)) {
        throw activityFailure(ErrorType.ValidationFailed, `stack ${input.stackName} has no parameter ${input.restartParameter} to restart with`, {
          stackName: input.stackName,
          parameters: parameters.map((p) => p.ParameterKey),
        });
      }
      if (await isOurOperation(input.stackName, token)) {
        return { stackName: input.stackName, stackId: stack.StackId, operation: 'restart', noOp: false, alreadyStarted: true, clientRequestToken: token };
      }
      assertUpdatable(input.stackName, new StackStatus(stack.StackStatus ?? 'UNKNOWN', stack.StackStatusReason));
      const command = new UpdateStackCommand({
        StackName: input.stackName,
        UsePreviousTemplate: true,
        Parameters: parameters.map((p) =>
          p.ParameterKey === input.restartParameter
            ? { ParameterKey: p.ParameterKey, ParameterValue: token }
            : { ParameterKey: p.ParameterKey, UsePreviousValue: true },
        ),
        // The previous template may create IAM resources; it needs the same acknowledgement again.
        Capabilities: stack.Capabilities,
        ClientRequestToken: token,
      });
      return update(stack, command, 'restart', token);
    },

    async deleteCellStack(input) {
      const token = clientRequestToken(input.requestToken);
      const result = { stackName: input.stackName, operation: 'delete' as const, clientRequestToken: token };
      const stack = await describeStack(input.stackName);
      if (stack === undefined || new StackStatus(stack.StackStatus ?? 'UNKNOWN').isDeleted) {
        return { ...result, noOp: true, alreadyStarted: false };
      }
      if (await isOurOperation(input.stackName, token)) return { ...result, stackId: stack.StackId, noOp: false, alreadyStarted: true };
      try {
        await calls.attempt((abortSignal) => cfn.send(new DeleteStackCommand({ StackName: input.stackName, ClientRequestToken: token }), { abortSignal }));
      } catch (err) {
        if (isStackMissingError(err)) return { ...result, noOp: true, alreadyStarted: false };
        throw mapError(err, { operation: 'DeleteStack', resource: input.stackName });
      }
      return { ...result, stackId: stack.StackId, noOp: false, alreadyStarted: false };
    },

    async waitForStack(input) {
      const { stackName, until } = input;
      const saved: unknown = activityInfo().heartbeatDetails;
      const resumed = isStackWaitProgress(saved) ? saved : undefined;
      let lastEventId = resumed?.lastEventId;
      let polls = resumed?.polls ?? 0;
      for (;;) {
        const stack = await describeStack(stackName);
        const status = stack === undefined ? StackStatus.NOT_FOUND : new StackStatus(stack.StackStatus ?? 'UNKNOWN', stack.StackStatusReason);
        const recent = status.isNotFound ? [] : await eventsSince(pager(stackName), lastEventId);
        lastEventId = recent[0]?.EventId ?? lastEventId;
        polls += 1;
        heartbeat({
          status: status.name,
          lastEventId,
          polls,
          recentEvents: recent.slice(0, MAX_RECENT_EVENTS).map(summarizeEvent),
        } satisfies StackWaitProgress);
        const done = { stackName, status: status.name, polls, lastEventId };
        if (until === 'deleted') {
          if (status.isDeleted) return done;
          if (status.isFailure) throw await operationFailure(stackName, status);
          if (status.isStable) {
            throw activityFailure(ErrorType.StackOperationFailed, `stack ${stackName} is ${status.toString()}, not being deleted`, {
              stackName,
              status: status.name,
            });
          }
        } else {
          if (status.isDeploySuccess) return done;
          if (status.isDeleted) {
            throw activityFailure(ErrorType.StackNotFound, `stack ${stackName} does not exist (${status.name})`, { stackName, status: status.name });
          }
          if (status.isStable) throw await operationFailure(stackName, status);
        }
        await pause(deps.sleep, deps.stackPollIntervalMs);
      }
    },
  };
}
