/**
 * What the gateway answers. A request it understood gets 200 (202 when a procedure started) and
 * one of the outcomes below; a request it refused gets a 4xx with `{ error, message }`.
 */
import type { Severity } from '../../domain/incidents';
import type { ProcedureName } from '../../domain/procedures/progress';

export type GatewayAnswer =
  /** A procedure started for the alarm's cell. */
  | {
    outcome: 'started';
    cellId: string;
    procedure: ProcedureName;
    workflowId: string;
    runId: string;
    webUiUrl: string;
    severity: Severity;
    why: string;
    /** When alarms of other cells came within the correlation window: every cell of the incident, this one first. */
    affectedCells?: string[];
  }
  /** A recovery already runs on the cell; nothing new started. */
  | { outcome: 'already-running'; cellId: string; workflowId: string; procedure?: string }
  /** A cooldown holds: nothing starts for this cell (or across the fleet) until `until`. */
  | { outcome: 'suppressed'; cellId: string; until: string; why: string }
  /** Nothing to start: not an ALARM transition, or the decision matrix leaves it to a person. */
  | { outcome: 'not-actionable'; cellId?: string; severity?: Severity; why: string; affectedCells?: string[] }
  /** An SNS subscription confirmed, or an unsubscribe acknowledged. */
  | { outcome: 'subscription-confirmed' | 'unsubscribe-acknowledged'; topicArn: string };

export type GatewayOutcome = GatewayAnswer['outcome'];

/** Machine-readable reasons for a refused request. */
export type GatewayErrorCode =
  | 'malformed-json'
  | 'invalid-body'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'missing-signature'
  | 'bad-signature'
  | 'expired'
  | 'forbidden'
  | 'unknown-alarm'
  | 'unknown-cell'
  | 'not-found'
  | 'certificate-unavailable'
  | 'temporal-unavailable'
  | 'internal';

/** A refused request: the HTTP status, a code, and a message a person can act on (never a secret). */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: GatewayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}
