import { ApplicationFailure } from '@temporalio/common';
import { HookErrorType } from '../activities/hooks/hook-errors';
import type { ApplicationHooks, HookInput } from '../activities/hooks/types';
import { internalsOf, type SimulatedFleet } from './fleet';
import type { SimCell } from './model/cells';
import type { FleetModel } from './model/fleet-model';
import { isServingStatus } from './model/stacks';

const rejected = (message: string): ApplicationFailure => ApplicationFailure.create({ type: HookErrorType.HookRejected, message, nonRetryable: true });
const unavailable = (message: string): ApplicationFailure => ApplicationFailure.create({ type: HookErrorType.HookUnavailable, message, nonRetryable: false });

function requireCell(model: FleetModel, cellId: string): SimCell {
  const cell = model.cells.get(cellId);
  if (cell === undefined) throw rejected(`unknown cell "${cellId}"; the fleet has ${[...model.cells.keys()].join(', ')}`);
  return cell;
}

function inaccessibleReason(model: FleetModel, cellId: string): string | undefined {
  const fault = model.fault('data-inaccessible', (spec) => spec.cellId === cellId);
  return fault === undefined ? undefined : (fault.spec.reason ?? `the data store of ${cellId} does not answer`);
}

/** A target must serve before customers can land on it; a cell still being built will, later. */
function requireServing(model: FleetModel, cell: SimCell): void {
  const name = model.stackNameOf(cell);
  const status = name === undefined ? undefined : model.stacks.find(name)?.status;
  if (!isServingStatus(status)) throw unavailable(`cell ${cell.id} is not serving (stack ${name ?? 'none'}: ${status ?? 'missing'})`);
}

const copy = <T>(value: T): T => structuredClone(value);

/**
 * {@link ApplicationHooks} over a simulated fleet: customers move between cells, backups are
 * taken and restored (the restore records its data-loss window), load shedding and circuit
 * breakers change the traffic the cells see, integrity checks and data access can be faulted,
 * notifications are kept. A call repeating a request token returns the first call's result
 * without acting again. Failures are `ApplicationFailure`s typed `HookRejected` (not retryable)
 * or `HookUnavailable`, like the webhook hooks'.
 */
export function createSimulatedHooks(fleet: SimulatedFleet): ApplicationHooks {
  const { model, calls } = internalsOf(fleet);

  async function run<I extends HookInput, O>(hook: keyof ApplicationHooks, input: I, act: (now: number) => O): Promise<O> {
    const now = model.advance();
    const finish = calls.begin('hooks', hook, input, now);
    try {
      const failure = model.fault('hook-failure', (spec) => spec.hook === undefined || spec.hook === hook);
      if (failure !== undefined) {
        model.useFault(failure);
        const message = failure.spec.message ?? `${hook} failed (injected)`;
        throw failure.spec.type === 'HookRejected' ? rejected(message) : unavailable(message);
      }
      if (typeof input.requestToken !== 'string' || input.requestToken === '') throw rejected(`${hook}: requestToken is required`);
      const key = `${hook}:${input.requestToken}`;
      if (model.hooks.results.has(key)) {
        finish({ outcome: 'ok', replayed: true }, model.now());
        return copy(model.hooks.results.get(key) as O);
      }
      const result = act(now);
      model.hooks.results.set(key, copy(result));
      model.touch();
      finish({ outcome: 'ok' }, model.now());
      return await Promise.resolve(result);
    } catch (err) {
      finish({ outcome: err instanceof ApplicationFailure ? (err.type ?? err.name) : err instanceof Error ? err.name : 'Error' }, model.now());
      throw err;
    }
  }

  const customersOf = (cellId: string): number => model.hooks.customers.get(cellId) ?? 0;

  return {
    checkDataAccessible: (input) =>
      run('checkDataAccessible', input, () => {
        requireCell(model, input.cellId);
        const reason = inaccessibleReason(model, input.cellId);
        return reason === undefined ? { accessible: true } : { accessible: false, reason };
      }),

    backupCellData: (input) =>
      run('backupCellData', input, (now) => {
        requireCell(model, input.cellId);
        const reason = inaccessibleReason(model, input.cellId);
        if (reason !== undefined) throw rejected(`cannot back up ${input.cellId}: ${reason}`);
        const backup = { backupId: `backup-${input.cellId}-${model.random.hex(10)}`, cellId: input.cellId, takenAt: now, customers: customersOf(input.cellId) };
        model.hooks.backups.push(backup);
        return { backupId: backup.backupId, takenAt: new Date(now).toISOString() };
      }),

    migrateCustomers: (input) =>
      run('migrateCustomers', input, (now) => {
        requireCell(model, input.fromCellId);
        const to = requireCell(model, input.toCellId);
        if (input.fromCellId === input.toCellId) throw rejected(`cannot migrate ${input.fromCellId} onto itself`);
        const reason = inaccessibleReason(model, input.fromCellId);
        if (reason !== undefined) throw rejected(`cannot read customers of ${input.fromCellId}: ${reason}`);
        requireServing(model, to);
        if (input.customers !== undefined && !(Number.isInteger(input.customers) && input.customers >= 0)) throw rejected(`customers must be a whole number >= 0, got ${input.customers}`);
        const moved = Math.min(input.customers ?? Number.POSITIVE_INFINITY, customersOf(input.fromCellId));
        model.hooks.customers.set(input.fromCellId, customersOf(input.fromCellId) - moved);
        model.hooks.customers.set(input.toCellId, customersOf(input.toCellId) + moved);
        model.hooks.migrations.push({ fromCellId: input.fromCellId, toCellId: input.toCellId, customers: moved, at: now });
        return { migratedCustomers: moved };
      }),

    restoreCustomersFromBackup: (input) =>
      run('restoreCustomersFromBackup', input, (now) => {
        requireCell(model, input.fromCellId);
        const to = requireCell(model, input.toCellId);
        const backup = model.hooks.backups.filter((b) => b.cellId === input.fromCellId && b.takenAt <= now).sort((a, b) => b.takenAt - a.takenAt)[0];
        if (backup === undefined) throw rejected(`no backup of ${input.fromCellId} to restore from`);
        requireServing(model, to);
        model.hooks.customers.set(input.fromCellId, 0);
        model.hooks.customers.set(input.toCellId, customersOf(input.toCellId) + backup.customers);
        model.hooks.restores.push({
          fromCellId: input.fromCellId,
          toCellId: input.toCellId,
          backupId: backup.backupId,
          backupTakenAt: backup.takenAt,
          restoredAt: now,
          restoredCustomers: backup.customers,
          dataLossMs: now - backup.takenAt,
        });
        return { restoredCustomers: backup.customers, backupId: backup.backupId, backupTakenAt: new Date(backup.takenAt).toISOString() };
      }),

    shedLoad: (input) =>
      run('shedLoad', input, (now) => {
        if (!(Number.isFinite(input.percent) && input.percent >= 0 && input.percent <= 100)) throw rejected(`percent must be 0-100, got ${input.percent}`);
        model.hooks.shedding.push({ at: now, percent: input.percent });
        return { sheddingPercent: input.percent };
      }),

    setCircuitBreakers: (input) =>
      run('setCircuitBreakers', input, (now) => {
        if (input.state !== 'open' && input.state !== 'closed') throw rejected(`state must be open or closed, got ${String(input.state)}`);
        for (const cellId of input.cellIds) requireCell(model, cellId);
        for (const cellId of input.cellIds) model.hooks.breakers.push({ at: now, cellId, open: input.state === 'open' });
        return { cellIds: [...input.cellIds], state: input.state };
      }),

    validateDataIntegrity: (input) =>
      run('validateDataIntegrity', input, () => {
        requireCell(model, input.cellId);
        const checked = customersOf(input.cellId);
        const fault = model.fault('integrity-failure', (spec) => spec.cellId === input.cellId);
        if (fault === undefined) return { ok: true, checkedCustomers: checked, problems: [] };
        return { ok: false, checkedCustomers: checked, problems: fault.spec.problems ?? [`${input.cellId}: orders reference payments that do not exist`] };
      }),

    notify: (input) =>
      run('notify', input, (now) => {
        if (!['info', 'warning', 'critical'].includes(input.severity)) throw rejected(`severity must be info, warning or critical, got ${String(input.severity)}`);
        const { severity, subject, message, workflowId, requestToken } = input;
        model.hooks.notifications.push({ at: now, severity, subject, message, workflowId, requestToken });
        return { delivered: true };
      }),
  };
}
