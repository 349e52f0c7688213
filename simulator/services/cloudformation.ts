import type {
  CreateStackInput,
  DeleteStackInput,
  DescribeStackEventsInput,
  DescribeStacksInput,
  GetTemplateInput,
  ListStacksInput,
  Parameter,
  Stack,
  StackEvent,
  StackSummary,
  UpdateStackInput,
} from '@aws-sdk/client-cloudformation';
import { fail } from '../aws-errors';
import type { FleetModel } from '../model/fleet-model';
import { isInProgress, type SimParameter, type SimStack, type TemplateRef } from '../model/stacks';
import { operation, pageToken, readPageToken, type ServiceHandlers } from './handler';

const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const TOKEN = /^[a-zA-Z0-9][-a-zA-Z0-9]{0,127}$/;
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);
const EVENTS_PAGE = 100;
const STACKS_PAGE = 100;

function validateName(name: string | undefined, field = 'stackName'): string {
  if (name === undefined || name === '') fail('ValidationError', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  if (!name.startsWith('arn:') && !STACK_NAME.test(name)) {
    fail('ValidationError', `1 validation error detected: Value '${name}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*`);
  }
  return name;
}

function validateToken(token: string | undefined): void {
  if (token !== undefined && !TOKEN.test(token)) {
    fail('ValidationError', `1 validation error detected: Value '${token}' at 'clientRequestToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9][-a-zA-Z0-9]*`);
  }
}

function templateOf(input: { TemplateBody?: string; TemplateURL?: string }): TemplateRef {
  const given = [input.TemplateBody, input.TemplateURL].filter((t) => t !== undefined).length;
  if (given === 0) fail('ValidationError', 'Either Template URL or Template Body must be specified.');
  if (given > 1) fail('ValidationError', 'Specify either Template URL or Template Body, but not both.');
  const simulated = simulatedTemplateUrl(input.TemplateBody);
  return simulated !== undefined ? { url: simulated } : { url: input.TemplateURL, body: input.TemplateBody };
}

/** Where `GetTemplate` says a simulated template (one given by URL) came from. */
const SIMULATED_TEMPLATE_URL = 'cellops:simulated-template-url';

/**
 * The URL of a template body `GetTemplate` returned for a template given by URL: the simulator
 * knows a template by where it came from, so the body given back is that same template again.
 */
function simulatedTemplateUrl(body: string | undefined): string | undefined {
  if (body === undefined || !body.includes(SIMULATED_TEMPLATE_URL)) return undefined;
  try {
    const url: unknown = (JSON.parse(body) as { Metadata?: Record<string, unknown> }).Metadata?.[SIMULATED_TEMPLATE_URL];
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A template body that creates IAM resources needs them acknowledged, as CloudFormation demands. */
function checkCapabilities(template: TemplateRef, capabilities: readonly string[]): void {
  if (template.body?.includes('AWS::IAM::') && !capabilities.some((c) => c === 'CAPABILITY_IAM' || c === 'CAPABILITY_NAMED_IAM')) {
    fail('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_IAM]');
  }
}

const sameTemplate = (a: TemplateRef, b: TemplateRef): boolean => a.url === b.url && a.body === b.body;
const sameParameters = (a: SimParameter[], b: SimParameter[]): boolean =>
  JSON.stringify([...a].sort((x, y) => x.key.localeCompare(y.key))) === JSON.stringify([...b].sort((x, y) => x.key.localeCompare(y.key)));
const sameTags = (a: { Key: string; Value: string }[], b: { Key: string; Value: string }[]): boolean => JSON.stringify(a) === JSON.stringify(b);

function tagsOf(tags: { Key?: string; Value?: string }[] | undefined): { Key: string; Value: string }[] | undefined {
  return tags?.map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
}

/** DescribeStacks' view of a stack. */
export function describeStack(stack: SimStack): Stack {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    Parameters: stack.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.value })),
    CreationTime: new Date(stack.createdAt),
    LastUpdatedTime: stack.lastUpdatedAt === undefined ? undefined : new Date(stack.lastUpdatedAt),
    DeletionTime: stack.deletedAt === undefined ? undefined : new Date(stack.deletedAt),
    RollbackConfiguration: {},
    StackStatus: stack.status as Stack['StackStatus'],
    StackStatusReason: stack.statusReason,
    DisableRollback: false,
    NotificationARNs: [],
    Capabilities: stack.capabilities as Stack['Capabilities'],
    Tags: stack.tags,
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

const toEvent = (e: SimStack['events'][number]): StackEvent => ({ ...e, ResourceStatus: e.ResourceStatus as StackEvent['ResourceStatus'], Timestamp: new Date(e.Timestamp) });

/**
 * The simulated CloudFormation API: stacks move through AWS's status sequences, answer with
 * AWS's errors ("No updates are to be performed.", `Stack with id X does not exist`,
 * `AlreadyExistsException`, busy stacks), honour ClientRequestToken, and DeleteStack of a
 * missing stack succeeds.
 */
export function cloudFormationHandlers(model: FleetModel): ServiceHandlers {
  const { stacks } = model;

  const mustFind = (name: string, message: (name: string) => string): SimStack => {
    const stack = stacks.find(name);
    if (stack === undefined) fail('ValidationError', message(name));
    return stack;
  };
  const restartParameterOf = (stackName: string): string =>
    model.registry.cells.find((c) => c.stack.name === stackName)?.stack.restartParameter ?? 'RestartNonce';

  /** A token this stack already used for another operation is refused; a repeat of the latest one is recognised. */
  const checkToken = (stack: SimStack, token: string | undefined, kind: 'update' | 'delete'): 'repeat' | 'new' => {
    if (token === undefined) return 'new';
    const latest = stack.operations[stack.operations.length - 1];
    if (latest?.token === token && latest.kind === kind) return 'repeat';
    if (stack.operations.some((op) => op.token === token)) fail('TokenAlreadyExistsException', `A client request token already exists: ${token}`);
    return 'new';
  };

  return {
    CreateStack: operation<CreateStackInput>((input) => {
      const name = validateName(input.StackName);
      validateToken(input.ClientRequestToken);
      const template = templateOf(input);
      const capabilities = input.Capabilities ?? [];
      checkCapabilities(template, capabilities);
      const existing = stacks.find(name);
      if (existing !== undefined) {
        const created = existing.operations[0];
        // The same request again (its response was lost): CloudFormation knows it by its token.
        if (input.ClientRequestToken !== undefined && created?.kind === 'create' && created.token === input.ClientRequestToken) return { StackId: existing.stackId };
        fail('AlreadyExistsException', `Stack [${name}] already exists`);
      }
      const parameters = (input.Parameters ?? []).map((p): SimParameter => {
        if (p.UsePreviousValue === true) fail('ValidationError', `Invalid input for parameter key ${p.ParameterKey ?? ''}. Cannot specify usePreviousValue as true for non-existent stack`);
        return { key: p.ParameterKey ?? '', value: p.ParameterValue ?? '' };
      });
      const stack = stacks.create(
        { stackName: name, template, parameters, restartParameter: restartParameterOf(name), capabilities, tags: tagsOf(input.Tags) ?? [], token: input.ClientRequestToken },
        model.now(),
        model.createFailure(name),
      );
      model.touch();
      return { StackId: stack.stackId };
    }),

    UpdateStack: operation<UpdateStackInput>((input) => {
      const name = validateName(input.StackName);
      validateToken(input.ClientRequestToken);
      const stack = mustFind(name, (n) => `Stack [${n}] does not exist`);
      if (checkToken(stack, input.ClientRequestToken, 'update') === 'repeat') return { StackId: stack.stackId };
      if (isInProgress(stack.status) || !UPDATABLE.has(stack.status)) {
        fail('ValidationError', `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
      }
      if (input.UsePreviousTemplate === true && (input.TemplateBody !== undefined || input.TemplateURL !== undefined)) {
        fail('ValidationError', 'You cannot specify both usePreviousTemplate and Template Body/Template URL.');
      }
      const template = input.UsePreviousTemplate === true ? stack.template : templateOf(input);
      const given = input.Parameters ?? [];
      const declared = input.UsePreviousTemplate === true ? { ...stack.declared } : { ...stack.declared, ...Object.fromEntries(given.filter((p) => p.UsePreviousValue !== true).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? ''])) };
      const parameters = resolveParameters(stack, given, declared);
      const capabilities = input.Capabilities ?? [];
      checkCapabilities(template, capabilities);
      const tags = tagsOf(input.Tags) ?? stack.tags;
      if (sameTemplate(template, stack.template) && sameParameters(parameters, stack.parameters) && sameTags(tags, stack.tags)) {
        fail('ValidationError', 'No updates are to be performed.');
      }
      stacks.update(stack, { template, parameters, declared, tags, capabilities, token: input.ClientRequestToken }, model.now(), model.updateFailure(stack));
      model.touch();
      return { StackId: stack.stackId };
    }),

    DeleteStack: operation<DeleteStackInput>((input) => {
      const name = validateName(input.StackName);
      validateToken(input.ClientRequestToken);
      const stack = stacks.find(name);
      // Deleting what is gone is a success: the call is naturally idempotent.
      if (stack === undefined || stack.status === 'DELETE_COMPLETE') return {};
      if (checkToken(stack, input.ClientRequestToken, 'delete') === 'repeat' || stack.status === 'DELETE_IN_PROGRESS') return {};
      // A create in flight is cancelled and deleted; any other operation must finish first.
      if (isInProgress(stack.status) && stack.status !== 'CREATE_IN_PROGRESS') {
        fail('ValidationError', `Stack [${stack.stackId}] cannot be deleted while in status ${stack.status}`);
      }
      stacks.delete(stack, input.ClientRequestToken, model.now());
      model.touch();
      return {};
    }),

    DescribeStacks: operation<DescribeStacksInput>((input) => {
      if (input.StackName !== undefined) {
        return { Stacks: [describeStack(mustFind(input.StackName, (n) => `Stack with id ${n} does not exist`))] };
      }
      const live = stacks.all().filter((s) => s.status !== 'DELETE_COMPLETE');
      const offset = input.NextToken === undefined ? 0 : (readPageToken(input.NextToken, 'stacks') ?? fail('ValidationError', 'Invalid NextToken'));
      const page = live.slice(offset, offset + STACKS_PAGE);
      return { Stacks: page.map(describeStack), NextToken: offset + STACKS_PAGE < live.length ? pageToken('stacks', offset + STACKS_PAGE) : undefined };
    }),

    DescribeStackEvents: operation<DescribeStackEventsInput>((input) => {
      const name = validateName(input.StackName);
      const stack = mustFind(name, (n) => `Stack [${n}] does not exist`);
      const newestFirst = [...stack.events].reverse();
      const scope = `events:${stack.stackId}`;
      const offset = input.NextToken === undefined ? 0 : (readPageToken(input.NextToken, scope) ?? fail('ValidationError', 'Invalid NextToken'));
      return {
        StackEvents: newestFirst.slice(offset, offset + EVENTS_PAGE).map(toEvent),
        NextToken: offset + EVENTS_PAGE < newestFirst.length ? pageToken(scope, offset + EVENTS_PAGE) : undefined,
      };
    }),

    ListStacks: operation<ListStacksInput>((input) => {
      const filter = input.StackStatusFilter;
      const matching = [...stacks.all()].reverse().filter((s) => filter === undefined || filter.length === 0 || (filter as string[]).includes(s.status));
      const offset = input.NextToken === undefined ? 0 : (readPageToken(input.NextToken, 'list') ?? fail('ValidationError', 'Invalid NextToken'));
      const summaries: StackSummary[] = matching.slice(offset, offset + STACKS_PAGE).map((s) => ({
        StackId: s.stackId,
        StackName: s.stackName,
        CreationTime: new Date(s.createdAt),
        LastUpdatedTime: s.lastUpdatedAt === undefined ? undefined : new Date(s.lastUpdatedAt),
        DeletionTime: s.deletedAt === undefined ? undefined : new Date(s.deletedAt),
        StackStatus: s.status as StackSummary['StackStatus'],
        StackStatusReason: s.statusReason,
        DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
      }));
      return { StackSummaries: summaries, NextToken: offset + STACKS_PAGE < matching.length ? pageToken('list', offset + STACKS_PAGE) : undefined };
    }),

    GetTemplate: operation<GetTemplateInput>((input) => {
      const stack = mustFind(validateName(input.StackName), (n) => `Stack with id ${n} does not exist`);
      const body =
        stack.template.body ??
        JSON.stringify({
          Description: `cell stack (simulated; template at ${stack.template.url ?? '?'})`,
          Metadata: { [SIMULATED_TEMPLATE_URL]: stack.template.url },
          Parameters: Object.fromEntries(Object.entries(stack.declared).map(([key, value]) => [key, { Type: 'String', Default: value }])),
        });
      return { TemplateBody: body, StagesAvailable: ['Original', 'Processed'] };
    }),
  };
}

/**
 * The stack's parameters after an update: each declared parameter takes its given value, its
 * previous value (`UsePreviousValue`), or, when left out, the template's default.
 */
function resolveParameters(stack: SimStack, given: Parameter[], declared: Record<string, string>): SimParameter[] {
  const unknown = given.map((p) => p.ParameterKey ?? '').filter((key) => !(key in declared));
  if (unknown.length > 0) fail('ValidationError', `Parameters: [${unknown.join(', ')}] do not exist in the template`);
  const values = new Map<string, string>();
  for (const p of given) {
    const key = p.ParameterKey ?? '';
    if (p.UsePreviousValue === true) {
      const previous = stack.parameters.find((q) => q.key === key);
      if (previous === undefined) fail('ValidationError', `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
      values.set(key, previous.value);
    } else {
      if (p.ParameterValue === undefined) fail('ValidationError', `Invalid input for parameter key ${key}. Need to specify either usePreviousValue as true or a value for the parameter`);
      values.set(key, p.ParameterValue);
    }
  }
  return Object.keys(declared).map((key) => ({ key, value: values.get(key) ?? declared[key] }));
}
