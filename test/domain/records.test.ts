import { bareHostedZoneId, normalizeRecordName, weightedGroupKey, weightedRecordKey } from '../../domain/registry/records';

describe('Route 53 record identity', () => {
  test.each([
    ['api.example.com', 'api.example.com.'],
    ['api.example.com.', 'api.example.com.'],
    ['API.Example.COM', 'api.example.com.'],
    ['Api.Example.Com.', 'api.example.com.'],
    ['\\052.example.com.', '*.example.com.'],
  ])('%s is the name %s', (name, normal) => {
    expect(normalizeRecordName(name)).toBe(normal);
  });

  test('a zone id with or without /hostedzone/ is the same zone', () => {
    expect(bareHostedZoneId('/hostedzone/Z123')).toBe('Z123');
    expect(bareHostedZoneId('Z123')).toBe('Z123');
  });

  test('records spelt differently (case, final dot, zone prefix) are one group; the type and set identifier still tell them apart', () => {
    const a = { hostedZoneId: 'Z123', recordName: 'API.example.com', recordType: 'CNAME' as const, setIdentifier: 'cell-001' };
    const b = { hostedZoneId: '/hostedzone/Z123', recordName: 'api.example.com.', recordType: 'CNAME' as const, setIdentifier: 'cell-001' };
    expect(weightedGroupKey(a)).toBe(weightedGroupKey(b));
    expect(weightedRecordKey(a)).toBe(weightedRecordKey(b));
    expect(weightedRecordKey({ ...b, setIdentifier: 'Cell-001' })).not.toBe(weightedRecordKey(a));
    expect(weightedGroupKey({ ...b, recordType: 'A' })).not.toBe(weightedGroupKey(a));
  });
});
