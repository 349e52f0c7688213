import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { fail } from '../aws-errors';
import type { Random } from '../random';

/** A hosted zone id without the `/hostedzone/` prefix. */
export const bareZoneId = (id: string): string => id.replace(/^\/hostedzone\//, '');
/** A change id without the `/change/` prefix. */
export const bareChangeId = (id: string): string => id.replace(/^\/change\//, '');

/** Route 53 stores names in lower case, fully qualified, with `*` and other specials as octal escapes. */
export function normalizeName(name: string): string {
  const unescaped = name.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  const lower = unescaped.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** What identifies a record: name, type and, for weighted and other routed records, the set identifier. */
export interface RecordKey {
  zoneId: string;
  name: string;
  type: string;
  setIdentifier?: string;
}

/** The weighted group a record belongs to: zone, name and type. */
export const groupKeyOf = (k: Pick<RecordKey, 'zoneId' | 'name' | 'type'>): string => `${bareZoneId(k.zoneId)}|${normalizeName(k.name)}|${k.type}`;

/** A hosted zone: its apex NS and SOA records and everything changed into it. */
export interface SimZone {
  id: string;
  name: string;
  callerReference: string;
  nameServers: string[];
  records: ResourceRecordSet[];
}

/** A change batch Route 53 accepted: PENDING until `insyncAt`, INSYNC after. */
export interface SimChange {
  id: string;
  zoneId: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

/** Route 53's listing order: names with their labels reversed, then type, then set identifier. */
function sortKey(record: ResourceRecordSet): [string, string, string] {
  const name = normalizeName(record.Name ?? '')
    .replace(/\.$/, '')
    .split('.')
    .reverse()
    .join('.');
  return [name, record.Type ?? '', record.SetIdentifier ?? ''];
}

/** Orders records as ListResourceRecordSets lists them. */
export function compareRecords(a: ResourceRecordSet, b: ResourceRecordSet): number {
  const [ka, kb] = [sortKey(a), sortKey(b)];
  for (let i = 0; i < 3; i += 1) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  }
  return 0;
}

const describe = (r: ResourceRecordSet): string =>
  `[name='${normalizeName(r.Name ?? '')}', type='${r.Type ?? ''}'${r.SetIdentifier === undefined ? '' : `, set-identifier='${r.SetIdentifier}'`}]`;

const sameRecord = (a: ResourceRecordSet, b: ResourceRecordSet): boolean =>
  normalizeName(a.Name ?? '') === normalizeName(b.Name ?? '') && a.Type === b.Type && (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '');

/** The fields a DELETE must repeat exactly. */
function valuesOf(r: ResourceRecordSet): string {
  return JSON.stringify({
    TTL: r.TTL,
    Weight: r.Weight,
    Values: (r.ResourceRecords ?? []).map((v) => v.Value),
    AliasTarget: r.AliasTarget,
    HealthCheckId: r.HealthCheckId,
  });
}

const MAX_WEIGHTED_PER_GROUP = 100;

/** The simulated Route 53: hosted zones, their records, and changes that go PENDING then INSYNC. */
export class ZoneStore {
  private readonly zones = new Map<string, SimZone>();
  private readonly changes = new Map<string, SimChange>();

  constructor(private readonly options: { random: Random; propagationMs: () => number }) {}

  zone(id: string): SimZone | undefined {
    return this.zones.get(bareZoneId(id));
  }

  allZones(): SimZone[] {
    return [...this.zones.values()];
  }

  /** The zone, or `NoSuchHostedZone` as Route 53 words it. */
  requireZone(id: string): SimZone {
    const zone = this.zone(id);
    if (zone === undefined) fail('NoSuchHostedZone', `No hosted zone found with ID: ${bareZoneId(id)}`);
    return zone;
  }

  /** Adds a zone named `name` with its apex NS and SOA records. */
  addZone(id: string, name: string): SimZone {
    const { random } = this.options;
    const zoneName = normalizeName(name);
    const n = random.float();
    const nameServers = [`ns-${Math.floor(n * 512)}.awsdns-${Math.floor(n * 64)}.com.`, `ns-${1024 + Math.floor(n * 512)}.awsdns-${Math.floor(n * 64)}.org.`];
    const zone: SimZone = {
      id: bareZoneId(id),
      name: zoneName,
      callerReference: `cellops-simulator-${bareZoneId(id)}`,
      nameServers,
      records: [
        { Name: zoneName, Type: 'NS', TTL: 172800, ResourceRecords: nameServers.map((Value) => ({ Value })) },
        { Name: zoneName, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: `${nameServers[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` }] },
      ],
    };
    this.zones.set(zone.id, zone);
    return zone;
  }

  /** The records of a zone in Route 53's listing order. */
  records(zoneId: string): ResourceRecordSet[] {
    return [...(this.zone(zoneId)?.records ?? [])].sort(compareRecords);
  }

  /** Every weighted record of a group (zone, name, type). */
  group(zoneId: string, name: string, type: string): ResourceRecordSet[] {
    const key = groupKeyOf({ zoneId, name, type });
    return (this.zone(zoneId)?.records ?? []).filter((r) => r.Weight !== undefined && groupKeyOf({ zoneId, name: r.Name ?? '', type: r.Type ?? '' }) === key);
  }

  change(id: string): SimChange | undefined {
    return this.changes.get(bareChangeId(id));
  }

  allChanges(): SimChange[] {
    return [...this.changes.values()];
  }

  /**
   * Validates a change batch and applies all of it or none of it (`InvalidInput` for malformed
   * records, `InvalidChangeBatch` listing every rejected change). Returns the change, PENDING.
   */
  apply(zoneId: string, changes: readonly Change[], comment: string | undefined, now: number): SimChange {
    const zone = this.requireZone(zoneId);
    if (changes.length === 0) fail('InvalidInput', '1 validation error detected: Value null at \'changeBatch.changes\' failed to satisfy constraint: Member must not be null');
    changes.forEach((change, index) => validateShape(change, index + 1));
    const working = zone.records.map((r) => ({ ...r }));
    const problems: string[] = [];
    for (const change of changes) {
      const record = { ...change.ResourceRecordSet, Name: normalizeName(change.ResourceRecordSet?.Name ?? '') } as ResourceRecordSet;
      const name = record.Name ?? '';
      if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
        problems.push(`RRSet with DNS name ${name} is not permitted in zone ${zone.name}`);
        continue;
      }
      const index = working.findIndex((r) => sameRecord(r, record));
      if (change.Action === 'CREATE' && index >= 0) {
        problems.push(`Tried to create resource record set ${describe(record)} but it already exists`);
      } else if (change.Action === 'DELETE' && index < 0) {
        problems.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
      } else if (change.Action === 'DELETE' && valuesOf(working[index]) !== valuesOf(record)) {
        problems.push(`Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`);
      } else if (change.Action === 'DELETE') {
        working.splice(index, 1);
      } else {
        const conflict = working.find((r) => normalizeName(r.Name ?? '') === name && (r.Type === 'CNAME') !== (record.Type === 'CNAME') && r.Type !== 'NS' && r.Type !== 'SOA');
        if (conflict !== undefined) {
          problems.push(`RRSet of type ${record.Type ?? ''} with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`);
          continue;
        }
        const routed = working.find((r) => normalizeName(r.Name ?? '') === name && r.Type === record.Type && !sameRecord(r, record));
        if (routed !== undefined && (routed.SetIdentifier === undefined) !== (record.SetIdentifier === undefined)) {
          problems.push(`RRSet with DNS name ${name}, type ${record.Type ?? ''}${record.SetIdentifier === undefined ? '' : ` and SetIdentifier ${record.SetIdentifier}`} cannot be created as a non-weighted set exists with the same name and type.`);
          continue;
        }
        if (index >= 0) working[index] = record;
        else working.push(record);
        const weighted = working.filter((r) => r.Weight !== undefined && normalizeName(r.Name ?? '') === name && r.Type === record.Type);
        if (weighted.length > MAX_WEIGHTED_PER_GROUP) problems.push(`Too many weighted resource record sets for ${name} ${record.Type ?? ''}: the limit is ${MAX_WEIGHTED_PER_GROUP}`);
      }
    }
    if (problems.length > 0) fail('InvalidChangeBatch', `[${problems.join(', ')}]`, { messages: problems });
    zone.records = working;
    const id = `C${this.options.random.upperAlphanumeric(13)}`;
    const change: SimChange = { id, zoneId: zone.id, submittedAt: now, insyncAt: now + this.options.propagationMs(), comment };
    this.changes.set(id, change);
    return change;
  }
}

/** Checks one change the way Route 53's input validation does, before any semantics. */
function validateShape(change: Change, position: number): void {
  const r = change.ResourceRecordSet;
  const where = `changeBatch.changes.${position}.member`;
  if (r === undefined || r.Name === undefined || r.Type === undefined) {
    fail('InvalidInput', `1 validation error detected: Value null at '${where}.resourceRecordSet' failed to satisfy constraint: Member must not be null`);
  }
  if (!['CREATE', 'DELETE', 'UPSERT'].includes(change.Action ?? '')) {
    fail('InvalidInput', `1 validation error detected: Value '${String(change.Action)}' at '${where}.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]`);
  }
  if (r.Weight !== undefined && !(Number.isInteger(r.Weight) && r.Weight >= 0 && r.Weight <= 255)) {
    const bound = r.Weight < 0 ? 'greater than or equal to 0' : 'less than or equal to 255';
    fail('InvalidInput', `1 validation error detected: Value '${r.Weight}' at '${where}.resourceRecordSet.weight' failed to satisfy constraint: Member must have value ${bound}`);
  }
  const described = `[Action=${String(change.Action)}, Name=${normalizeName(r.Name)}, Type=${r.Type}${r.SetIdentifier === undefined ? '' : `, SetIdentifier=${r.SetIdentifier}`}]`;
  if (r.Weight !== undefined && r.SetIdentifier === undefined) {
    fail('InvalidInput', `Invalid request: Missing field 'SetIdentifier' in Change with ${described}`);
  }
  if (r.SetIdentifier !== undefined && r.Weight === undefined && r.Region === undefined && r.Failover === undefined && r.GeoLocation === undefined && r.MultiValueAnswer === undefined && r.CidrRoutingConfig === undefined && r.GeoProximityLocation === undefined) {
    fail('InvalidInput', `Invalid request: Missing field 'Weight' in Change with ${described}`);
  }
  const hasRecords = r.ResourceRecords !== undefined && r.ResourceRecords.length > 0 && r.TTL !== undefined;
  const targets = [r.AliasTarget !== undefined, hasRecords, r.TrafficPolicyInstanceId !== undefined].filter(Boolean).length;
  if (targets !== 1) {
    fail('InvalidInput', `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${targets === 0 ? 'none' : 'more than one'} in Change with ${described}`);
  }
  if (r.Type === 'CNAME' && (r.ResourceRecords?.length ?? 0) > 1) {
    fail('InvalidChangeBatch', `[RRSet of type CNAME with DNS name ${normalizeName(r.Name)} is not permitted to have more than one resource record]`, {
      messages: [`RRSet of type CNAME with DNS name ${normalizeName(r.Name)} is not permitted to have more than one resource record`],
    });
  }
}
