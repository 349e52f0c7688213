import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { registrySchema, type Registry } from './schema';

/** A registry that failed validation; `problems` lists every issue as `path: message`. */
export class RegistryError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid cell registry ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RegistryError';
  }
}

/** Formats a zod path as `cells[2].route53.weight`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? formatPath(issue.path) : '(root)'}: ${issue.message}`);
}

/** Validates an already-parsed registry document. Throws `RegistryError` listing every problem. */
export function parseRegistry(document: unknown, source = '<inline>'): Registry {
  const result = registrySchema.safeParse(document);
  if (!result.success) throw new RegistryError(source, describeIssues(result.error));
  return result.data;
}

/** Parses registry text (YAML, of which JSON is a subset). */
export function parseRegistryText(text: string, source = '<inline>'): Registry {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const message = err instanceof YAMLParseError ? err.message : String(err);
    throw new RegistryError(source, [`(syntax): ${message}`]);
  }
  return parseRegistry(document, source);
}

/** Reads and validates the registry file at `path`; fails at start, never later. */
export async function loadRegistry(path: string): Promise<Registry> {
  return parseRegistryText(await readFile(path, 'utf8'), path);
}
