/** The simulated AWS services, named as in their SDK packages. */
export type AwsService = 'cloudformation' | 'route53' | 'cloudwatch';
/** `hooks` records the application hook calls of `createSimulatedHooks`. */
export type RecordedService = AwsService | 'hooks';

/** One call as the simulator saw it. */
export interface RecordedCall {
  /** Position in the log, from 1. */
  seq: number;
  service: RecordedService;
  /** The API operation (`UpdateStack`, `ChangeResourceRecordSets`) or hook name. */
  command: string;
  /** A copy of the request input. */
  input: unknown;
  /** When the call arrived, in ms of the fleet's clock. */
  at: number;
  /** How long it took, in ms of the fleet's clock (slow-responses faults). */
  durationMs: number;
  /** `ok`, or the name of the error returned (`Throttling`, `ValidationError`, `AbortError`...). */
  outcome: string;
  /** The AWS request id returned (in `$metadata` or on the error); none for hooks. */
  requestId?: string;
  /** Hooks only: an earlier call with the same request token answered this one. */
  replayed?: boolean;
  /** An error returned after the call acted (a `random-api-errors` 5xx whose response was lost). */
  tookEffect?: boolean;
}

/** Which calls to count or list. A function filter sees every call. */
export type CallFilter =
  | {
      service?: RecordedService;
      command?: string;
      /** `ok`, `error` (anything but ok), or one error name. */
      outcome?: string;
    }
  | ((call: RecordedCall) => boolean);

function matches(call: RecordedCall, filter: CallFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'function') return filter(call);
  if (filter.service !== undefined && call.service !== filter.service) return false;
  if (filter.command !== undefined && call.command !== filter.command.replace(/Command$/, '')) return false;
  if (filter.outcome === 'error') return call.outcome !== 'ok';
  return filter.outcome === undefined || call.outcome === filter.outcome;
}

/** Copies an input so later mutation by the caller cannot change the record. */
function copyInput(input: unknown): unknown {
  try {
    return structuredClone(input);
  } catch {
    return input;
  }
}

/** Every call made to the simulated clients (and hooks), in arrival order. */
export class CallLog {
  private readonly calls: RecordedCall[] = [];

  /** Starts a record; the returned function completes it with the outcome. */
  begin(service: RecordedService, command: string, input: unknown, at: number): (outcome: Pick<RecordedCall, 'outcome' | 'requestId' | 'replayed' | 'tookEffect'>, endedAt: number) => RecordedCall {
    const call: RecordedCall = { seq: this.calls.length + 1, service, command, input: copyInput(input), at, durationMs: 0, outcome: 'pending' };
    this.calls.push(call);
    return (outcome, endedAt) => Object.assign(call, outcome, { durationMs: endedAt - at });
  }

  /** The calls matching `filter`, oldest first. */
  list(filter?: CallFilter): RecordedCall[] {
    return this.calls.filter((call) => matches(call, filter));
  }

  count(filter?: CallFilter): number {
    return this.list(filter).length;
  }

  /** The newest call matching `filter`. */
  last(filter?: CallFilter): RecordedCall | undefined {
    const found = this.list(filter);
    return found[found.length - 1];
  }

  /** Counts by `service.command outcome`, sorted by key: a compact, comparable summary. */
  summary(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.calls) {
      const key = `${call.service}.${call.command} ${call.outcome}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Forgets every call so far (for a test that counts only what follows). */
  clear(): void {
    this.calls.length = 0;
  }
}
