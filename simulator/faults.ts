import type { ApplicationHooks } from '../activities/hooks/types';
import type { AwsService } from './calls';
import { Random } from './random';

/** A cell serves errors and slow responses; its alarms go to ALARM. */
export interface UnhealthyCellFault {
  kind: 'unhealthy-cell';
  cellId: string;
  /** Default 25. */
  errorRatePercent?: number;
  /** Default 3000. */
  latencyP99Ms?: number;
  /**
   * A fault a restart cures (a leak, a wedged process): the cell is healthy again once an update
   * that restarts its services (a change of the restart parameter) has completed. Default false:
   * only clearing the fault ends it.
   */
  curedByRestart?: boolean;
}

/**
 * A bad version: cells whose stack runs it (a parameter with that value, or that template URL)
 * serve more errors and slower responses, so their alarms and metrics degrade for as long as
 * they run it. Rolling the stack back to another version cures it; clearing the fault too.
 */
export interface BadVersionFault {
  kind: 'bad-version';
  /** The parameter that names the version, with the bad value (both needed unless `templateUrl` is given). */
  parameter?: string;
  value?: string;
  /** Or: the bad template's URL. */
  templateUrl?: string;
  /** Only these cells degrade with it (a version bad in one place only); default every cell running it. */
  cellIds?: string[];
  /** Default 5. */
  errorRatePercent?: number;
  /** Default 1500 (p95 is 60% of it). */
  latencyP99Ms?: number;
}

/** Stack operations on the stack hang in their first `*_IN_PROGRESS` status until the fault is cleared. */
export interface StuckStackUpdateFault {
  kind: 'stuck-stack-update';
  /** The stack, or the cell whose stack it is. */
  stackName?: string;
  cellId?: string;
}

/** The next updates of the stack fail on a resource and roll back (UPDATE_ROLLBACK_COMPLETE). */
export interface FailingStackUpdateFault {
  kind: 'failing-stack-update';
  stackName?: string;
  cellId?: string;
  /** The failed resource's `ResourceStatusReason`. */
  reason?: string;
  /** Default `CellService`. */
  logicalResourceId?: string;
  /** Updates to fail; default every one until cleared. */
  count?: number;
}

/** The next creates of the stack (or of any stack) fail and roll back (ROLLBACK_COMPLETE). */
export interface StackCreateFailureFault {
  kind: 'stack-create-failure';
  /** Default: any stack. */
  stackName?: string;
  reason?: string;
  logicalResourceId?: string;
  count?: number;
}

/** Which calls an API fault applies to. */
export interface ApiTarget {
  service: AwsService;
  /** `UpdateStack` (a `Command` suffix is ignored). Default: every operation of the service. */
  command?: string;
}

/** `Throttling: Rate exceeded` for the next `count` calls, or for calls above `ratePerSecond`. */
export interface ThrottlingFault extends ApiTarget {
  kind: 'throttling';
  count?: number;
  /** Calls allowed per second of the fleet's clock (bursts up to one second's worth). */
  ratePerSecond?: number;
}

/** A 5xx: `InternalFailure` (500) or `ServiceUnavailable` (503). */
export interface ServerErrorFault extends ApiTarget {
  kind: 'server-error';
  code?: 'InternalFailure' | 'ServiceUnavailable';
  count?: number;
}

/** Calls take `delayMs` longer (of the fleet's clock); cancellation still interrupts them. */
export interface SlowResponsesFault extends ApiTarget {
  kind: 'slow-responses';
  delayMs: number;
  count?: number;
}

/** Route 53 rejects ChangeResourceRecordSets with `PriorRequestNotComplete`. */
export interface PriorRequestNotCompleteFault {
  kind: 'prior-request-not-complete';
  /** Default: every hosted zone. */
  hostedZoneId?: string;
  count?: number;
}

/** Observed traffic stops following the weights (a client pinning DNS, a stuck router). */
export interface TrafficStuckFault {
  kind: 'traffic-stuck';
  /** The weighted group of this cell; default every group. */
  cellId?: string;
}

/** The cell's data cannot be read: `checkDataAccessible` says so, backups and migrations from it fail. */
export interface DataInaccessibleFault {
  kind: 'data-inaccessible';
  cellId: string;
  reason?: string;
}

/** `validateDataIntegrity` of the cell reports problems. */
export interface IntegrityFailureFault {
  kind: 'integrity-failure';
  cellId: string;
  problems?: string[];
}

/** A hook fails before acting: `HookUnavailable` (retryable) or `HookRejected`. */
export interface HookFailureFault {
  kind: 'hook-failure';
  /** Default: every hook. */
  hook?: keyof ApplicationHooks;
  type?: 'HookUnavailable' | 'HookRejected';
  message?: string;
  count?: number;
}

/**
 * A member of the router fails: the primary (cell-aware) router errs and its alarms go ALARM, or
 * the hash-based fallback misroutes (requests reach cells that do not hold their customer).
 */
export interface RouterFailureFault {
  kind: 'router-failure';
  /** Default `primary`. */
  member?: 'primary' | 'fallback';
  /** Default 40. */
  errorRatePercent?: number;
  /** The primary is healthy again once an update of its stack (a restart) completes. Default true. */
  recoversOnRestart?: boolean;
}

/**
 * A share of the AWS calls fail, each call drawn by a seeded generator (the same seed and the same
 * calls fail the same calls): throttling (`Throttling`, `TooManyRequestsException`, and Route 53's
 * `PriorRequestNotComplete`) before the call acts, or a 5xx (`InternalFailure`, `ServiceUnavailable`),
 * some of them after the call took effect (the response lost on the way back).
 */
export interface RandomApiErrorsFault {
  kind: 'random-api-errors';
  /** Default: every service. */
  service?: AwsService;
  /** Share of the calls that fail, 0-100. */
  percent: number;
  /** Seed of the draw. */
  seed: string | number;
  /** Share of the 5xx answers given after the call acted, 0-100. Default 0. */
  afterEffectPercent?: number;
}

/** Every fault the simulator can inject. */
export type FaultSpec =
  | UnhealthyCellFault
  | BadVersionFault
  | StuckStackUpdateFault
  | FailingStackUpdateFault
  | StackCreateFailureFault
  | ThrottlingFault
  | ServerErrorFault
  | SlowResponsesFault
  | PriorRequestNotCompleteFault
  | TrafficStuckFault
  | DataInaccessibleFault
  | IntegrityFailureFault
  | HookFailureFault
  | RouterFailureFault
  | RandomApiErrorsFault;

/** `unhealthy-cell`, `throttling`, ...: what a fault is. */
export type FaultKind = FaultSpec['kind'];
/** The spec of one kind of fault. */
export type FaultOf<K extends FaultKind> = Extract<FaultSpec, { kind: K }>;

/** The kinds, for listings and validation. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'unhealthy-cell',
  'bad-version',
  'stuck-stack-update',
  'failing-stack-update',
  'stack-create-failure',
  'throttling',
  'server-error',
  'slow-responses',
  'prior-request-not-complete',
  'traffic-stuck',
  'data-inaccessible',
  'integrity-failure',
  'hook-failure',
  'router-failure',
  'random-api-errors',
];

/** An injected fault while it is active. */
export interface ActiveFault<S extends FaultSpec = FaultSpec> {
  id: string;
  spec: S;
  injectedAt: number;
  /** Matching events still to affect, for faults with a `count`. */
  remaining?: number;
}

/** What `fleet.inject` returns. */
export interface FaultHandle {
  readonly id: string;
  readonly spec: FaultSpec;
  /** Removes the fault (a no-op once it is gone). */
  clear(): void;
  /** False once cleared or used up. */
  readonly active: boolean;
}

/** A fault once it ended, kept for the timeline. */
export interface EndedFault extends ActiveFault {
  endedAt: number;
}

/** The active faults, with the count and rate bookkeeping. */
export class FaultBook {
  private readonly active: ActiveFault[] = [];
  private readonly ended: EndedFault[] = [];
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly draws = new Map<string, Random>();
  private nextId = 1;

  add(spec: FaultSpec, now: number): ActiveFault {
    if (!FAULT_KINDS.includes(spec.kind)) throw new TypeError(`unknown fault kind ${String((spec as { kind: unknown }).kind)}`);
    if ('count' in spec && spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0)) {
      throw new RangeError(`${spec.kind}: count must be a positive integer, got ${spec.count}`);
    }
    const fault: ActiveFault = { id: `fault-${this.nextId++}`, spec: { ...spec }, injectedAt: now, remaining: 'count' in spec ? spec.count : undefined };
    this.active.push(fault);
    return fault;
  }

  /** Ends a fault; returns it, or undefined if it was not active. */
  remove(id: string, now: number): ActiveFault | undefined {
    const index = this.active.findIndex((f) => f.id === id);
    if (index < 0) return undefined;
    const [fault] = this.active.splice(index, 1);
    this.ended.push({ ...fault, endedAt: now });
    this.buckets.delete(id);
    return fault;
  }

  isActive(id: string): boolean {
    return this.active.some((f) => f.id === id);
  }

  list(): ActiveFault[] {
    return [...this.active];
  }

  /** Active and ended faults of a kind, for questions about the past (metrics). */
  history<K extends FaultKind>(kind: K): (ActiveFault<FaultOf<K>> & { endedAt?: number })[] {
    return [...this.ended, ...this.active].filter((f) => f.spec.kind === kind) as (ActiveFault<FaultOf<K>> & { endedAt?: number })[];
  }

  /** The oldest active fault of `kind` that `predicate` accepts. */
  find<K extends FaultKind>(kind: K, predicate: (spec: FaultOf<K>) => boolean = () => true): ActiveFault<FaultOf<K>> | undefined {
    return this.active.find((f) => f.spec.kind === kind && predicate(f.spec as FaultOf<K>)) as ActiveFault<FaultOf<K>> | undefined;
  }

  /** Counts one use of a counted fault, ending it when used up. */
  use(fault: ActiveFault, now: number): void {
    if (fault.remaining === undefined) return;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.remove(fault.id, now);
  }

  /** The next number in [0, 1) of the fault's own seeded sequence (`random-api-errors`). */
  draw(fault: ActiveFault<RandomApiErrorsFault>): number {
    let random = this.draws.get(fault.id);
    if (random === undefined) {
      random = new Random(`${String(fault.spec.seed)}|random-api-errors`);
      this.draws.set(fault.id, random);
    }
    return random.float();
  }

  /** A token bucket per rate-limited fault: true when a call at `now` is over the rate. */
  overRate(fault: ActiveFault<ThrottlingFault>, now: number): boolean {
    const rate = fault.spec.ratePerSecond;
    if (rate === undefined) return true;
    const bucket = this.buckets.get(fault.id) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(fault.id, bucket);
    if (bucket.tokens < 1) return true;
    bucket.tokens -= 1;
    return false;
  }
}
