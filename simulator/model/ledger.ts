import type { Registry } from '../../domain/registry/schema';

/** A backup a hook took: how many customers the cell had at `takenAt`. */
export interface BackupRecord {
  backupId: string;
  cellId: string;
  takenAt: number;
  customers: number;
}
/** A restore from a backup onto another cell. */
export interface RestoreRecord {
  fromCellId: string;
  toCellId: string;
  backupId: string;
  backupTakenAt: number;
  restoredAt: number;
  restoredCustomers: number;
  /** Writes between the backup and the restore are lost. */
  dataLossMs: number;
}
/** Customers moved from one cell to another. */
export interface MigrationRecord {
  fromCellId: string;
  toCellId: string;
  customers: number;
  at: number;
}
/** A notification the notify hook delivered. */
export interface NotificationRecord {
  at: number;
  severity: string;
  subject: string;
  message: string;
  workflowId: string;
  requestToken: string;
}

/** The application's side of the fleet, which the simulated hooks act on. */
export interface HookLedger {
  customers: Map<string, number>;
  backups: BackupRecord[];
  restores: RestoreRecord[];
  migrations: MigrationRecord[];
  notifications: NotificationRecord[];
  shedding: { at: number; percent: number }[];
  breakers: { at: number; cellId: string; open: boolean }[];
  /** First results by hook and request token. */
  results: Map<string, unknown>;
}

/** The ledger at the start: the registry's customer counts, nothing else yet. */
export function createLedger(registry: Registry): HookLedger {
  return {
    customers: new Map(registry.cells.map((c) => [c.id, c.customers])),
    backups: [],
    restores: [],
    migrations: [],
    notifications: [],
    shedding: [],
    breakers: [],
    results: new Map(),
  };
}
