import { z } from 'zod';

/**
 * The cell registry: what the fleet is made of and the policies every procedure follows.
 * One file (`cells.yaml`) describes it; `loadRegistry` validates it at start.
 */

const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and dashes, starting with a letter or digit');
const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1');
const weight = z.number().int('expected an integer 0-255').min(0, 'expected 0-255').max(255, 'expected 0-255');
const seconds = z.number().int().nonnegative();
const percent = z.number().min(0, 'expected 0-100').max(100, 'expected 0-100');

/** A weighted Route 53 record: one member of a weighted group (same name and type, own set identifier). */
export const weightedRecordSchema = z.object({
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
  .object({
    templateUrl: z.string().url().optional(),
    templateBody: z.string().min(1).optional(),
  })
  .refine((t) => (t.templateUrl === undefined) !== (t.templateBody === undefined), {
    message: 'expected exactly one of templateUrl or templateBody',
  });

export const stackSchema = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a CloudFormation stack name'),
  template: templateSchema,
  parameters: z.record(z.string(), z.string()).default({}),
  /** The template parameter whose change makes the cell's services restart. */
  restartParameter: z.string().min(1).default('RestartNonce'),
});
export type StackSpec = z.infer<typeof stackSchema>;

const dimensionsSchema = z.record(z.string(), z.string());

/** Where a cell's metrics live in CloudWatch. */
export const metricsSchema = z.object({
  namespace: z.string().min(1),
  dimensions: dimensionsSchema,
  requestCount: z.string().min(1).default('RequestCount'),
  errorCount: z.string().min(1).default('ErrorCount'),
  latency: z.string().min(1).default('Latency'),
  availability: z.string().min(1).default('Availability'),
});
export type MetricsSpec = z.infer<typeof metricsSchema>;

export const cellSchema = z.object({
  id: identifier,
  region: awsRegion,
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

/** The router's own records: normal routing and the hash-based fallback it fails over to. */
export const routerSchema = z.object({
  primary: weightedRecordSchema,
  fallback: weightedRecordSchema,
});
export type Router = z.infer<typeof routerSchema>;

/** What a new cell (a replacement or an emergency cell) is built from. */
export const cellTemplateSchema = z.object({
  stackNamePrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/),
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

export const policiesSchema = z.object({
  drain: z
    .object({
      stepPercent: z.number().gt(0, 'expected more than 0').max(100, 'expected 0-100').default(25),
      pauseSeconds: seconds.default(60),
      /** How far the observed traffic share may lag the weights before a drain step counts as stuck. */
      tolerancePercent: percent.default(5),
    })
    .prefault({}),
  restore: z
    .object({
      stepPercent: z.number().gt(0, 'expected more than 0').max(100, 'expected 0-100').default(25),
      pauseSeconds: seconds.default(60),
    })
    .prefault({}),
  health: z
    .object({
      windowSeconds: seconds.min(60).default(300),
      maxErrorRatePercent: percent.default(1),
      maxLatencyP99Ms: z.number().positive().default(1000),
      minAvailabilityPercent: percent.default(99.5),
    })
    .prefault({}),
  stabilityWatchSeconds: seconds.default(900),
  blastRadius: z
    .object({
      maxCellsOut: z.number().int().min(1).default(1),
      maxCapacityOutPercent: percent.default(34),
    })
    .prefault({}),
  cooldowns: z
    .object({
      /** After a procedure on a cell ends, alarms for that cell start nothing for this long. */
      perCellSeconds: seconds.default(1800),
    })
    .prefault({}),
  approvals: z
    .object({
      required: z.array(approvalStep).default(['decommission']),
      timeoutSeconds: seconds.min(60).default(3600),
      reminderBeforeSeconds: seconds.default(900),
      /** What a procedure does when an approval times out. */
      onTimeout: z.enum(['proceed', 'abort']).default('abort'),
      /** The approver must not be the person who started the procedure. */
      fourEyes: z.boolean().default(true),
    })
    .prefault({}),
});
export type Policies = z.infer<typeof policiesSchema>;

export const registrySchema = z
  .object({
    fleet: z.object({ name: identifier, region: awsRegion }),
    router: routerSchema,
    cellTemplate: cellTemplateSchema,
    cells: z.array(cellSchema).min(1, 'expected at least one cell'),
    policies: policiesSchema.prefault({}),
  })
  .superRefine((registry, ctx) => {
    const seen = new Map<string, number>();
    registry.cells.forEach((cell, index) => {
      const first = seen.get(cell.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['cells', index, 'id'], message: `duplicate cell id "${cell.id}" (also cells[${first}])` });
      }
      seen.set(cell.id, index);
    });
    const setIds = new Map<string, number>();
    registry.cells.forEach((cell, index) => {
      const key = `${cell.route53.hostedZoneId}|${cell.route53.recordName}|${cell.route53.setIdentifier}`;
      const first = setIds.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cells', index, 'route53', 'setIdentifier'],
          message: `duplicate weighted record "${cell.route53.setIdentifier}" (also cells[${first}])`,
        });
      }
      setIds.set(key, index);
    });
    if (registry.policies.blastRadius.maxCellsOut >= registry.cells.length && registry.cells.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['policies', 'blastRadius', 'maxCellsOut'],
        message: `expected fewer than the ${registry.cells.length} cells, or the whole fleet could be drained`,
      });
    }
  });
export type Registry = z.infer<typeof registrySchema>;
export type RegistryInput = z.input<typeof registrySchema>;
