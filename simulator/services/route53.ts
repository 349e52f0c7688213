import type {
  ChangeInfo,
  ChangeResourceRecordSetsRequest,
  GetChangeRequest,
  GetHostedZoneRequest,
  HostedZone,
  ListHostedZonesByNameRequest,
  ListHostedZonesRequest,
  ListResourceRecordSetsRequest,
  ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { fail } from '../aws-errors';
import type { FleetModel } from '../model/fleet-model';
import { bareChangeId, bareZoneId, compareRecords, groupKeyOf, normalizeName, type SimChange, type SimZone } from '../model/zones';
import { operation, type ServiceHandlers } from './handler';

const DEFAULT_MAX_ITEMS = 300;

function changeInfo(change: SimChange, now: number): ChangeInfo {
  return {
    Id: `/change/${change.id}`,
    Status: now >= change.insyncAt ? 'INSYNC' : 'PENDING',
    SubmittedAt: new Date(change.submittedAt),
    Comment: change.comment,
  };
}

function hostedZone(zone: SimZone): HostedZone {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: zone.callerReference,
    Config: { PrivateZone: false },
    ResourceRecordSetCount: zone.records.length,
  };
}

function maxItems(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_ITEMS;
  if (!(Number.isInteger(value) && value > 0)) fail('InvalidInput', `1 validation error detected: Value '${value}' at 'maxItems' failed to satisfy constraint: Member must be a positive integer`);
  return Math.min(value, 1000);
}

/**
 * The simulated Route 53 API: transactional change batches (CREATE/DELETE/UPSERT with
 * `InvalidChangeBatch` naming each rejected change), weights 0-255, changes PENDING then INSYNC,
 * listings in Route 53's order with pagination, and `PriorRequestNotComplete` when faulted.
 */
export function route53Handlers(model: FleetModel): ServiceHandlers {
  const { zones } = model;
  return {
    ChangeResourceRecordSets: operation<ChangeResourceRecordSetsRequest>((input) => {
      const zoneId = bareZoneId(input.HostedZoneId ?? '');
      const zone = zones.requireZone(zoneId);
      const busy = model.fault('prior-request-not-complete', (spec) => spec.hostedZoneId === undefined || bareZoneId(spec.hostedZoneId) === zone.id);
      if (busy !== undefined) {
        model.useFault(busy);
        fail('PriorRequestNotComplete', 'The request was rejected because Route 53 was still processing a prior request.');
      }
      const changes = input.ChangeBatch?.Changes ?? [];
      const change = zones.apply(zone.id, changes, input.ChangeBatch?.Comment, model.now());
      const groups = new Set(changes.map((c) => groupKeyOf({ zoneId: zone.id, name: c.ResourceRecordSet?.Name ?? '', type: c.ResourceRecordSet?.Type ?? '' })));
      model.recordsChanged(groups, change.insyncAt);
      // Route 53 always answers PENDING; GetChange tells when it is in sync.
      return { ChangeInfo: { ...changeInfo(change, model.now()), Status: 'PENDING' } };
    }),

    GetChange: operation<GetChangeRequest>((input) => {
      const change = zones.change(bareChangeId(input.Id ?? ''));
      if (change === undefined) fail('NoSuchChange', `A change with the specified change ID does not exist: ${bareChangeId(input.Id ?? '')}`);
      return { ChangeInfo: changeInfo(change, model.now()) };
    }),

    ListResourceRecordSets: operation<ListResourceRecordSetsRequest>((input) => {
      const zone = zones.requireZone(input.HostedZoneId ?? '');
      if (input.StartRecordType !== undefined && input.StartRecordName === undefined) {
        fail('InvalidInput', 'The input is not valid: StartRecordType requires StartRecordName');
      }
      if (input.StartRecordIdentifier !== undefined && input.StartRecordType === undefined) {
        fail('InvalidInput', 'The input is not valid: StartRecordIdentifier requires StartRecordType');
      }
      const limit = maxItems(input.MaxItems);
      const records = zones.records(zone.id);
      const start: ResourceRecordSet | undefined =
        input.StartRecordName === undefined
          ? undefined
          : { Name: normalizeName(input.StartRecordName), Type: input.StartRecordType ?? ('' as ResourceRecordSet['Type']), SetIdentifier: input.StartRecordIdentifier ?? '' };
      const from = start === undefined ? 0 : records.findIndex((r) => compareRecords(r, start) >= 0);
      const page = from < 0 ? [] : records.slice(from, from + limit);
      const next = from < 0 ? undefined : records[from + limit];
      return {
        ResourceRecordSets: page.map((r) => structuredClone(r)),
        IsTruncated: next !== undefined,
        MaxItems: limit,
        NextRecordName: next?.Name,
        NextRecordType: next?.Type,
        NextRecordIdentifier: next?.SetIdentifier,
      };
    }),

    GetHostedZone: operation<GetHostedZoneRequest>((input) => {
      const zone = zones.requireZone(input.Id ?? '');
      return { HostedZone: hostedZone(zone), DelegationSet: { NameServers: zone.nameServers.map((n) => n.replace(/\.$/, '')) } };
    }),

    ListHostedZones: operation<ListHostedZonesRequest>((input) => {
      const all = zones.allZones().sort((a, b) => a.id.localeCompare(b.id));
      const from = input.Marker === undefined ? 0 : Math.max(0, all.findIndex((z) => z.id === input.Marker));
      const limit = maxItems(input.MaxItems);
      const next = all[from + limit];
      return { HostedZones: all.slice(from, from + limit).map(hostedZone), IsTruncated: next !== undefined, NextMarker: next?.id, MaxItems: limit, Marker: input.Marker };
    }),

    ListHostedZonesByName: operation<ListHostedZonesByNameRequest>((input) => {
      const reversed = (name: string) => normalizeName(name).replace(/\.$/, '').split('.').reverse().join('.');
      const all = zones.allZones().sort((a, b) => reversed(a.name).localeCompare(reversed(b.name)));
      const from = input.DNSName === undefined ? 0 : Math.max(0, all.findIndex((z) => reversed(z.name) >= reversed(input.DNSName ?? '')));
      const limit = maxItems(input.MaxItems);
      const next = all[from + limit];
      return {
        HostedZones: all.slice(from, from + limit).map(hostedZone),
        DNSName: input.DNSName,
        IsTruncated: next !== undefined,
        NextDNSName: next?.name,
        NextHostedZoneId: next === undefined ? undefined : `/hostedzone/${next.id}`,
        MaxItems: limit,
      };
    }),
  };
}
