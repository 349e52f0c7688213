import type { ApplicationHooks } from './types';

export type * from './types';
export { HookErrorType } from './hook-errors';
export { createNotifyOnlyHooks, type NotifyOnlyHooksOptions } from './notify-only';
export { createWebhookHooks, type HookInputOf, type HookName, type HookResultOf, type WebhookHooksOptions } from './webhook';

/**
 * The activities to register on the hooks worker (`HOOKS_TASK_QUEUE`), one per hook and named
 * after it, delegating to `hooks`. Methods are called on `hooks`, so a class instance works.
 */
export function hookActivities(hooks: ApplicationHooks): ApplicationHooks {
  return {
    checkDataAccessible: (input) => hooks.checkDataAccessible(input),
    backupCellData: (input) => hooks.backupCellData(input),
    migrateCustomers: (input) => hooks.migrateCustomers(input),
    restoreCustomersFromBackup: (input) => hooks.restoreCustomersFromBackup(input),
    shedLoad: (input) => hooks.shedLoad(input),
    setCircuitBreakers: (input) => hooks.setCircuitBreakers(input),
    validateDataIntegrity: (input) => hooks.validateDataIntegrity(input),
    notify: (input) => hooks.notify(input),
  };
}
