import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseDocument, type Document } from 'yaml';
import {
  cellsByPriority,
  findCell,
  fleetCapacity,
  loadRegistry,
  otherCells,
  parseRegistry,
  parseRegistryText,
  RegistryError,
  UnknownCellError,
  type Registry,
  type RegistryInput,
} from '../../domain/registry';

const EXAMPLE_PATH = resolve(__dirname, '../../cells.example.yaml');
const exampleText = readFileSync(EXAMPLE_PATH, 'utf8');

/** The example file as the YAML parser hands it to the schema. */
const exampleInput = (): RegistryInput => parse(exampleText) as RegistryInput;

/** An edit to the example file, made on its YAML document as a user would make it. */
type Edit = (doc: Document) => void;
type Path = (string | number)[];
const set =
  (path: Path, value: unknown): Edit =>
  (doc) =>
    doc.setIn(path, value);
const del =
  (path: Path): Edit =>
  (doc) =>
    doc.deleteIn(path);

/** The problems a registry text is rejected with; fails the test if it is accepted. */
function problemsOf(text: string): readonly string[] {
  try {
    parseRegistryText(text, 'cells.yaml');
  } catch (err) {
    if (err instanceof RegistryError) return err.problems;
    throw err;
  }
  throw new Error('expected the registry to be rejected, but it loaded');
}

/** The example file with `edits` applied. */
function edited(...edits: Edit[]): string {
  const doc = parseDocument(exampleText);
  for (const edit of edits) edit(doc);
  return String(doc);
}

describe('loadRegistry', () => {
  it('loads the example file with the defaults applied', async () => {
    // WHEN
    const registry = await loadRegistry(EXAMPLE_PATH);

    // THEN
    expect(registry.fleet).toEqual({ name: 'shop-eu', region: 'eu-west-1' });
    expect(registry.cells.map((c) => c.id)).toEqual(['cell-001', 'cell-002', 'cell-003']);
    const cell = registry.cells[0];
    expect(cell.route53).toEqual({
      hostedZoneId: 'Z0CELLOPS00001',
      recordName: 'cells.shop.example.com.',
      recordType: 'CNAME',
      setIdentifier: 'cell-001',
      value: 'cell-001.shop.example.com',
      ttl: 60, // default
      weight: 100,
    });
    expect(cell.stack.restartParameter).toBe('RestartNonce');
    expect(cell.metrics).toEqual({
      namespace: 'Shop/Cells',
      dimensions: { CellId: 'cell-001' },
      requestCount: 'RequestCount',
      errorCount: 'ErrorCount',
      latency: 'Latency',
      availability: 'Availability',
    });
    expect(registry.router.fallback.ttl).toBe(60);
    expect(registry.cellTemplate.metrics.errorCount).toBe('ErrorCount');
    expect(registry.policies.health.maxLatencyP99Ms).toBe(800); // set in the file, not the default 1000
    expect(registry.policies.approvals.required).toEqual(['decommission', 'emergency-capacity']);
  });

  it('applies every policy default when the policies section is left out', () => {
    // GIVEN
    const text = edited(del(['policies']), del(['cells', 0, 'customers']), del(['cells', 0, 'alarms']));

    // WHEN
    const registry = parseRegistryText(text);

    // THEN
    expect(registry.cells[0].customers).toBe(0);
    expect(registry.cells[0].alarms).toEqual([]);
    expect(registry.policies).toEqual({
      drain: { stepPercent: 25, pauseSeconds: 60, tolerancePercent: 5, metricsDelaySeconds: 5, minGroupRequestsPerMinute: 60 },
      restore: { stepPercent: 25, pauseSeconds: 60 },
      health: { windowSeconds: 300, maxErrorRatePercent: 1, maxLatencyP99Ms: 1000, minAvailabilityPercent: 99.5, onNoData: 'pass' },
      stabilityWatchSeconds: 900,
      blastRadius: { maxCellsOut: 1, maxCapacityOutPercent: 34 },
      cooldowns: { perCellSeconds: 1800, maxAutomaticPerHour: 5, correlationWindowSeconds: 300 },
      approvals: { required: ['decommission'], timeoutSeconds: 3600, reminderBeforeSeconds: 900, onTimeout: 'abort', fourEyes: true, minApprovers: 1 },
    });
  });

  it('fills in a partly given policy group', () => {
    const registry = parseRegistryText(edited(set(['policies', 'drain'], { stepPercent: 50 })));
    expect(registry.policies.drain).toEqual({ stepPercent: 50, pauseSeconds: 60, tolerancePercent: 5, metricsDelaySeconds: 5, minGroupRequestsPerMinute: 60 });
  });

  it.each<[string, Edit[]]>([
    ['a hosted zone id with the /hostedzone/ prefix', [set(['cells', 0, 'route53', 'hostedZoneId'], '/hostedzone/Z0CELLOPS00001')]],
    ['an inline templateBody instead of templateUrl', [set(['cells', 0, 'stack', 'template'], { templateBody: 'Resources: {}' })]],
    ['a blast radius of two cells out of three', [set(['policies', 'blastRadius', 'maxCellsOut'], 2)]],
    ['a single cell with maxCellsOut 1', [del(['cells', 2]), del(['cells', 1])]],
    ['an AWS GovCloud region', [set(['cells', 0, 'region'], 'us-gov-west-1')]],
    ['the same stack name in another region', [set(['cells', 1, 'stack', 'name'], 'shop-cell-001'), set(['cells', 1, 'region'], 'eu-central-1')]],
  ])('accepts %s', (_name, edits) => {
    expect(() => parseRegistryText(edited(...edits))).not.toThrow();
  });

  it('accepts JSON, a subset of YAML', () => {
    const registry = parseRegistryText(JSON.stringify(exampleInput()));
    expect(registry.cells).toHaveLength(3);
  });

  it('names the file and lists each problem on its own line', async () => {
    // GIVEN
    const dir = await mkdtemp(join(tmpdir(), 'cellops-registry-'));
    const path = join(dir, 'cells.yaml');
    await writeFile(path, edited(set(['fleet', 'region'], 'mars'), set(['cells', 2, 'route53', 'weight'], 256)));

    try {
      // WHEN
      const loading = loadRegistry(path);

      // THEN
      await expect(loading).rejects.toThrow(
        `invalid cell registry ${path}:\n  - fleet.region: expected an AWS region such as eu-west-1\n  - cells[2].route53.weight: expected 0-255`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a file that is not there with the file system error', async () => {
    await expect(loadRegistry(join(tmpdir(), 'cellops-no-such-registry.yaml'))).rejects.toThrow('ENOENT');
  });
});

describe('broken registry files', () => {
  it.each<[string, Edit[], string[]]>([
    // Ranges
    ['weight above 255', [set(['cells', 2, 'route53', 'weight'], 300)], ['cells[2].route53.weight: expected 0-255']],
    ['negative weight', [set(['router', 'primary', 'weight'], -1)], ['router.primary.weight: expected 0-255']],
    ['fractional weight', [set(['cells', 0, 'route53', 'weight'], 1.5)], ['cells[0].route53.weight: expected an integer 0-255']],
    ['zero capacity', [set(['cells', 1, 'capacity'], 0)], ['cells[1].capacity: expected more than 0, got 0']],
    ['negative priority', [set(['cells', 1, 'priority'], -1)], ['cells[1].priority: expected at least 0, got -1']],
    ['fractional priority', [set(['cells', 1, 'priority'], 1.5)], ['cells[1].priority: expected an integer, got 1.5']],
    ['health window under a minute', [set(['policies', 'health', 'windowSeconds'], 30)], ['policies.health.windowSeconds: expected at least 60, got 30']],
    ['percent above 100', [set(['policies', 'blastRadius', 'maxCapacityOutPercent'], 150)], ['policies.blastRadius.maxCapacityOutPercent: expected 0-100']],
    ['drain step of 0%', [set(['policies', 'drain', 'stepPercent'], 0)], ['policies.drain.stepPercent: expected more than 0']],
    ['no cells', [set(['cells'], [])], ['cells: expected at least one cell']],
    ['an empty record name', [set(['cells', 0, 'route53', 'recordName'], '')], ['cells[0].route53.recordName: expected a non-empty string']],

    // Missing fields
    ['missing cell region', [del(['cells', 0, 'region'])], ['cells[0].region: missing (expected a string)']],
    ['missing stack', [del(['cells', 0, 'stack'])], ['cells[0].stack: missing (expected an object)']],
    ['missing fleet', [del(['fleet'])], ['fleet: missing (expected an object)']],
    ['missing cells', [del(['cells'])], ['cells: missing (expected an array)']],
    ['missing record weight', [del(['cells', 1, 'route53', 'weight'])], ['cells[1].route53.weight: missing (expected a number)']],
    ['an empty fleet section', [set(['fleet'], null)], ['fleet: expected an object, got null']],

    // Wrong types
    ['capacity as a string', [set(['cells', 1, 'capacity'], '1000')], ['cells[1].capacity: expected a number, got a string ("1000")']],
    ['weight as a string', [set(['cells', 2, 'route53', 'weight'], 'high')], ['cells[2].route53.weight: expected a number, got a string ("high")']],
    ['fourEyes as a string', [set(['policies', 'approvals', 'fourEyes'], 'yes')], ['policies.approvals.fourEyes: expected a boolean, got a string ("yes")']],
    ['alarms as a string', [set(['cells', 0, 'alarms'], 'cell-001-HighErrorRate')], ['cells[0].alarms: expected an array, got a string ("cell-001-HighErrorRate")']],
    ['cells as a mapping', [set(['cells'], { 'cell-001': {} })], ['cells: expected an array, got an object']],
    ['an unquoted number as a stack parameter', [set(['cells', 0, 'stack', 'parameters', 'DesiredCount'], 3)], ['cells[0].stack.parameters.DesiredCount: expected a string, got a number (3)']],
    ['an unknown record type', [set(['cells', 1, 'route53', 'recordType'], 'MX')], ['cells[1].route53.recordType: expected one of A, AAAA, CNAME, got "MX"']],
    [
      'an unknown approval step',
      [set(['policies', 'approvals', 'required'], ['restart', 'nuke'])],
      ['policies.approvals.required[1]: expected one of restart, replace, decommission, promote, failover, wave, emergency-capacity, got "nuke"'],
    ],
    ['an unknown onTimeout', [set(['policies', 'approvals', 'onTimeout'], 'retry')], ['policies.approvals.onTimeout: expected one of proceed, abort, got "retry"']],

    // Change freezes
    [
      'a change freeze with a local time',
      [set(['policies', 'changeFreezes'], [{ name: 'year-end', reason: 'peak', start: '2026-12-20T00:00:00+01:00', end: '2026-12-27T00:00:00Z' }])],
      ['policies.changeFreezes[0].start: expected a UTC time such as 2026-12-24T00:00:00Z'],
    ],
    [
      'a change freeze ending before it starts',
      [set(['policies', 'changeFreezes'], [{ name: 'year-end', reason: 'peak', start: '2026-12-27T00:00:00Z', end: '2026-12-20T00:00:00Z' }])],
      ['policies.changeFreezes[0].end: expected a time after start (2026-12-27T00:00:00Z)'],
    ],
    [
      'a change freeze both weekly and absolute',
      [set(['policies', 'changeFreezes'], [{ name: 'weekend', reason: 'no staff', start: '2026-12-20T00:00:00Z', end: '2026-12-27T00:00:00Z', weekly: { start: 'Fri 16:00', end: 'Mon 08:00' } }])],
      ['policies.changeFreezes[0]: expected either start and end (UTC times) or weekly: { start, end }, not both or neither'],
    ],
    [
      'a weekly change freeze with a bad day',
      [set(['policies', 'changeFreezes'], [{ name: 'weekend', reason: 'no staff', weekly: { start: 'Friday 16:00', end: 'Mon 08:00' } }])],
      ['policies.changeFreezes[0].weekly.start: expected a weekday and a UTC time such as "Fri 16:00"'],
    ],

    // Formats
    ['a bad cell region', [set(['cells', 1, 'region'], 'europe')], ['cells[1].region: expected an AWS region such as eu-west-1']],
    ['an upper-case fleet region', [set(['fleet', 'region'], 'EU-WEST-1')], ['fleet.region: expected an AWS region such as eu-west-1']],
    ['a bad hosted zone id', [set(['cells', 1, 'route53', 'hostedZoneId'], 'zone-1')], ['cells[1].route53.hostedZoneId: expected a hosted zone id such as Z0123456789ABC']],
    ['a cell id with capitals', [set(['cells', 0, 'id'], 'Cell_1')], ['cells[0].id: expected lower-case letters, digits and dashes, starting with a letter or digit']],
    ['a stack name starting with a digit', [set(['cells', 0, 'stack', 'name'], '1-shop')], ['cells[0].stack.name: expected a CloudFormation stack name']],
    [
      'a bad stack name prefix',
      [set(['cellTemplate', 'stackNamePrefix'], 'shop_cell')],
      ['cellTemplate.stackNamePrefix: expected the start of a CloudFormation stack name (letters, digits, dashes; a letter first)'],
    ],
    [
      'a template URL that is not http(s)',
      [set(['cells', 0, 'stack', 'template', 'templateUrl'], 's3://bucket/cell.yaml')],
      ['cells[0].stack.template.templateUrl: expected an http(s) URL such as https://bucket.s3.amazonaws.com/cell.yaml'],
    ],
    ['a valuePattern without {cellId}', [set(['cellTemplate', 'route53', 'valuePattern'], 'cell.shop.example.com')], ['cellTemplate.route53.valuePattern: expected a pattern containing {cellId}']],

    // Templates
    [
      'a template with both url and body',
      [set(['cells', 0, 'stack', 'template', 'templateBody'], 'Resources: {}')],
      ['cells[0].stack.template: has both templateUrl and templateBody; expected exactly one'],
    ],
    ['a template with neither url nor body', [set(['cellTemplate', 'template'], {})], ['cellTemplate.template: missing templateUrl or templateBody; expected exactly one']],

    // Unknown keys: a misspelt optional key must not fall back to its default silently
    ['a misspelt policy key', [set(['policies', 'approvals', 'requried'], ['restart'])], ['policies.approvals.requried: unknown key']],
    ['a misspelt cell key', [set(['cells', 1, 'capacty'], 5)], ['cells[1].capacty: unknown key']],
    ['an unknown top-level section', [set(['cell'], [])], ['cell: unknown key']],

    // Rules across entries
    ['a duplicate cell id', [set(['cells', 2, 'id'], 'cell-001')], ['cells[2].id: duplicate cell id "cell-001" (also cells[0])']],
    ['a duplicate stack in one region', [set(['cells', 2, 'stack', 'name'], 'shop-cell-002')], ['cells[2].stack.name: duplicate stack "shop-cell-002" (also cells[1])']],
    [
      'a duplicate set identifier',
      [set(['cells', 2, 'route53', 'setIdentifier'], 'cell-001')],
      ['cells[2].route53.setIdentifier: duplicate weighted record "cell-001" (also cells[0])'],
    ],
    [
      'a duplicate set identifier spelt differently (zone prefix, case, final dot)',
      [
        set(['cells', 1, 'route53', 'setIdentifier'], 'cell-001'),
        set(['cells', 1, 'route53', 'hostedZoneId'], '/hostedzone/Z0CELLOPS00001'),
        set(['cells', 1, 'route53', 'recordName'], 'Cells.Shop.Example.com'),
      ],
      ['cells[1].route53.setIdentifier: duplicate weighted record "cell-001" (also cells[0])'],
    ],
    [
      'router members sharing a set identifier',
      [set(['router', 'fallback', 'setIdentifier'], 'router-primary')],
      ['router.fallback.setIdentifier: duplicate weighted record "router-primary" (also router.primary)'],
    ],
    ['one alarm named by two cells', [set(['cells', 2, 'alarms', 2], 'cell-001-HighLatency')], ['cells[2].alarms[2]: alarm "cell-001-HighLatency" already belongs to cells[0]']],
    [
      'maxCellsOut equal to the cell count',
      [set(['policies', 'blastRadius', 'maxCellsOut'], 3)],
      ['policies.blastRadius.maxCellsOut: expected fewer than the 3 cells, or the whole fleet could be drained'],
    ],
    [
      'maxCellsOut above the cell count',
      [set(['policies', 'blastRadius', 'maxCellsOut'], 5)],
      ['policies.blastRadius.maxCellsOut: expected fewer than the 3 cells, or the whole fleet could be drained'],
    ],
  ])('rejects %s', (_name, edits, expected) => {
    expect(problemsOf(edited(...edits))).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ['a YAML syntax error', 'fleet:\n  name: [shop\n', ['line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]']],
    [
      'a mis-indented key',
      'fleet:\n  name: shop\n   region: eu-west-1\n',
      ['line 2, column 9: Nested mappings are not allowed in compact mappings', 'line 2, column 9: Implicit keys need to be on a single line'],
    ],
    ['a repeated key', 'fleet:\n  name: a\n  name: b\n', ['line 3, column 3: Map keys must be unique']],
    ['a second document', `${exampleText}---\nfleet: {}\n`, [`line ${exampleText.split('\n').length}, column 1: a second YAML document (---); expected one document`]],
    ['an unresolved alias', 'fleet: *base\n', ['(root): Unresolved alias (the anchor must be set before the alias): base']],
    ['an empty file', '', ['(root): the file is empty; expected fleet, router, cellTemplate and cells']],
    ['a file of comments only', '# cells.yaml\n\n', ['(root): the file is empty; expected fleet, router, cellTemplate and cells']],
    ['a list at the top', '- cell-001\n', ['(root): expected an object, got an array']],
    ['a bare word', 'cells\n', ['(root): expected an object, got a string ("cells")']],
  ])('rejects %s', (_name, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  it('lists every problem at once, cross-entry rules included, not just the first', () => {
    // GIVEN a file broken in six places; the type errors alone would stop zod's own refinements
    const text = edited(
      del(['fleet', 'name']),
      set(['cells', 0, 'capacity'], 'lots'),
      set(['cells', 0, 'region'], 'mars'),
      set(['cells', 1, 'id'], 'cell-001'),
      set(['cells', 2, 'route53', 'weight'], 300),
      set(['policies', 'blastRadius', 'maxCellsOut'], 3),
    );

    // WHEN
    const problems = problemsOf(text);

    // THEN
    expect(problems).toEqual([
      'fleet.name: missing (expected a string)',
      'cells[0].region: expected an AWS region such as eu-west-1',
      'cells[0].capacity: expected a number, got a string ("lots")',
      'cells[2].route53.weight: expected 0-255',
      'cells[1].id: duplicate cell id "cell-001" (also cells[0])',
      'policies.blastRadius.maxCellsOut: expected fewer than the 3 cells, or the whole fleet could be drained',
    ]);
  });

  it('keeps long values short in messages', () => {
    const problems = problemsOf(edited(set(['cells', 0, 'capacity'], 'x'.repeat(100))));
    expect(problems).toEqual([`cells[0].capacity: expected a number, got a string ("${'x'.repeat(36)}...)`]);
  });

  it('validates documents parsed elsewhere the same way', () => {
    // GIVEN
    const input = exampleInput();
    input.cells[2].route53.weight = 300;

    // WHEN / THEN
    expect(() => parseRegistry(input, 'inline')).toThrow('invalid cell registry inline:\n  - cells[2].route53.weight: expected 0-255');
  });
});

describe('registry lookups', () => {
  /** A valid fleet with one cell per entry, in registry order, built from the example's first cell. */
  function fleet(cells: { priority: number; capacity: number }[]): Registry {
    const input = exampleInput();
    const [template] = input.cells;
    input.cells = cells.map(({ priority, capacity }, index) => {
      const id = `cell-${index + 1}`;
      return {
        ...template,
        id,
        priority,
        capacity,
        alarms: [],
        stack: { ...template.stack, name: `shop-${id}` },
        route53: { ...template.route53, setIdentifier: id },
      };
    });
    return parseRegistry(input);
  }

  const registry = parseRegistryText(exampleText);

  it('findCell returns the cell with that id', () => {
    expect(findCell(registry, 'cell-002')).toBe(registry.cells[1]);
  });

  it('findCell names the known ids when the cell is not in the registry', () => {
    // WHEN
    const find = () => findCell(registry, 'cell-009');

    // THEN
    expect(find).toThrow(UnknownCellError);
    expect(find).toThrow('unknown cell "cell-009"; the registry has cell-001, cell-002, cell-003');
  });

  it('otherCells returns every other cell in registry order', () => {
    expect(otherCells(registry, 'cell-002').map((c) => c.id)).toEqual(['cell-001', 'cell-003']);
  });

  it('otherCells refuses an unknown cell rather than returning the whole fleet', () => {
    expect(() => otherCells(registry, 'cell-2')).toThrow(UnknownCellError);
  });

  it('cellsByPriority orders lowest priority first, keeping registry order among equals', () => {
    // GIVEN
    const cells = fleet([
      { priority: 2, capacity: 100 },
      { priority: 0, capacity: 100 },
      { priority: 1, capacity: 100 },
      { priority: 0, capacity: 100 },
    ]);

    // WHEN
    const ordered = cellsByPriority(cells);

    // THEN
    expect(ordered.map((c) => c.id)).toEqual(['cell-2', 'cell-4', 'cell-3', 'cell-1']);
    expect(cells.cells.map((c) => c.id)).toEqual(['cell-1', 'cell-2', 'cell-3', 'cell-4']);
  });

  it('fleetCapacity sums the capacity of every cell', () => {
    const mixed = fleet([
      { priority: 0, capacity: 1000 },
      { priority: 1, capacity: 250.5 },
      { priority: 2, capacity: 40 },
    ]);
    expect(fleetCapacity(mixed)).toBe(1290.5);
    expect(fleetCapacity(registry)).toBe(3000);
  });
});
