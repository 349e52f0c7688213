import type { Cell, Registry } from './schema';

/** Provisioning a cell the registry already lists. */
export class CellAlreadyExistsError extends Error {
  constructor(readonly cellId: string) {
    super(`${cellId} is already a cell of the registry: provision a new cell under a new id`);
    this.name = 'CellAlreadyExistsError';
  }
}

/** A cell id that is not in the registry; `knownIds` lists the ones that are. */
export class UnknownCellError extends Error {
  constructor(
    readonly cellId: string,
    readonly knownIds: readonly string[],
  ) {
    super(`unknown cell "${cellId}"; the registry has ${knownIds.join(', ')}`);
    this.name = 'UnknownCellError';
  }
}

/**
 * The cell with id `cellId`.
 * @throws UnknownCellError naming the ids the registry does have.
 */
export function findCell(registry: Registry, cellId: string): Cell {
  const cell = registry.cells.find((c) => c.id === cellId);
  if (!cell) throw new UnknownCellError(cellId, registry.cells.map((c) => c.id));
  return cell;
}

/**
 * Every cell except `cellId`, in registry order: where its customers and traffic can go.
 * @throws UnknownCellError if `cellId` is not a cell, rather than returning the whole fleet.
 */
export function otherCells(registry: Registry, cellId: string): Cell[] {
  findCell(registry, cellId);
  return registry.cells.filter((c) => c.id !== cellId);
}

/** The cells in recovery order: lowest `priority` first, registry order among equals. */
export function cellsByPriority(registry: Registry): Cell[] {
  // Array.prototype.sort is stable, so ties keep registry order; copy to leave the registry as is.
  return [...registry.cells].sort((a, b) => a.priority - b.priority);
}

/** Requests per second the whole fleet serves with every cell in service. */
export function fleetCapacity(registry: Registry): number {
  return registry.cells.reduce((sum, cell) => sum + cell.capacity, 0);
}

/** Where a cell's regional AWS calls go: its region, and the role for its account if it names one. */
export function awsTarget(cell: Pick<Cell, 'region' | 'roleArn'>): { region: string; roleArn?: string } {
  return cell.roleArn === undefined ? { region: cell.region } : { region: cell.region, roleArn: cell.roleArn };
}
