import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
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

/** `a string`, `an object`, `null`: how a value's kind reads in a message. */
function describeKind(kind: string): string {
  const names: Record<string, string> = { int: 'an integer', object: 'an object', array: 'an array', null: 'null', undefined: 'nothing' };
  return names[kind] ?? `a ${kind}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'number';
  return typeof value;
}

/** The value as the user wrote it, shortened, for "got ..." in a message. */
function excerpt(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function got(value: unknown): string {
  const kind = kindOf(value);
  return kind === 'object' || kind === 'array' || kind === 'null' ? describeKind(kind) : `${describeKind(kind)} (${excerpt(value)})`;
}

/**
 * Replaces zod's default wording ("Invalid input: expected number, received string") with
 * messages written for someone editing `cells.yaml`. Messages set in the schema take precedence.
 */
const registryErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `missing (expected ${describeKind(issue.expected)})`;
      if (issue.expected === 'int') return `expected an integer, got ${excerpt(issue.input)}`;
      return `expected ${describeKind(issue.expected)}, got ${got(issue.input)}`;
    case 'too_small': {
      const bound = String(issue.minimum);
      if (issue.origin === 'string') return issue.minimum === 1 ? 'expected a non-empty string' : `expected at least ${bound} characters`;
      if (issue.origin === 'array') return `expected at least ${bound} item${bound === '1' ? '' : 's'}`;
      return issue.inclusive ? `expected at least ${bound}, got ${excerpt(issue.input)}` : `expected more than ${bound}, got ${excerpt(issue.input)}`;
    }
    case 'too_big': {
      const bound = String(issue.maximum);
      if (issue.origin === 'string') return `expected at most ${bound} characters`;
      if (issue.origin === 'array') return `expected at most ${bound} items`;
      return issue.inclusive ? `expected at most ${bound}, got ${excerpt(issue.input)}` : `expected less than ${bound}, got ${excerpt(issue.input)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}, got ${excerpt(issue.input)}`;
    case 'invalid_format':
      return `expected ${issue.format === 'regex' ? `a string matching ${issue.pattern ?? 'the pattern'}` : `a valid ${issue.format}`}, got ${excerpt(issue.input)}`;
    default:
      return undefined;
  }
};

function describeIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    // One line per unknown key, at the key's own path, so a typo points at itself.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
    }
    return [`${issue.path.length > 0 ? formatPath(issue.path) : '(root)'}: ${issue.message}`];
  });
}

/** Validates an already-parsed registry document. Throws `RegistryError` listing every problem. */
export function parseRegistry(document: unknown, source = '<inline>'): Registry {
  const result = registrySchema.safeParse(document, { error: registryErrorMap });
  if (!result.success) throw new RegistryError(source, describeIssues(result.error));
  return result.data;
}

/**
 * Parses registry text (YAML, of which JSON is a subset). Syntax errors are listed as
 * `line L, column C: message`, every one of them; an empty file is a problem of its own.
 */
export function parseRegistryText(text: string, source = '<inline>'): Registry {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new RegistryError(
      source,
      doc.errors.map((err) => {
        const { line, col } = lineCounter.linePos(err.pos[0]);
        const message = err.code === 'MULTIPLE_DOCS' ? 'a second YAML document (---); expected one document' : err.message;
        return `line ${line}, column ${col}: ${message}`;
      }),
    );
  }
  if (doc.contents === null) {
    throw new RegistryError(source, ['(root): the file is empty; expected fleet, router, cellTemplate and cells']);
  }
  let document: unknown;
  try {
    document = doc.toJS();
  } catch (err) {
    // Unresolved aliases and alias bombs only surface when the document is built.
    throw new RegistryError(source, [`(root): ${err instanceof Error ? err.message : String(err)}`]);
  }
  return parseRegistry(document, source);
}

/** Reads and validates the registry file at `path`; fails at start, never later. */
export async function loadRegistry(path: string): Promise<Registry> {
  return parseRegistryText(await readFile(path, 'utf8'), path);
}
