/**
 * Application hooks: the recovery steps that only the operated system itself can carry out.
 * They run as activities on `HOOKS_TASK_QUEUE`, so a user's service can implement them with
 * its own worker. Every input carries `requestToken`, derived by the workflow from its id and
 * the step: a hook called twice with the same token must act once.
 */

export interface HookInput {
  /** Stable across retries and replays: the workflow id plus the step name. */
  requestToken: string;
}

export interface CheckDataAccessibleInput extends HookInput {
  cellId: string;
}
export interface CheckDataAccessibleResult {
  accessible: boolean;
  reason?: string;
}

export interface BackupCellDataInput extends HookInput {
  cellId: string;
}
export interface BackupCellDataResult {
  backupId: string;
  /** ISO-8601 time of the backup's consistency point. */
  takenAt: string;
}

export interface MigrateCustomersInput extends HookInput {
  fromCellId: string;
  toCellId: string;
  /** Only this many of `fromCellId`'s customers (those it took in earlier); default all of them. */
  customers?: number;
}
export interface MigrateCustomersResult {
  migratedCustomers: number;
}

export interface RestoreCustomersFromBackupInput extends HookInput {
  fromCellId: string;
  toCellId: string;
}
export interface RestoreCustomersFromBackupResult {
  restoredCustomers: number;
  backupId: string;
  /** ISO-8601 time of the backup restored from: writes after it are lost. */
  backupTakenAt: string;
}

export interface ShedLoadInput extends HookInput {
  /** Share of non-critical requests to reject, 0-100. */
  percent: number;
}
export interface ShedLoadResult {
  sheddingPercent: number;
}

export interface CircuitBreakersInput extends HookInput {
  cellIds: string[];
  state: 'open' | 'closed';
}
export interface CircuitBreakersResult {
  cellIds: string[];
  state: 'open' | 'closed';
}

export interface ValidateDataIntegrityInput extends HookInput {
  cellId: string;
}
export interface ValidateDataIntegrityResult {
  ok: boolean;
  checkedCustomers: number;
  problems: string[];
}

export interface NotifyInput extends HookInput {
  severity: 'info' | 'warning' | 'critical';
  subject: string;
  message: string;
  /** The workflow the notification is about, for links back to it. */
  workflowId: string;
}
export interface NotifyResult {
  delivered: boolean;
}

/** The hooks an application implements; each is registered as an activity of the same name. */
export interface ApplicationHooks {
  checkDataAccessible(input: CheckDataAccessibleInput): Promise<CheckDataAccessibleResult>;
  backupCellData(input: BackupCellDataInput): Promise<BackupCellDataResult>;
  migrateCustomers(input: MigrateCustomersInput): Promise<MigrateCustomersResult>;
  restoreCustomersFromBackup(input: RestoreCustomersFromBackupInput): Promise<RestoreCustomersFromBackupResult>;
  shedLoad(input: ShedLoadInput): Promise<ShedLoadResult>;
  setCircuitBreakers(input: CircuitBreakersInput): Promise<CircuitBreakersResult>;
  validateDataIntegrity(input: ValidateDataIntegrityInput): Promise<ValidateDataIntegrityResult>;
  notify(input: NotifyInput): Promise<NotifyResult>;
}
