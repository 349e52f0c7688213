/** What a procedure would do, without starting it. */
import { catalogEntry, type CatalogEntry } from '../../domain/procedures/catalog';
import type { ProcedurePlan } from '../../domain/procedures/plans/types';
import type { Registry } from '../../domain/registry/schema';
import { InvalidInputError } from './errors';

/**
 * What `entry` acts on: the cell given, for a procedure of one cell (or the new cell's id, for
 * one that builds a cell); the procedure's subject (`router`, `fleet`) for one of the whole
 * fleet, which takes no cell.
 * @throws InvalidInputError for a cell missing, or given to a procedure of the fleet.
 */
export function subjectOf(entry: CatalogEntry, cellId: string | undefined): string {
  const cell = cellId?.trim() || undefined;
  if (entry.scope === 'fleet') {
    if (cell !== undefined && cell !== entry.subject) throw new InvalidInputError(`${entry.procedure} acts on the whole fleet (${entry.subject}), not on one cell: leave out --cell`);
    return entry.subject;
  }
  if (cell === undefined) throw new InvalidInputError(entry.scope === 'new-cell' ? `${entry.procedure} builds a new cell: give its id with --cell <id>` : `${entry.procedure} acts on one cell: give --cell <id>`);
  return cell;
}

/**
 * The plan of `procedure` on `cellId` (none for a procedure of the fleet).
 * @throws UnknownProcedureError, UnknownCellError, InvalidInputError (see {@link subjectOf}).
 */
export function planProcedure(registry: Registry, procedure: string, cellId?: string): ProcedurePlan {
  const entry = catalogEntry(procedure);
  return entry.plan(registry, subjectOf(entry, cellId));
}
