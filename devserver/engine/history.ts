import type { EngineContext, Txn } from './context';
import type { EncodedEventSlice } from './encoded';
import { enums, history, i64, timestamp } from './proto';
import type { EventLog, ExecutionState, PendingEvent } from './types';

const EventType = enums.EventType;

/** An empty event log. */
export function newEventLog(): EventLog {
  return { encoded: [], sizeBytes: 0, lastEventType: 0 };
}

/** A history event of `type` with its attributes, timestamped now; its id is assigned on append. */
export function makeEvent(
  ctx: EngineContext,
  type: enums.EventType,
  attributes: Omit<history.IHistoryEvent, 'eventId' | 'eventTime' | 'eventType' | 'taskId'>,
): PendingEvent {
  return { event: { eventTime: timestamp(ctx.clock.now()), eventType: type, ...attributes } };
}

/** Points a terminal activity event at the ActivityTaskStarted event written just before it. */
function setStartedEventId(event: history.IHistoryEvent, startedEventId: number): void {
  const id = i64(startedEventId);
  const attrs =
    event.activityTaskCompletedEventAttributes ??
    event.activityTaskFailedEventAttributes ??
    event.activityTaskTimedOutEventAttributes ??
    event.activityTaskCanceledEventAttributes;
  if (attrs) attrs.startedEventId = id;
}

/**
 * Appends events to the run's history: assigns ids and task ids, encodes each event once and
 * keeps the bytes, so serving history never re-encodes. Returns the id of the last event.
 */
export function appendEvents(ctx: EngineContext, exec: ExecutionState, pending: PendingEvent[], txn: Txn): number {
  const log = exec.log;
  for (const item of pending) {
    const event = item.event;
    const id = exec.nextEventId++;
    event.eventId = i64(id);
    event.taskId = i64(ctx.nextTaskId());
    if (item.startedIsPrevious) setStartedEventId(event, id - 1);
    // A right-sized copy: protobufjs writes into Node's shared pool, and a retained slice of it
    // would keep a whole pool slab alive.
    const bytes = new Uint8Array(history.HistoryEvent.encode(event).finish());
    log.encoded.push(bytes);
    log.sizeBytes += bytes.length;
    log.lastEventType = event.eventType ?? 0;
  }
  exec.stateTransitionCount++;
  txn.touched.add(exec);
  return exec.nextEventId - 1;
}

/** Appends one event and returns its id. */
export function appendEvent(ctx: EngineContext, exec: ExecutionState, pending: PendingEvent, txn: Txn): number {
  return appendEvents(ctx, exec, [pending], txn);
}

/** Moves events buffered during a workflow task into history; returns whether there were any. */
export function flushBuffered(ctx: EngineContext, exec: ExecutionState, txn: Txn): boolean {
  if (exec.buffered.length === 0) return false;
  const buffered = exec.buffered;
  exec.buffered = [];
  appendEvents(ctx, exec, buffered, txn);
  return true;
}

/** The event types that close a run. */
export const CLOSE_EVENT_TYPES: ReadonlySet<number> = new Set([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/**
 * Encodes a `History` message field from pre-encoded events, for splicing into a response:
 * `tag(field) len [tag(events) len event]...`. Protobuf allows a message's fields in any order,
 * so the result can simply be appended to the rest of the encoded response.
 */
export function encodeHistoryField(fieldNumber: number, slices: readonly EncodedEventSlice[]): Buffer {
  let inner = 0;
  for (const { events, start, end } of slices) {
    for (let i = start; i < end; i++) inner += 1 + varintSize(events[i].length) + events[i].length;
  }
  const tag = (fieldNumber << 3) | 2;
  const out = Buffer.allocUnsafe(varintSize(tag) + varintSize(inner) + inner);
  let pos = writeVarint(out, 0, tag);
  pos = writeVarint(out, pos, inner);
  for (const { events, start, end } of slices) {
    for (let i = start; i < end; i++) {
      const e = events[i];
      out[pos++] = 0x0a; // History.events = 1, length-delimited
      pos = writeVarint(out, pos, e.length);
      out.set(e, pos);
      pos += e.length;
    }
  }
  return out;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** The run's WorkflowExecutionStarted attributes (event 1): what retries and continue-as-new carry over. */
export function startedAttributes(exec: ExecutionState): history.IWorkflowExecutionStartedEventAttributes {
  const first = exec.log.encoded[0];
  return first ? (history.HistoryEvent.decode(first).workflowExecutionStartedEventAttributes ?? {}) : {};
}
