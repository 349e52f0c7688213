/**
 * The activity proxies the shared steps use, grouped by intent. A procedure with needs of its
 * own (a long stack wait, a hook) declares its own group at the top of its file.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AwsActivities, ErrorType } from '../../activities';
import type { FleetGuardActivities } from '../../activities/fleet-guard';
import type { ApplicationHooks, HookErrorType } from '../../activities/hooks';
import { HOOKS_TASK_QUEUE } from '../../domain/task-queues';

/** Listed for the record: the activities already mark these failures non-retryable. */
const nonRetryableAws: ErrorType[] = [
  'ValidationFailed',
  'AccessDenied',
  'QuotaExceeded',
  'StackNotFound',
  'StackAlreadyExists',
  'StackOperationFailed',
  'HostedZoneNotFound',
  'InvalidChangeBatch',
  'ChangeNotFound',
  'AlarmNotFound',
  'RequestTokenConflict',
  'AwsRequestRejected',
  'EndpointMisconfigured',
];

/** One AWS request (or a short paginated read): quick, retried with backoff for a few minutes. */
export const quickAwsCall = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8, nonRetryableErrorTypes: nonRetryableAws },
} as const;

/** Waiting for Route 53 to be in sync: heartbeats every poll, resumes from the last heartbeat. */
export const waitForRoute53 = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableAws },
} as const;

/** Waiting for a CloudFormation stack: heartbeats every poll, resumes from the last heartbeat. */
export const waitForStackStable = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10s', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableAws },
} as const;

/** Talking to the fleet guard workflow through the Temporal client: quick, retried. */
export const guardCall = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
} as const;

const nonRetryableHooks: HookErrorType[] = ['HookRejected', 'HookResponseInvalid'];

/**
 * How long a hook call may wait for a hooks worker to pick it up. Without a bound, a call made
 * while no hooks worker runs (none configured, or it is down) would wait for ever, and with it a
 * procedure on its failure path; with it, the call fails with a schedule-to-start timeout.
 */
export const HOOK_SCHEDULE_TO_START = '10 minutes';

/** The application's hooks, on their own task queue (the user's worker may serve them). */
export const hookCall = {
  taskQueue: HOOKS_TASK_QUEUE,
  scheduleToStartTimeout: HOOK_SCHEDULE_TO_START,
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: nonRetryableHooks },
} as const;

/** Moving, restoring and backing up a cell's data can take long: these hooks heartbeat while they work. */
export const dataHookCall = {
  taskQueue: HOOKS_TASK_QUEUE,
  scheduleToStartTimeout: HOOK_SCHEDULE_TO_START,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: nonRetryableHooks },
} as const;

export const aws = proxyActivities<AwsActivities>(quickAwsCall);
export const route53Sync = proxyActivities<Pick<AwsActivities, 'waitForChangesInSync'>>(waitForRoute53);
export const stackWait = proxyActivities<Pick<AwsActivities, 'waitForStack'>>(waitForStackStable);
export const guard = proxyActivities<FleetGuardActivities>(guardCall);
export const hooks = proxyActivities<ApplicationHooks>(hookCall);
export const dataHooks = proxyActivities<Pick<ApplicationHooks, 'checkDataAccessible' | 'migrateCustomers' | 'restoreCustomersFromBackup' | 'backupCellData'>>(dataHookCall);
