import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type Change,
  type ResourceRecordSet,
  type RRType,
} from '@aws-sdk/client-route-53';
import { activityInfo, heartbeat } from '@temporalio/activity';
import { bareHostedZoneId, normalizeRecordName, weightedGroupKey, weightedRecordKey } from '../domain/registry/records';
import type { WeightedRecord } from '../domain/registry/schema';
import { pause } from './aws-call';
import type { ResolvedDeps } from './deps';
import { ErrorType, activityFailure } from './errors';

/** Which weighted record: Route 53 tells the members of a group apart by set identifier. */
export type RecordRef = Pick<WeightedRecord, 'hostedZoneId' | 'recordName' | 'recordType' | 'setIdentifier'>;

export interface ReadCellWeightsInput {
  requestToken: string;
  /** The records to read, e.g. `cell.route53` of each cell of interest. */
  records: RecordRef[];
}

/** A weighted record as Route 53 holds it now. */
export interface ObservedRecord extends RecordRef {
  weight: number;
  ttl?: number;
  values: string[];
}

export interface ReadCellWeightsResult {
  /** The records found, in the order asked for. */
  records: ObservedRecord[];
  /** The records asked for that do not exist (a new cell whose record is not created yet). */
  missing: RecordRef[];
}

/** One cell's new weight. The whole record is written, so it must be complete. */
export interface WeightChange {
  record: WeightedRecord;
  /** 0-255. Route 53 splits traffic equally when every member of a group is 0. */
  weight: number;
}

export interface SetCellWeightsInput {
  requestToken: string;
  changes: WeightChange[];
}

/** One ChangeResourceRecordSets batch, sent to one hosted zone. */
export interface SubmittedChange {
  hostedZoneId: string;
  /** Route 53's change id, for {@link TrafficActivities.waitForChangesInSync}. */
  changeId: string;
  status: string;
  setIdentifiers: string[];
}

export interface SetCellWeightsResult {
  changes: SubmittedChange[];
}

export interface WaitForChangesInSyncInput {
  requestToken: string;
  /** Change ids from {@link SetCellWeightsResult}. */
  changeIds: string[];
}

export interface WaitForChangesInSyncResult {
  changeIds: string[];
  polls: number;
}

/** What `waitForChangesInSync` heartbeats, and resumes from after a retry. */
export interface ChangeSyncProgress {
  pending: string[];
  polls: number;
}

export interface RemoveCellRecordsInput {
  requestToken: string;
  /** The weighted records to take out of their groups (a decommissioned cell's). */
  records: RecordRef[];
}

export interface RemoveCellRecordsResult {
  /** Set identifiers whose records were deleted by this call. */
  removed: string[];
  /** Set identifiers that did not exist any more (removed earlier): nothing to do. */
  alreadyGone: string[];
  /** One batch per hosted zone that had something to delete; wait for them with `waitForChangesInSync`. */
  changes: SubmittedChange[];
}

/** Route 53 activities. All calls share the worker's Route 53 rate limiter. */
export interface TrafficActivities {
  /**
   * Reads the current weight of each given weighted record with ListResourceRecordSets, one
   * paginated listing per record name and type. Records that do not exist are returned in
   * `missing`, not as an error. Reads change nothing; `requestToken` is kept for uniformity.
   */
  readCellWeights(input: ReadCellWeightsInput): Promise<ReadCellWeightsResult>;
  /**
   * Sets several cells' weights with one ChangeResourceRecordSets batch per hosted zone, each
   * change an UPSERT of the full weighted record (name, type, set identifier, weight, TTL,
   * value), which Route 53 applies all-or-nothing. UPSERT makes a repeat harmless: the second
   * call writes the same records again (and gets a new change id). The record replaces what
   * Route 53 holds, so anything set outside the registry on it (a health check) is dropped.
   * Does not wait for propagation: call {@link waitForChangesInSync} with the change ids.
   */
  setCellWeights(input: SetCellWeightsInput): Promise<SetCellWeightsResult>;
  /**
   * Polls GetChange until every change is `INSYNC` (on all Route 53 name servers), heartbeating
   * the pending ids; a retried attempt resumes with the ids still pending. Runs until done or
   * cancelled: bound it with the activity's timeouts and a heartbeat timeout above the poll
   * interval.
   */
  waitForChangesInSync(input: WaitForChangesInSyncInput): Promise<WaitForChangesInSyncResult>;
  /**
   * Deletes weighted records: reads each (a DELETE must repeat the record exactly), then sends
   * one DELETE batch per hosted zone. A record already gone counts as done, so a repeat
   * succeeds without a change. A record changed between the read and the DELETE makes Route 53
   * reject the batch as a whole (`InvalidChangeBatch`, nothing deleted).
   */
  removeCellRecords(input: RemoveCellRecordsInput): Promise<RemoveCellRecordsResult>;
}

// ChangeResourceRecordSets limits per request: 100 changes (older docs), 1,000 ResourceRecord
// elements and 32,000 characters of values, both counted twice for UPSERT. Splitting a batch
// would lose its all-or-nothing property, so a larger batch is refused instead.
const MAX_CHANGES = 100;
const MAX_RECORDS = 1000;
const MAX_VALUE_CHARS = 32_000;

const zoneId = bareHostedZoneId;
const normalizeName = normalizeRecordName;
const changeId = (id: string): string => id.replace(/^\/change\//, '');
const refKey = (r: RecordRef): string => weightedRecordKey(r);

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

function validateChanges(changes: readonly WeightChange[]): void {
  if (changes.length === 0) throw activityFailure(ErrorType.ValidationFailed, 'setCellWeights needs at least one change');
  const seen = new Set<string>();
  for (const { record, weight } of changes) {
    if (!Number.isInteger(weight) || weight < 0 || weight > 255) {
      throw activityFailure(ErrorType.ValidationFailed, `weight of ${record.setIdentifier} must be an integer 0-255, got ${weight}`);
    }
    const key = refKey(record);
    if (seen.has(key)) throw activityFailure(ErrorType.ValidationFailed, `${record.setIdentifier} appears twice in one change batch`);
    seen.add(key);
  }
  for (const [zone, zoneChanges] of groupBy(changes, (c) => zoneId(c.record.hostedZoneId))) {
    const valueChars = zoneChanges.reduce((sum, c) => sum + c.record.value.length, 0);
    if (zoneChanges.length > MAX_CHANGES || 2 * zoneChanges.length > MAX_RECORDS || 2 * valueChars > MAX_VALUE_CHARS) {
      throw activityFailure(
        ErrorType.ValidationFailed,
        `${zoneChanges.length} changes (${valueChars} value characters) for hosted zone ${zone} exceed one ChangeResourceRecordSets batch`,
      );
    }
  }
}

function upsert({ record, weight }: WeightChange): Change {
  const recordSet: ResourceRecordSet = {
    Name: record.recordName,
    Type: record.recordType,
    SetIdentifier: record.setIdentifier,
    Weight: weight,
    TTL: record.ttl,
    ResourceRecords: [{ Value: record.value }],
  };
  return { Action: 'UPSERT', ResourceRecordSet: recordSet };
}

function isChangeSyncProgress(value: unknown): value is ChangeSyncProgress {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ChangeSyncProgress>;
  return Array.isArray(v.pending) && v.pending.every((id) => typeof id === 'string') && typeof v.polls === 'number';
}

/** Builds the Route 53 activities. */
export function createTrafficActivities(deps: ResolvedDeps): TrafficActivities {
  const { route53Calls, zoneMutex } = deps;
  // Route 53 is global: one client (the fleet's identity) whatever the cells' regions.
  const route53 = deps.clients.route53();

  async function readGroup(refs: RecordRef[]): Promise<Map<string, ObservedRecord>> {
    const { hostedZoneId, recordName, recordType } = refs[0];
    const wanted = new Set(refs.map((r) => r.setIdentifier));
    const name = normalizeName(recordName);
    const found = new Map<string, ObservedRecord>();
    let start: { name?: string; type?: RRType; identifier?: string } = { name: recordName, type: recordType };
    for (;;) {
      const page = await route53Calls.call({ operation: 'ListResourceRecordSets', resource: `${zoneId(hostedZoneId)} ${recordName}` }, (abortSignal) =>
        route53.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: zoneId(hostedZoneId),
            StartRecordName: start.name,
            StartRecordType: start.type,
            StartRecordIdentifier: start.identifier,
          }),
          { abortSignal },
        ),
      );
      // Listings are sorted by name then type, so the first other name or type ends the group.
      for (const set of page.ResourceRecordSets ?? []) {
        if (normalizeName(set.Name ?? '') !== name || set.Type !== recordType) return found;
        if (set.SetIdentifier === undefined || !wanted.has(set.SetIdentifier) || set.Weight === undefined) continue;
        found.set(set.SetIdentifier, {
          hostedZoneId,
          recordName,
          recordType,
          setIdentifier: set.SetIdentifier,
          weight: set.Weight,
          ttl: set.TTL,
          values: (set.ResourceRecords ?? []).map((r) => r.Value ?? ''),
        });
      }
      if (!page.IsTruncated || found.size === wanted.size) return found;
      start = { name: page.NextRecordName, type: page.NextRecordType, identifier: page.NextRecordIdentifier };
    }
  }

  async function readRecords(refs: readonly RecordRef[]): Promise<Map<string, ObservedRecord>> {
    const groups = groupBy(refs, weightedGroupKey);
    const found = new Map<string, ObservedRecord>();
    for (const group of groups.values()) {
      for (const record of (await readGroup(group)).values()) found.set(refKey(record), record);
    }
    return found;
  }

  return {
    async readCellWeights(input) {
      const found = await readRecords(input.records);
      const records: ObservedRecord[] = [];
      const missing: RecordRef[] = [];
      for (const ref of input.records) {
        const record = found.get(refKey(ref));
        if (record) records.push({ ...record, hostedZoneId: ref.hostedZoneId, recordName: ref.recordName });
        else missing.push({ hostedZoneId: ref.hostedZoneId, recordName: ref.recordName, recordType: ref.recordType, setIdentifier: ref.setIdentifier });
      }
      return { records, missing };
    },

    async setCellWeights(input) {
      validateChanges(input.changes);
      const submitted: SubmittedChange[] = [];
      for (const [zone, changes] of groupBy(input.changes, (c) => zoneId(c.record.hostedZoneId))) {
        const setIdentifiers = changes.map((c) => c.record.setIdentifier);
        const response = await zoneMutex.run(zone, () =>
          route53Calls.call({ operation: 'ChangeResourceRecordSets', resource: zone }, (abortSignal) =>
            route53.send(
              new ChangeResourceRecordSetsCommand({
                HostedZoneId: zone,
                ChangeBatch: { Comment: `cellops ${input.requestToken}`.slice(0, 256), Changes: changes.map(upsert) },
              }),
              { abortSignal },
            ),
          ),
        );
        const info = response.ChangeInfo;
        if (info?.Id === undefined) {
          throw activityFailure(ErrorType.Unexpected, `ChangeResourceRecordSets ${zone} returned no change id`);
        }
        submitted.push({ hostedZoneId: zone, changeId: changeId(info.Id), status: info.Status ?? 'PENDING', setIdentifiers });
      }
      return { changes: submitted };
    },

    async waitForChangesInSync(input) {
      const asked = input.changeIds.map(changeId);
      const saved: unknown = activityInfo().heartbeatDetails;
      // A retry continues with what the last attempt still had pending.
      const resumed = isChangeSyncProgress(saved) ? saved : undefined;
      let pending = resumed ? asked.filter((id) => resumed.pending.includes(id)) : asked;
      let polls = resumed?.polls ?? 0;
      while (pending.length > 0) {
        const stillPending: string[] = [];
        for (const id of pending) {
          const response = await route53Calls.call({ operation: 'GetChange', resource: id }, (abortSignal) =>
            route53.send(new GetChangeCommand({ Id: id }), { abortSignal }),
          );
          if (response.ChangeInfo?.Status !== 'INSYNC') stillPending.push(id);
        }
        pending = stillPending;
        polls += 1;
        heartbeat({ pending, polls } satisfies ChangeSyncProgress);
        if (pending.length > 0) await pause(deps.sleep, deps.changePollIntervalMs);
      }
      return { changeIds: asked, polls };
    },

    async removeCellRecords(input) {
      if (input.records.length === 0) throw activityFailure(ErrorType.ValidationFailed, 'removeCellRecords needs at least one record');
      const found = await readRecords(input.records);
      const present = input.records.map((ref) => found.get(refKey(ref))).filter((r): r is ObservedRecord => r !== undefined);
      const removed = present.map((r) => r.setIdentifier);
      const alreadyGone = input.records.map((r) => r.setIdentifier).filter((id) => !removed.includes(id));
      const submitted: SubmittedChange[] = [];
      for (const [zone, records] of groupBy(present, (r) => zoneId(r.hostedZoneId))) {
        const changes: Change[] = records.map((r) => ({
          Action: 'DELETE',
          ResourceRecordSet: {
            Name: r.recordName,
            Type: r.recordType,
            SetIdentifier: r.setIdentifier,
            Weight: r.weight,
            TTL: r.ttl,
            ResourceRecords: r.values.map((Value) => ({ Value })),
          },
        }));
        const response = await zoneMutex.run(zone, () =>
          route53Calls.call({ operation: 'ChangeResourceRecordSets', resource: zone }, (abortSignal) =>
            route53.send(
              new ChangeResourceRecordSetsCommand({
                HostedZoneId: zone,
                ChangeBatch: { Comment: `cellops ${input.requestToken}`.slice(0, 256), Changes: changes },
              }),
              { abortSignal },
            ),
          ),
        );
        const info = response.ChangeInfo;
        if (info?.Id === undefined) throw activityFailure(ErrorType.Unexpected, `ChangeResourceRecordSets ${zone} returned no change id`);
        submitted.push({ hostedZoneId: zone, changeId: changeId(info.Id), status: info.Status ?? 'PENDING', setIdentifiers: records.map((r) => r.setIdentifier) });
      }
      return { removed, alreadyGone, changes: submitted };
    },
  };
}
