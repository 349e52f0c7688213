/**
 * How Route 53 identifies a weighted record: names are case-insensitive and fully qualified (a
 * final dot or none is the same name), Route 53 answers with special characters as `\ooo` octal
 * escapes, and a hosted zone id may carry the `/hostedzone/` prefix. Every comparison of
 * records (registry checks, workflows finding a cell's group, activities matching listings)
 * goes through these.
 */
import type { WeightedRecord } from './schema';

/** `API.Example.com` and `api.example.com.` alike give `api.example.com.`; `\052` becomes `*`. */
export function normalizeRecordName(name: string): string {
  const unescaped = name.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return unescaped.toLowerCase().replace(/\.?$/, '.');
}

/** `Z123` for `/hostedzone/Z123` or `Z123`. */
export function bareHostedZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

/** The weighted group a record belongs to: hosted zone, name and type. */
export function weightedGroupKey(record: Pick<WeightedRecord, 'hostedZoneId' | 'recordName' | 'recordType'>): string {
  return [bareHostedZoneId(record.hostedZoneId), normalizeRecordName(record.recordName), record.recordType].join('|');
}

/** One member of a weighted group: its group and its set identifier (which Route 53 compares exactly). */
export function weightedRecordKey(record: Pick<WeightedRecord, 'hostedZoneId' | 'recordName' | 'recordType' | 'setIdentifier'>): string {
  return `${weightedGroupKey(record)}|${record.setIdentifier}`;
}
