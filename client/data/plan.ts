/** What a procedure would do, without starting it. */
import { catalogEntry } from '../../domain/procedures/catalog';
import type { ProcedurePlan } from '../../domain/procedures/plans/types';
import type { Registry } from '../../domain/registry/schema';

/**
 * The plan of `procedure` on `cellId`.
 * @throws UnknownProcedureError, UnknownCellError.
 */
export function planProcedure(registry: Registry, procedure: string, cellId: string): ProcedurePlan {
  return catalogEntry(procedure).plan(registry, cellId);
}
