/**
 * The dev server's modules form no import cycle: each module sits above what it uses. Every
 * import counts (type-only, re-exports, `require` and dynamic `import()` too), so a cycle cannot
 * hide behind `import type`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const PACKAGE_DIR = path.resolve(__dirname, '..');
/** Not the server: its tests, benchmarks and build output. */
const SKIPPED_DIRS = new Set(['test', 'bench', 'dist', 'node_modules']);

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) files.push(...sourceFiles(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(full);
    }
  }
  return files;
}

/** The file a relative specifier names (`./x` → x.ts or x/index.ts), or undefined for packages. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Module → the modules of this package it imports. */
function importGraph(files: string[], read: (file: string) => string = (file) => readFileSync(file, 'utf8')): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(read(file), true, true);
    const targets = importedFiles.map((ref) => resolveRelative(file, ref.fileName)).filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle's modules (strongly connected components of more than one module, or a module importing itself). */
function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle through a type-only import, and none in a layered graph', () => {
    const sources: Record<string, string> = {
      '/p/a.ts': "import { b } from './b';\nexport const a = b;",
      '/p/b.ts': "import type { C } from './c';\nexport const b: C = 1;",
      '/p/c.ts': "import type { A } from './a';\nexport type C = A;",
      '/p/d.ts': "import { a } from './a';\nexport const d = a;",
    };
    const files = Object.keys(sources);
    const exists = (file: string): boolean => file in sources;
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const { importedFiles } = ts.preProcessFile(sources[file], true, true);
      graph.set(file, importedFiles.map((ref) => path.resolve(path.dirname(file), `${ref.fileName}.ts`)).filter(exists));
    }
    expect(importCycles(graph)).toEqual([['/p/a.ts', '/p/b.ts', '/p/c.ts']]);
    graph.set('/p/c.ts', []);
    expect(importCycles(graph)).toEqual([]);
  });

  it('reads every kind of import of the real files', () => {
    const graph = importGraph([path.join(PACKAGE_DIR, 'engine', 'engine.ts')]);
    const targets = (graph.get(path.join(PACKAGE_DIR, 'engine', 'engine.ts')) ?? []).map((file) => path.relative(PACKAGE_DIR, file));
    expect(targets).toEqual(expect.arrayContaining(['engine/context.ts', 'engine/write-ahead.ts', 'scheduler.ts']));
  });

  it('the dev server has none', () => {
    const graph = importGraph(sourceFiles(PACKAGE_DIR));
    expect(graph.size).toBeGreaterThan(40);
    const cycles = importCycles(graph).map((cycle) => cycle.map((file) => path.relative(PACKAGE_DIR, file)).join(' → '));
    expect(cycles).toEqual([]);
  });
});
