import type { Random } from '../random';
import type { SimulatorTiming } from '../timing';

/** A stack event as the simulator stores it (`Timestamp` in ms). */
export interface SimStackEvent {
  StackId: string;
  EventId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  Timestamp: number;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  ClientRequestToken?: string;
}

/** A stack parameter and its current value. */
export interface SimParameter {
  key: string;
  value: string;
}

/** Where the template came from; two templates are the same when these are. */
export interface TemplateRef {
  url?: string;
  body?: string;
}

/** The stack operations the simulator runs. */
export type OperationKind = 'create' | 'update' | 'delete';

/** A step of a running operation: applied `afterMs` after the previous one. */
interface Step {
  afterMs: number;
  run(at: number): void;
}

interface RunningOperation {
  kind: OperationKind;
  token?: string;
  steps: Step[];
  nextDueAt: number;
}

/** One status a stack was in, from `at` on. */
export interface StatusEntry {
  at: number;
  status: string;
  /** The cell's services are restarting (a restart-parameter update in flight). */
  restarting: boolean;
}

/** The template and parameters a stack ran from `at` on. */
export interface ConfigEntry {
  at: number;
  template: TemplateRef;
  parameters: SimParameter[];
}

/** A simulated CloudFormation stack. Deleted stacks stay, as AWS keeps them listable. */
export interface SimStack {
  stackId: string;
  stackName: string;
  status: string;
  statusReason?: string;
  createdAt: number;
  lastUpdatedAt?: number;
  deletedAt?: number;
  template: TemplateRef;
  parameters: SimParameter[];
  /** The parameters the simulated template declares, with their defaults (the create-time values). */
  declared: Record<string, string>;
  capabilities: string[];
  tags: { Key: string; Value: string }[];
  /** Oldest first; served newest first. */
  events: SimStackEvent[];
  /** Every operation ever started, oldest first: which tokens were used for what. */
  operations: { kind: OperationKind; token?: string; startedAt: number }[];
  running?: RunningOperation;
  statusHistory: StatusEntry[];
  /** The versions (template and parameters) it ran, oldest first: an update's from its start, a rollback's from its end. */
  configHistory: ConfigEntry[];
  /** The parameter whose change restarts the cell's services. */
  restartParameter: string;
  /** Resource ids of the simulated template, by logical id. */
  physicalIds: Record<string, string>;
}

/** How a stack operation ends when a fault says it fails. */
export interface OperationFailure {
  logicalResourceId: string;
  reason: string;
}

/** The resources every simulated cell stack is made of; updates touch the first two. */
export const CELL_RESOURCES = [
  { id: 'CellTaskDefinition', type: 'AWS::ECS::TaskDefinition' },
  { id: 'CellService', type: 'AWS::ECS::Service' },
  { id: 'CellTargetGroup', type: 'AWS::ElasticLoadBalancingV2::TargetGroup' },
] as const;
const UPDATED_RESOURCES = CELL_RESOURCES.slice(0, 2);
const STACK_TYPE = 'AWS::CloudFormation::Stack';

/** Statuses in which the stack's resources exist and serve. */
const SERVING = /^(CREATE_COMPLETE|UPDATE_|IMPORT_)/;

/** True when a stack in `status` has running resources (a cell with it can serve). */
export function isServingStatus(status: string | undefined): boolean {
  return status !== undefined && SERVING.test(status);
}

/** An operation is running (REVIEW_IN_PROGRESS waits for a person, so it is not). */
export function isInProgress(status: string): boolean {
  return status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS';
}

const isStackArn = (nameOrId: string): boolean => nameOrId.startsWith('arn:');

/**
 * The simulated CloudFormation: stacks, their events, and operations that move through AWS's
 * status sequences as the clock advances. Validation and tokens are the API layer's concern;
 * this store only carries out what was accepted.
 */
export class StackStore {
  private readonly stacks: SimStack[] = [];

  constructor(
    private readonly options: {
      random: Random;
      timing: SimulatorTiming;
      region: string;
      accountId: string;
      /** Called whenever a stack changes status. */
      onChange: () => void;
    },
  ) {}

  /** Every stack, deleted ones included, oldest first. */
  all(): readonly SimStack[] {
    return this.stacks;
  }

  /** The live (not deleted) stack of that name, or the stack (deleted or not) of that id. */
  find(nameOrId: string): SimStack | undefined {
    if (isStackArn(nameOrId)) return this.stacks.find((s) => s.stackId === nameOrId);
    return this.stacks.find((s) => s.stackName === nameOrId && s.status !== 'DELETE_COMPLETE');
  }

  /** The newest stack of that name created at or before `t`, deleted or not. */
  incarnationAt(stackName: string, t: number): SimStack | undefined {
    let found: SimStack | undefined;
    for (const stack of this.stacks) if (stack.stackName === stackName && stack.createdAt <= t) found = stack;
    return found;
  }

  /** The status the stack had at `t`, or undefined before it existed. */
  statusAt(stack: SimStack, t: number): StatusEntry | undefined {
    let found: StatusEntry | undefined;
    for (const entry of stack.statusHistory) {
      if (entry.at > t) break;
      found = entry;
    }
    return found;
  }

  /**
   * Applies every step due by `now`, in time order per stack. A stack `isStuck` says hangs stays
   * where it is; `resume` later restarts its clock.
   */
  advance(now: number, isStuck: (stack: SimStack) => boolean): void {
    for (const stack of this.stacks) {
      const op = stack.running;
      while (op !== undefined && stack.running === op && op.steps.length > 0 && op.nextDueAt <= now) {
        if (isStuck(stack)) break;
        const step = op.steps.shift();
        step?.run(op.nextDueAt);
        if (op.steps.length === 0) stack.running = undefined;
        else op.nextDueAt += op.steps[0].afterMs;
      }
    }
  }

  /** After a stuck fault ends at `now`: a held step takes its whole duration again from now. */
  resume(stack: SimStack, now: number): void {
    const op = stack.running;
    if (op !== undefined && op.nextDueAt < now) op.nextDueAt = now + op.steps[0].afterMs;
  }

  /** Adds a stack that has existed since `createdAt` (a registry cell's), CREATE_COMPLETE. */
  seed(input: { stackName: string; template: TemplateRef; parameters: SimParameter[]; restartParameter: string; capabilities: string[]; createdAt: number }): SimStack {
    const stack = this.newStack({ ...input, tags: [], at: input.createdAt });
    this.startCreate(stack, undefined, input.createdAt, undefined);
    this.advance(input.createdAt + this.options.timing.stackCreateMs, () => false);
    return stack;
  }

  /** The template and parameters the stack ran at `t` (its first ones before that). */
  configAt(stack: SimStack, t: number): ConfigEntry {
    let found = stack.configHistory[0];
    for (const entry of stack.configHistory) {
      if (entry.at > t) break;
      found = entry;
    }
    return found;
  }

  /** Starts a CreateStack: CREATE_IN_PROGRESS now, then CREATE_COMPLETE or a rollback. */
  create(
    input: {
      stackName: string;
      template: TemplateRef;
      parameters: SimParameter[];
      restartParameter: string;
      capabilities: string[];
      tags: { Key: string; Value: string }[];
      token?: string;
    },
    now: number,
    failure: OperationFailure | undefined,
  ): SimStack {
    const stack = this.newStack({ ...input, at: now });
    this.startCreate(stack, input.token, now, failure);
    return stack;
  }

  /** Starts an UpdateStack to the given template, parameters and tags. */
  update(
    stack: SimStack,
    next: { template: TemplateRef; parameters: SimParameter[]; declared: Record<string, string>; tags: { Key: string; Value: string }[]; capabilities: string[]; token?: string },
    now: number,
    failure: OperationFailure | undefined,
  ): void {
    const { timing } = this.options;
    const previous = { template: stack.template, parameters: stack.parameters, declared: stack.declared, tags: stack.tags };
    const before = stack.parameters.find((p) => p.key === stack.restartParameter)?.value;
    const after = next.parameters.find((p) => p.key === stack.restartParameter)?.value;
    const restarting = before !== after;
    const token = next.token;
    Object.assign(stack, { template: next.template, parameters: next.parameters, declared: next.declared, tags: next.tags, capabilities: next.capabilities });
    stack.configHistory.push({ at: now, template: next.template, parameters: next.parameters });
    stack.lastUpdatedAt = now;
    stack.operations.push({ kind: 'update', token, startedAt: now });
    this.setStatus(stack, now, 'UPDATE_IN_PROGRESS', 'User Initiated', token, restarting);
    for (const r of UPDATED_RESOURCES) this.resourceEvent(stack, now, r, 'UPDATE_IN_PROGRESS', token);

    const steps: Step[] = [];
    if (failure === undefined) {
      steps.push({
        afterMs: timing.stackUpdateMs,
        run: (at) => {
          for (const r of UPDATED_RESOURCES) this.resourceEvent(stack, at, r, 'UPDATE_COMPLETE', token);
          this.setStatus(stack, at, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', undefined, token, false);
        },
      });
      steps.push({ afterMs: timing.stackCleanupMs, run: (at) => this.setStatus(stack, at, 'UPDATE_COMPLETE', undefined, token, false) });
    } else {
      const failed = this.resource(failure.logicalResourceId);
      steps.push({
        afterMs: timing.stackUpdateMs,
        run: (at) => {
          for (const r of UPDATED_RESOURCES) {
            if (r.id !== failed.id) this.resourceEvent(stack, at, r, 'UPDATE_COMPLETE', token);
          }
          this.resourceEvent(stack, at, failed, 'UPDATE_FAILED', token, failure.reason);
          const why = `The following resource(s) failed to update: [${failed.id}]. `;
          this.setStatus(stack, at, 'UPDATE_ROLLBACK_IN_PROGRESS', why, token, restarting);
          for (const r of UPDATED_RESOURCES) this.resourceEvent(stack, at, r, 'UPDATE_IN_PROGRESS', token);
        },
      });
      steps.push({
        afterMs: timing.stackRollbackMs,
        run: (at) => {
          Object.assign(stack, previous);
          stack.configHistory.push({ at, template: previous.template, parameters: previous.parameters });
          for (const r of UPDATED_RESOURCES) this.resourceEvent(stack, at, r, 'UPDATE_COMPLETE', token);
          this.setStatus(stack, at, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', undefined, token, false);
        },
      });
      steps.push({ afterMs: timing.stackCleanupMs, run: (at) => this.setStatus(stack, at, 'UPDATE_ROLLBACK_COMPLETE', undefined, token, false) });
    }
    this.schedule(stack, 'update', token, now, steps);
  }

  /** Starts a DeleteStack: DELETE_IN_PROGRESS now, DELETE_COMPLETE later. */
  delete(stack: SimStack, token: string | undefined, now: number): void {
    const { timing } = this.options;
    stack.operations.push({ kind: 'delete', token, startedAt: now });
    this.setStatus(stack, now, 'DELETE_IN_PROGRESS', 'User Initiated', token, false);
    for (const r of CELL_RESOURCES) this.resourceEvent(stack, now, r, 'DELETE_IN_PROGRESS', token);
    this.schedule(stack, 'delete', token, now, [
      {
        afterMs: timing.stackDeleteMs,
        run: (at) => {
          for (const r of CELL_RESOURCES) this.resourceEvent(stack, at, r, 'DELETE_COMPLETE', token);
          stack.deletedAt = at;
          this.setStatus(stack, at, 'DELETE_COMPLETE', undefined, token, false);
        },
      },
    ]);
  }

  private newStack(input: {
    stackName: string;
    template: TemplateRef;
    parameters: SimParameter[];
    restartParameter: string;
    capabilities: string[];
    tags: { Key: string; Value: string }[];
    at: number;
  }): SimStack {
    const { random, region, accountId } = this.options;
    const stackId = `arn:aws:cloudformation:${region}:${accountId}:stack/${input.stackName}/${random.uuid()}`;
    const physicalIds = Object.fromEntries(CELL_RESOURCES.map((r) => [r.id, `${input.stackName}-${r.id}-${random.upperAlphanumeric(12)}`]));
    const stack: SimStack = {
      stackId,
      stackName: input.stackName,
      status: 'CREATE_IN_PROGRESS',
      createdAt: input.at,
      template: input.template,
      parameters: input.parameters,
      declared: Object.fromEntries(input.parameters.map((p) => [p.key, p.value])),
      capabilities: input.capabilities,
      tags: input.tags,
      events: [],
      operations: [],
      statusHistory: [],
      configHistory: [{ at: input.at, template: input.template, parameters: input.parameters }],
      restartParameter: input.restartParameter,
      physicalIds,
    };
    this.stacks.push(stack);
    return stack;
  }

  private startCreate(stack: SimStack, token: string | undefined, now: number, failure: OperationFailure | undefined): void {
    const { timing } = this.options;
    stack.operations.push({ kind: 'create', token, startedAt: now });
    this.setStatus(stack, now, 'CREATE_IN_PROGRESS', 'User Initiated', token, false);
    for (const r of CELL_RESOURCES) this.resourceEvent(stack, now, r, 'CREATE_IN_PROGRESS', token);
    const steps: Step[] = [];
    if (failure === undefined) {
      steps.push({
        afterMs: timing.stackCreateMs,
        run: (at) => {
          for (const r of CELL_RESOURCES) this.resourceEvent(stack, at, r, 'CREATE_COMPLETE', token);
          this.setStatus(stack, at, 'CREATE_COMPLETE', undefined, token, false);
        },
      });
    } else {
      const failed = this.resource(failure.logicalResourceId);
      steps.push({
        afterMs: timing.stackCreateMs,
        run: (at) => {
          for (const r of CELL_RESOURCES) {
            if (r.id === failed.id) this.resourceEvent(stack, at, r, 'CREATE_FAILED', token, failure.reason);
            else this.resourceEvent(stack, at, r, 'CREATE_FAILED', token, 'Resource creation cancelled');
          }
          const why = `The following resource(s) failed to create: [${failed.id}]. Rollback requested by user.`;
          this.setStatus(stack, at, 'ROLLBACK_IN_PROGRESS', why, token, false);
          for (const r of CELL_RESOURCES) this.resourceEvent(stack, at, r, 'DELETE_IN_PROGRESS', token);
        },
      });
      steps.push({
        afterMs: timing.stackRollbackMs,
        run: (at) => {
          for (const r of CELL_RESOURCES) this.resourceEvent(stack, at, r, 'DELETE_COMPLETE', token);
          this.setStatus(stack, at, 'ROLLBACK_COMPLETE', undefined, token, false);
        },
      });
    }
    this.schedule(stack, 'create', token, now, steps);
  }

  private schedule(stack: SimStack, kind: OperationKind, token: string | undefined, now: number, steps: Step[]): void {
    stack.running = { kind, token, steps, nextDueAt: now + steps[0].afterMs };
  }

  private resource(logicalResourceId: string): { id: string; type: string } {
    return CELL_RESOURCES.find((r) => r.id === logicalResourceId) ?? { id: logicalResourceId, type: 'AWS::CloudFormation::CustomResource' };
  }

  private setStatus(stack: SimStack, at: number, status: string, reason: string | undefined, token: string | undefined, restarting: boolean): void {
    stack.status = status;
    stack.statusReason = reason;
    stack.statusHistory.push({ at, status, restarting });
    stack.events.push({
      StackId: stack.stackId,
      EventId: this.options.random.uuid(),
      StackName: stack.stackName,
      LogicalResourceId: stack.stackName,
      PhysicalResourceId: stack.stackId,
      ResourceType: STACK_TYPE,
      Timestamp: at,
      ResourceStatus: status,
      ResourceStatusReason: reason,
      ClientRequestToken: token,
    });
    this.options.onChange();
  }

  private resourceEvent(stack: SimStack, at: number, resource: { id: string; type: string }, status: string, token: string | undefined, reason?: string): void {
    stack.events.push({
      StackId: stack.stackId,
      EventId: `${resource.id}-${this.options.random.uuid()}`,
      StackName: stack.stackName,
      LogicalResourceId: resource.id,
      PhysicalResourceId: stack.physicalIds[resource.id] ?? '',
      ResourceType: resource.type,
      Timestamp: at,
      ResourceStatus: status,
      ResourceStatusReason: reason,
      ClientRequestToken: token,
    });
  }
}
