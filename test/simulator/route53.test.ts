import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHostedZone,
  Route53ServiceException,
  type Change,
} from '@aws-sdk/client-route-53';
import { cellRecord, errorOf, simulate, ZONE } from './helpers';

const change = (...changes: Change[]) => new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: changes } });
const upsert = (setIdentifier: string, weight: number): Change => ({ Action: 'UPSERT', ResourceRecordSet: cellRecord(setIdentifier, weight) });

describe('ChangeResourceRecordSets', () => {
  test('UPSERT updates an existing weighted record and creates a missing one; repeating it is harmless', async () => {
    const { clients, fleet } = simulate();
    await clients.route53.send(change(upsert('cell-001', 50), upsert('cell-009', 10)));
    await clients.route53.send(change(upsert('cell-001', 50), upsert('cell-009', 10)));
    const records = fleet.records().filter((r) => r.name === 'cells.shop.example.com.');
    expect(records.map((r) => [r.setIdentifier, r.weight])).toEqual([
      ['cell-001', 50],
      ['cell-002', 100],
      ['cell-003', 100],
      ['cell-009', 10],
    ]);
  });

  test('CREATE of an existing record and DELETE of a missing one are InvalidChangeBatch naming each, and nothing is applied', async () => {
    const { clients, fleet } = simulate();
    const before = fleet.records();
    const err = await errorOf(
      clients.route53.send(
        change(upsert('cell-002', 0), { Action: 'CREATE', ResourceRecordSet: cellRecord('cell-001', 100) }, { Action: 'DELETE', ResourceRecordSet: cellRecord('cell-404', 1) }),
      ),
    );
    expect(err).toBeInstanceOf(InvalidChangeBatch);
    expect(err.$fault).toBe('client');
    expect(err.messages).toEqual([
      "Tried to create resource record set [name='cells.shop.example.com.', type='CNAME', set-identifier='cell-001'] but it already exists",
      "Tried to delete resource record set [name='cells.shop.example.com.', type='CNAME', set-identifier='cell-404'] but it was not found",
    ]);
    expect(err.message).toBe(`[${(err.messages as string[]).join(', ')}]`);
    // All or nothing: the valid UPSERT in the batch was not applied either.
    expect(fleet.records()).toEqual(before);
  });

  test('DELETE must repeat the current values; CREATE of a new record works', async () => {
    const { clients, fleet } = simulate();
    const mismatch = await errorOf(clients.route53.send(change({ Action: 'DELETE', ResourceRecordSet: cellRecord('cell-003', 5) })));
    expect(mismatch.messages).toEqual([
      "Tried to delete resource record set [name='cells.shop.example.com.', type='CNAME', set-identifier='cell-003'] but the values provided do not match the current values",
    ]);
    await clients.route53.send(change({ Action: 'DELETE', ResourceRecordSet: cellRecord('cell-003', 100) }, { Action: 'CREATE', ResourceRecordSet: cellRecord('cell-007', 1) }));
    expect(fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-007': 1 });
  });

  test('weights outside 0-255 and weighted records without a set identifier are InvalidInput', async () => {
    const { clients } = simulate();
    const tooHeavy = await errorOf(clients.route53.send(change(upsert('cell-001', 256))));
    expect(tooHeavy).toBeInstanceOf(InvalidInput);
    expect(tooHeavy.message).toMatch(/Value '256' at 'changeBatch\.changes\.1\.member\.resourceRecordSet\.weight' failed to satisfy constraint/);
    const { SetIdentifier: _, ...anonymous } = cellRecord('x', 1);
    const missingId = await errorOf(clients.route53.send(change({ Action: 'UPSERT', ResourceRecordSet: anonymous })));
    expect(missingId.name).toBe('InvalidInput');
  });

  test('an unknown hosted zone is NoSuchHostedZone (404)', async () => {
    const { clients } = simulate();
    const err = await errorOf(clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: '/hostedzone/ZNOPE', ChangeBatch: { Changes: [upsert('cell-001', 1)] } })));
    expect(err).toBeInstanceOf(NoSuchHostedZone);
    expect(err).toBeInstanceOf(Route53ServiceException);
    expect([err.message, (err.$metadata as { httpStatusCode: number }).httpStatusCode]).toEqual(['No hosted zone found with ID: ZNOPE', 404]);
  });
});

describe('GetChange', () => {
  test('is PENDING until the propagation delay has passed, then INSYNC; the id works with or without /change/', async () => {
    const { clients, clock } = simulate({ timing: { changePropagationMs: 500 } });
    const submitted = await clients.route53.send(change(upsert('cell-001', 0)));
    const id = submitted.ChangeInfo?.Id ?? '';
    expect(submitted.ChangeInfo?.Status).toBe('PENDING');
    expect(id).toMatch(/^\/change\/C[A-Z0-9]{13}$/);
    clock.advance(499);
    expect((await clients.route53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status).toBe('PENDING');
    clock.advance(1);
    expect((await clients.route53.send(new GetChangeCommand({ Id: id.replace('/change/', '') }))).ChangeInfo?.Status).toBe('INSYNC');
  });

  test('of an unknown id is NoSuchChange', async () => {
    const { clients } = simulate();
    expect(await errorOf(clients.route53.send(new GetChangeCommand({ Id: 'CNOPE' })))).toBeInstanceOf(NoSuchChange);
  });
});

describe('ListResourceRecordSets', () => {
  test('lists in Route 53 order (labels reversed, then type, then set identifier) with pagination from a start record', async () => {
    const { clients } = simulate();
    const first = await clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE, MaxItems: 4 }));
    expect(first.ResourceRecordSets?.map((r) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? ''}`)).toEqual([
      'shop.example.com. NS ',
      'shop.example.com. SOA ',
      'api.shop.example.com. CNAME router-fallback',
      'api.shop.example.com. CNAME router-primary',
    ]);
    expect([first.IsTruncated, first.NextRecordName, first.NextRecordType, first.NextRecordIdentifier]).toEqual([true, 'cells.shop.example.com.', 'CNAME', 'cell-001']);
    const rest = await clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: ZONE, StartRecordName: first.NextRecordName, StartRecordType: first.NextRecordType, StartRecordIdentifier: first.NextRecordIdentifier }),
    );
    expect(rest.ResourceRecordSets?.map((r) => [r.SetIdentifier, r.Weight])).toEqual([
      ['cell-001', 100],
      ['cell-002', 100],
      ['cell-003', 100],
    ]);
    expect(rest.IsTruncated).toBe(false);
  });
});

describe('traffic follows the weights', () => {
  test('each cell gets weight / sum of its group, observed after propagation plus the DNS lag', async () => {
    // GIVEN propagation 500 ms and a DNS lag of 1000 ms
    const { clients, clock, fleet } = simulate({ timing: { changePropagationMs: 500, dnsLagMs: 1_000 } });
    expect(fleet.trafficShares()['cell-001']).toEqual({ targetPercent: 33.333, observedPercent: 33.333 });
    // WHEN cell-001 is drained to 0 and cell-002 doubled
    await clients.route53.send(change(upsert('cell-001', 0), upsert('cell-002', 200)));
    // THEN the target moves at once, the observed share only after the change is in sync, linearly over the lag
    const observed = () => Object.fromEntries(Object.entries(fleet.trafficShares()).map(([id, s]) => [id, s.observedPercent]));
    expect(fleet.trafficShares()['cell-001'].targetPercent).toBe(0);
    expect(fleet.trafficShares()['cell-002'].targetPercent).toBe(66.667);
    clock.advance(500);
    expect(observed()['cell-001']).toBe(33.333);
    clock.advance(500);
    expect(observed()['cell-001']).toBe(16.667);
    clock.advance(500);
    expect(observed()).toEqual({ 'cell-001': 0, 'cell-002': 66.667, 'cell-003': 33.333 });
    expect(fleet.cell('cell-002').requestsPerSecond).toBe(1000);
  });

  test('with dnsLagMs "ttl" the observed share takes the records\' TTL (60 s here) to follow', async () => {
    const { clients, clock, fleet } = simulate({ timing: { changePropagationMs: 0, dnsLagMs: 'ttl' } });
    await clients.route53.send(change(upsert('cell-001', 0)));
    clock.advance(30_000);
    expect(fleet.cell('cell-001').observedSharePercent).toBe(16.667);
    clock.advance(30_000);
    expect(fleet.cell('cell-001').observedSharePercent).toBe(0);
  });

  test('when every weight of the group is 0, Route 53 splits traffic equally', async () => {
    const { clients, clock, fleet } = simulate({ timing: { changePropagationMs: 0, dnsLagMs: 0 } });
    await clients.route53.send(change(upsert('cell-001', 0), upsert('cell-002', 0), upsert('cell-003', 0)));
    clock.advance(1);
    expect(Object.values(fleet.trafficShares()).map((s) => [s.targetPercent, s.observedPercent])).toEqual([
      [33.333, 33.333],
      [33.333, 33.333],
      [33.333, 33.333],
    ]);
  });

  test('the part of traffic on the router fallback is split equally over the cells, whatever their weights', async () => {
    const { clients, clock, fleet } = simulate({ timing: { changePropagationMs: 0, dnsLagMs: 0 } });
    const router = (id: string, weight: number, value: string): Change => ({
      Action: 'UPSERT',
      ResourceRecordSet: { Name: 'api.shop.example.com.', Type: 'CNAME', SetIdentifier: id, Weight: weight, TTL: 60, ResourceRecords: [{ Value: value }] },
    });
    await clients.route53.send(change(upsert('cell-001', 0), router('router-primary', 0, 'router.shop.example.com'), router('router-fallback', 255, 'hash-router.shop.example.com')));
    clock.advance(1);
    expect(fleet.cell('cell-001').observedSharePercent).toBe(33.333);
  });

  test('a new weighted record in the cells group with a matching new stack becomes a cell (an emergency cell)', async () => {
    const { clients, clock, fleet } = simulate({ timing: { changePropagationMs: 0, dnsLagMs: 0, stackCreateMs: 1_000 } });
    await clients.cloudFormation.send(
      new CreateStackCommand({ StackName: 'shop-cell-004', TemplateURL: 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell.yaml', Parameters: [{ ParameterKey: 'RestartNonce', ParameterValue: 'x' }] }),
    );
    await clients.route53.send(change(upsert('cell-004', 100)));
    clock.advance(1);
    const cell = fleet.cell('cell-004');
    expect(cell).toMatchObject({ source: 'discovered', stackName: 'shop-cell-004', stackStatus: 'CREATE_IN_PROGRESS', health: 'down', weight: 100, customers: 0, capacity: 1000 });
    expect(cell.targetSharePercent).toBe(25);
    clock.advance(1_000);
    expect(fleet.cell('cell-004').health).toBe('healthy');
  });
});
