import { z } from 'zod';
import { WEEKDAY_NAMES } from '../change-freezes';
import { weightedRecordKey } from './records';

/**
 * The cell registry: what the fleet is made of and the policies every procedure follows.
 * One file (`cells.yaml`) describes it; `loadRegistry` validates it at start.
 */

// Strict objects: a misspelt optional key (`requried:` under approvals) would otherwise be
// dropped silently and its default applied, the opposite of failing at start.
const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and dashes, starting with a letter or digit');
const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1');
const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN such as arn:aws:iam::123456789012:role/cellops');
const weight = z.number().int('expected an integer 0-255').min(0, 'expected 0-255').max(255, 'expected 0-255');
const seconds = z.number().int().nonnegative();
const percent = z.number().min(0, 'expected 0-100').max(100, 'expected 0-100');

/** A weighted Route 53 record: one member of a weighted group (same name and type, own set identifier). */
export const weightedRecordSchema = z.strictObject({
  hostedZoneId: z.string().regex(/^(\/hostedzone\/)?Z[A-Z0-9]{1,31}$/, 'expected a hosted zone id such as Z0123456789ABC'),
  recordName: z.string().min(1),
  recordType: z.enum(['A', 'AAAA', 'CNAME']).default('CNAME'),
  setIdentifier: z.string().min(1).max(128),
  /** The record's value (CNAME target or IP address). */
  value: z.string().min(1),
  ttl: seconds.default(60),
  /** The weight this member carries when it is in service. */
  weight,
});
export type WeightedRecord = z.infer<typeof weightedRecordSchema>;

const templateSchema = z
  .strictObject({
    templateUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://bucket.s3.amazonaws.com/cell.yaml' }).optional(),
    templateBody: z.string().min(1).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.templateUrl !== undefined && t.templateBody !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'has both templateUrl and templateBody; expected exactly one' });
    } else if (t.templateUrl === undefined && t.templateBody === undefined) {
      ctx.addIssue({ code: 'custom', message: 'missing templateUrl or templateBody; expected exactly one' });
    }
  });

export const stackSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a CloudFormation stack name'),
  template: templateSchema,
  parameters: z.record(z.string(), z.string()).default({}),
  /** The template parameter whose change makes the cell's services restart. */
  restartParameter: z.string().min(1).default('RestartNonce'),
});
export type StackSpec = z.infer<typeof stackSchema>;

const dimensionsSchema = z.record(z.string(), z.string());

/** Where a cell's metrics live in CloudWatch. */
export const metricsSchema = z.strictObject({
  namespace: z.string().min(1),
  dimensions: dimensionsSchema,
  requestCount: z.string().min(1).default('RequestCount'),
  errorCount: z.string().min(1).default('ErrorCount'),
  latency: z.string().min(1).default('Latency'),
  availability: z.string().min(1).default('Availability'),
});
export type MetricsSpec = z.infer<typeof metricsSchema>;

export const cellSchema = z.strictObject({
  id: identifier,
  region: awsRegion,
  /** The role assumed for this cell's CloudFormation and CloudWatch calls (its account). Default: the fleet's. */
  roleArn: roleArn.optional(),
  /** Lower numbers recover first in a cascade. */
  priority: z.number().int().min(0),
  /** Requests per second the cell can serve. */
  capacity: z.number().positive(),
  customers: z.number().int().nonnegative().default(0),
  stack: stackSchema,
  route53: weightedRecordSchema,
  alarms: z.array(z.string().min(1).max(255)).default([]),
  metrics: metricsSchema,
});
export type Cell = z.infer<typeof cellSchema>;

/**
 * The router (the layer that maps customers to cells): its two members of one weighted group,
 * the primary (cell-aware routing, a CloudFormation stack) and the static hash-based fallback it
 * fails over to, with what router failover needs to check and recover them.
 */
export const routerSchema = z.strictObject({
  primary: weightedRecordSchema,
  fallback: weightedRecordSchema,
  /** The primary router's stack: a restart (its restart parameter) is how it is recovered. */
  stack: stackSchema.optional(),
  /** The primary router's CloudWatch alarms. */
  alarms: z.array(z.string().min(1).max(255)).default([]),
  /** Where the primary router's request, error, latency and availability metrics live. */
  metrics: metricsSchema.optional(),
  /** The fallback's metrics: misrouted requests (a customer sent to a cell that does not hold it) count as errors. */
  fallbackMetrics: metricsSchema.optional(),
});
export type Router = z.infer<typeof routerSchema>;

/** What a new cell (a replacement or an emergency cell) is built from. */
export const cellTemplateSchema = z.strictObject({
  stackNamePrefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/, 'expected the start of a CloudFormation stack name (letters, digits, dashes; a letter first)'),
  template: templateSchema,
  parameters: z.record(z.string(), z.string()).default({}),
  capacity: z.number().positive(),
  route53: weightedRecordSchema.omit({ setIdentifier: true, value: true }).extend({
    /** `{cellId}` is replaced by the new cell's id. */
    valuePattern: z.string().includes('{cellId}', { message: 'expected a pattern containing {cellId}' }),
  }),
  metrics: metricsSchema.omit({ dimensions: true }),
});
export type CellTemplate = z.infer<typeof cellTemplateSchema>;

const approvalStep = z.enum(['restart', 'replace', 'decommission', 'promote', 'failover', 'wave', 'emergency-capacity']);
export type ApprovalStep = z.infer<typeof approvalStep>;

const utcInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/, 'expected a UTC time such as 2026-12-24T00:00:00Z')
  .refine((v) => !Number.isNaN(Date.parse(v)), 'expected a real date and time');
const weekTime = z.string().regex(new RegExp(`^(${WEEKDAY_NAMES.join('|')}) ([01]\\d|2[0-3]):[0-5]\\d$`), 'expected a weekday and a UTC time such as "Fri 16:00"');

/**
 * A change freeze: no rollout starts a wave inside it. Either absolute (`start` to `end`, UTC) or
 * weekly (`weekly.start` to `weekly.end`, e.g. "Fri 16:00" to "Mon 08:00", UTC, wrapping over
 * the week's end); `end` is not part of it.
 */
export const changeFreezeSchema = z
  .strictObject({
    name: identifier,
    reason: z.string().min(1, 'expected why changes are frozen'),
    start: utcInstant.optional(),
    end: utcInstant.optional(),
    weekly: z.strictObject({ start: weekTime, end: weekTime }).optional(),
  })
  .superRefine((freeze, ctx) => {
    const absolute = freeze.start !== undefined || freeze.end !== undefined;
    if (absolute === (freeze.weekly !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected either start and end (UTC times) or weekly: { start, end }, not both or neither' });
    } else if (absolute && (freeze.start === undefined || freeze.end === undefined)) {
      ctx.addIssue({ code: 'custom', path: [freeze.start === undefined ? 'start' : 'end'], message: 'expected both start and end' });
    } else if (absolute && Date.parse(freeze.end as string) <= Date.parse(freeze.start as string)) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `expected a time after start (${freeze.start as string})` });
    } else if (freeze.weekly !== undefined && freeze.weekly.start === freeze.weekly.end) {
      ctx.addIssue({ code: 'custom', path: ['weekly', 'end'], message: 'expected a time other than start (a freeze all week long blocks every rollout)' });
    }
  });
export type ChangeFreeze = z.infer<typeof changeFreezeSchema>;

export const policiesSchema = z.strictObject({
  drain: z
    .strictObject({
      stepPercent: z.number().gt(0, 'expected more than 0').max(100, 'expected 0-100').default(25),
      pauseSeconds: seconds.default(60),
      /** How far the observed traffic share may lag the weights before a drain step counts as stuck. */
      tolerancePercent: percent.default(5),
      /**
       * After a weight change, readings wait for the next whole minute plus this long: the time
       * CloudWatch takes to publish a minute's datapoints.
       */
      metricsDelaySeconds: seconds.default(5),
      /**
       * Below this many requests a minute across the cell's weighted group, the observed share
       * says nothing: the drain then relies on Route 53 being in sync alone, and says so.
       */
      minGroupRequestsPerMinute: z.number().int().nonnegative().default(60),
    })
    .prefault({}),
  restore: z
    .strictObject({
      stepPercent: z.number().gt(0, 'expected more than 0').max(100, 'expected 0-100').default(25),
      pauseSeconds: seconds.default(60),
    })
    .prefault({}),
  health: z
    .strictObject({
      windowSeconds: seconds.min(60).default(300),
      maxErrorRatePercent: percent.default(1),
      maxLatencyP99Ms: z.number().positive().default(1000),
      minAvailabilityPercent: percent.default(99.5),
      /**
       * A criterion's metric without data in the window (a quiet cell, a metric not published, a
       * statistic the account cannot read): `pass` treats it as no evidence of a problem, `fail`
       * as a problem. Either way the check says which signals had no data.
       */
      onNoData: z.enum(['pass', 'fail']).default('pass'),
    })
    .prefault({}),
  stabilityWatchSeconds: seconds.default(900),
  blastRadius: z
    .strictObject({
      maxCellsOut: z.number().int().min(1).default(1),
      maxCapacityOutPercent: percent.default(34),
    })
    .prefault({}),
  cooldowns: z
    .strictObject({
      /** After a procedure on a cell ends, alarms for that cell start nothing for this long. */
      perCellSeconds: seconds.default(1800),
      /** Across the fleet, alarms start at most this many procedures in any hour; past it they start nothing. */
      maxAutomaticPerHour: z.number().int().min(0).default(5),
      /**
       * An alarm for a cell when alarms started procedures on other cells within this long is an
       * incident of several cells (the decision matrix's `multiple` scope: cascade recovery); 0
       * reads every alarm for its cell alone. At most an hour.
       */
      correlationWindowSeconds: seconds.max(3600, 'expected at most 3600 (an hour)').default(300),
    })
    .prefault({}),
  approvals: z
    .strictObject({
      required: z.array(approvalStep).default(['decommission']),
      timeoutSeconds: seconds.min(60).default(3600),
      reminderBeforeSeconds: seconds.default(900),
      /** What a procedure does when an approval times out. */
      onTimeout: z.enum(['proceed', 'abort']).default('abort'),
      /** The approver must not be the person who started the procedure. */
      fourEyes: z.boolean().default(true),
      /** Distinct approvers (other than the requester under four-eyes) a gate needs; a rejection by any of them closes it. */
      minApprovers: z.number().int().min(1).default(1),
    })
    .prefault({}),
  /**
   * Change freezes: a wave deployment does not start inside one (or waits for its end, as its
   * input says), and holds its next wave while one lasts. Optional, as registries carried in
   * the inputs of runs from before it existed lack it.
   */
  changeFreezes: z.array(changeFreezeSchema).optional(),
});
export type Policies = z.infer<typeof policiesSchema>;

export const registrySchema = z
  .strictObject({
    fleet: z.strictObject({
      name: identifier,
      /** The fleet's home region: new cells, Route 53 (global) and SNS are called from here. */
      region: awsRegion,
      /** The role assumed for Route 53 and for cells without a role of their own. Default: the worker's own credentials. */
      roleArn: roleArn.optional(),
      /** The SNS topic that operator notifications are published to when no hooks backend is configured. */
      notificationTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'expected an SNS topic ARN').optional(),
    }),
    router: routerSchema,
    cellTemplate: cellTemplateSchema,
    cells: z.array(cellSchema).min(1, 'expected at least one cell'),
    policies: policiesSchema.prefault({}),
  })
  // `when`: run even when other fields failed, so a broken file lists every problem at once.
  .superRefine(
    (registry, ctx) => {
      for (const problem of crossCheck(registry)) ctx.addIssue({ code: 'custom', ...problem });
    },
    { when: () => true },
  );
export type Registry = z.infer<typeof registrySchema>;
export type RegistryInput = z.input<typeof registrySchema>;

type Problem = { path: PropertyKey[]; message: string };
type Raw = Record<string, unknown>;

const asRecord = (value: unknown): Raw | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : undefined;
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Rules that span entries: unique cell ids, stacks, set identifiers and alarm names; a blast radius smaller
 * than the fleet. Reads the document defensively, as it runs even when parts of it are invalid.
 */
function crossCheck(document: unknown): Problem[] {
  const problems: Problem[] = [];
  const root = asRecord(document) ?? {};
  const cells = Array.isArray(root.cells) ? root.cells.map((c) => asRecord(c) ?? {}) : [];

  const ids = new Map<string, number>();
  cells.forEach((cell, index) => {
    const id = asString(cell.id);
    if (id === undefined) return;
    const first = ids.get(id);
    if (first !== undefined) {
      problems.push({ path: ['cells', index, 'id'], message: `duplicate cell id "${id}" (also cells[${first}])` });
    } else {
      ids.set(id, index);
    }
  });

  // Two cells on one stack would restart, replace or delete each other.
  const stacks = new Map<string, number>();
  cells.forEach((cell, index) => {
    const name = asString(asRecord(cell.stack)?.name);
    if (name === undefined) return;
    const key = `${asString(cell.region) ?? ''}|${name}`;
    const first = stacks.get(key);
    if (first !== undefined) {
      problems.push({ path: ['cells', index, 'stack', 'name'], message: `duplicate stack "${name}" (also cells[${first}])` });
    } else {
      stacks.set(key, index);
    }
  });

  // Route 53 identifies a weighted member by zone, name and type plus set identifier; the zone
  // id may carry a /hostedzone/ prefix and names are case-insensitive with an optional final dot.
  const records: { label: string; path: PropertyKey[]; record: Raw }[] = [];
  const router = asRecord(root.router);
  for (const member of ['primary', 'fallback'] as const) {
    const record = asRecord(router?.[member]);
    if (record) records.push({ label: `router.${member}`, path: ['router', member], record });
  }
  cells.forEach((cell, index) => {
    const record = asRecord(cell.route53);
    if (record) records.push({ label: `cells[${index}]`, path: ['cells', index, 'route53'], record });
  });
  const setIds = new Map<string, string>();
  for (const { label, path, record } of records) {
    const hostedZoneId = asString(record.hostedZoneId);
    const recordName = asString(record.recordName);
    const setIdentifier = asString(record.setIdentifier);
    if (hostedZoneId === undefined || recordName === undefined || setIdentifier === undefined) continue;
    const recordType = (asString(record.recordType) ?? 'CNAME') as WeightedRecord['recordType'];
    const key = weightedRecordKey({ hostedZoneId, recordName, recordType, setIdentifier });
    const first = setIds.get(key);
    if (first !== undefined) {
      problems.push({ path: [...path, 'setIdentifier'], message: `duplicate weighted record "${setIdentifier}" (also ${first})` });
    } else {
      setIds.set(key, label);
    }
  }

  // The alarm gateway finds the cell by alarm name, so one alarm may name one cell only.
  const alarms = new Map<string, number>();
  cells.forEach((cell, index) => {
    if (!Array.isArray(cell.alarms)) return;
    cell.alarms.forEach((alarm: unknown, position) => {
      if (typeof alarm !== 'string') return;
      const owner = alarms.get(alarm);
      if (owner !== undefined && owner !== index) {
        problems.push({ path: ['cells', index, 'alarms', position], message: `alarm "${alarm}" already belongs to cells[${owner}]` });
      } else {
        alarms.set(alarm, index);
      }
    });
  });

  const maxCellsOut = asRecord(asRecord(root.policies)?.blastRadius)?.maxCellsOut;
  if (typeof maxCellsOut === 'number' && cells.length > 1 && maxCellsOut >= cells.length) {
    problems.push({
      path: ['policies', 'blastRadius', 'maxCellsOut'],
      message: `expected fewer than the ${cells.length} cells, or the whole fleet could be drained`,
    });
  }
  return problems;
}
