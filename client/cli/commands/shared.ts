/** Helpers several commands use. */
import { InvalidInputError } from '../../data/errors';
import type { Registry } from '../../../domain/registry/schema';
import type { CommandContext } from '../context';

/** The registry, or undefined when it cannot be read (views then go without the planned steps). */
export async function registryIfReadable(ctx: CommandContext): Promise<Registry | undefined> {
  return await ctx.loadRegistry().catch(() => undefined);
}

/** Who acts, or a usage error saying how to say it. */
export function requireIdentity(ctx: CommandContext, by: string | undefined, what: string): string {
  const who = ctx.identity(by);
  if (!who) throw new InvalidInputError(`who ${what} is unknown: give --by or set CELLOPS_USER`);
  return who;
}
