/**
 * Live fleet values read with AWS SDK v3 clients: the real services, or the simulated fleet's
 * clients (in process, or over the simulator's bridge). Reads only.
 */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ListResourceRecordSetsCommand, type Route53Client, type RRType } from '@aws-sdk/client-route-53';
import type { AlarmReading, FleetReader, RecordRef } from './fleet';

const zoneId = (id: string): string => id.replace(/^\/hostedzone\//, '');
const normalizeName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** DescribeAlarms takes at most 100 names per call. */
const ALARM_NAMES_PER_CALL = 100;

/**
 * A reader over `route53` and the CloudWatch client of each region (`cloudWatch` itself when
 * one client serves every region, as the simulated fleet's does); `source` names them in messages.
 */
export function createAwsFleetReader(clients: { route53: Route53Client; cloudWatch: CloudWatchClient | ((region: string) => CloudWatchClient) }, source: string): FleetReader {
  const cloudWatchIn = (region: string): CloudWatchClient => (typeof clients.cloudWatch === 'function' ? clients.cloudWatch(region) : clients.cloudWatch);
  return {
    source,
    async readWeights(records) {
      const groups = new Map<string, RecordRef[]>();
      for (const r of records) {
        const key = [zoneId(r.hostedZoneId), normalizeName(r.recordName), r.recordType].join('|');
        groups.set(key, [...(groups.get(key) ?? []), r]);
      }
      const weights = new Map<string, number>();
      for (const group of groups.values()) {
        const { hostedZoneId, recordName, recordType } = group[0];
        const wanted = new Set(group.map((r) => r.setIdentifier));
        let start: { name?: string; type?: RRType; identifier?: string } = { name: recordName, type: recordType };
        for (let more = true; more; ) {
          const page = await clients.route53.send(
            new ListResourceRecordSetsCommand({ HostedZoneId: zoneId(hostedZoneId), StartRecordName: start.name, StartRecordType: start.type, StartRecordIdentifier: start.identifier }),
          );
          more = Boolean(page.IsTruncated);
          // Listings are sorted by name then type: the first other name or type ends the group.
          for (const set of page.ResourceRecordSets ?? []) {
            if (normalizeName(set.Name ?? '') !== normalizeName(recordName) || set.Type !== recordType) {
              more = false;
              break;
            }
            if (set.SetIdentifier !== undefined && wanted.has(set.SetIdentifier) && set.Weight !== undefined) weights.set(set.SetIdentifier, set.Weight);
          }
          start = { name: page.NextRecordName, type: page.NextRecordType, identifier: page.NextRecordIdentifier };
        }
      }
      return weights;
    },
    async readAlarms(names, region) {
      const cloudWatch = cloudWatchIn(region);
      const found = new Map<string, AlarmReading>();
      for (let i = 0; i < names.length; i += ALARM_NAMES_PER_CALL) {
        const batch = names.slice(i, i + ALARM_NAMES_PER_CALL);
        let nextToken: string | undefined;
        do {
          const page = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }));
          for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
            if (alarm.AlarmName) found.set(alarm.AlarmName, { name: alarm.AlarmName, state: alarm.StateValue ?? 'INSUFFICIENT_DATA' });
          }
          nextToken = page.NextToken;
        } while (nextToken);
      }
      return names.map((name) => found.get(name) ?? { name, state: 'MISSING' });
    },
  };
}
