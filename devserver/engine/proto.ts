import Long from 'long';
import { google, temporal } from '@temporalio/proto';

// Short names for the protobuf namespaces the engine uses everywhere.
export import api = temporal.api;
export import enums = temporal.api.enums.v1;
export import history = temporal.api.history.v1;
export import common = temporal.api.common.v1;
export import failure = temporal.api.failure.v1;
export import wsv = temporal.api.workflowservice.v1;
export import opsv = temporal.api.operatorservice.v1;
export import command = temporal.api.command.v1;
export import workflow = temporal.api.workflow.v1;
export import query = temporal.api.query.v1;
export import taskqueue = temporal.api.taskqueue.v1;
export import errordetails = temporal.api.errordetails.v1;
export import sdk = temporal.api.sdk.v1;
export import pb = google.protobuf;

/** An int64 proto field value from a JS number. */
export function i64(n: number): Long {
  return Long.fromNumber(n);
}

/** A JS number from an int64 field as protobufjs decodes it (Long, number or absent). */
export function num(value: Long | number | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

/** A google.protobuf.Timestamp for epoch milliseconds. */
export function timestamp(ms: number): pb.ITimestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: i64(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Epoch milliseconds of a Timestamp, or 0 when absent. */
export function timestampMs(ts: pb.ITimestamp | null | undefined): number {
  if (!ts) return 0;
  return num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** A google.protobuf.Duration for milliseconds. */
export function duration(ms: number): pb.IDuration {
  const seconds = Math.floor(ms / 1000);
  return { seconds: i64(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Milliseconds of a Duration; 0 when absent (which Temporal reads as "unset"). */
export function durationMs(d: pb.IDuration | null | undefined): number {
  if (!d) return 0;
  return num(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/** Human name of an enum value, for messages ("EVENT_TYPE_TIMER_FIRED"). */
export function enumName(enumObject: Record<string, string | number>, value: number): string {
  const name = (enumObject as Record<number, string | undefined>)[value];
  return name ?? String(value);
}
