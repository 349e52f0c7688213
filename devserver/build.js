// Compiles the dev server into one JavaScript file (devserver/dist/main.js) with esbuild, so
// that the executable starts without transpiling TypeScript. `npm run build:devserver` (run by
// `prepare` on install) builds it; the executable rebuilds it when a source is newer.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const SOURCE_DIR = __dirname;
const DIST_DIR = path.join(__dirname, 'dist');
const ENTRY = path.join(__dirname, 'main.ts');
/** The compiled entry point: exports `main(argv)` like main.ts. */
const COMPILED_ENTRY = path.join(DIST_DIR, 'main.js');

/** The newest modification time (ms) among the dev server's TypeScript sources. */
function newestSourceMtimeMs(dir = SOURCE_DIR) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (entry.name === 'dist' || entry.name === 'node_modules') continue;
      newest = Math.max(newest, newestSourceMtimeMs(path.join(dir, entry.name)));
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, fs.statSync(path.join(dir, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** True when the compiled file exists and no source is newer. */
function isCompiledFresh() {
  let builtMs;
  try {
    builtMs = fs.statSync(COMPILED_ENTRY).mtimeMs;
  } catch {
    return false;
  }
  return builtMs >= newestSourceMtimeMs();
}

/**
 * Builds dist/main.js. Writes a private file first and renames it, so servers starting at the
 * same time never load a half-written build.
 */
function buildDevServer() {
  const esbuild = require('esbuild');
  fs.mkdirSync(DIST_DIR, { recursive: true });
  const temporary = path.join(DIST_DIR, `main.${process.pid}.${Date.now()}.js`);
  try {
    esbuild.buildSync({
      entryPoints: [ENTRY],
      outfile: temporary,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      // Packages stay in node_modules, loaded as they are.
      packages: 'external',
      logLevel: 'warning',
    });
    fs.renameSync(temporary, COMPILED_ENTRY);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return COMPILED_ENTRY;
}

/**
 * The compiled entry point, rebuilt first when missing or older than a source; undefined when it
 * cannot be built (no esbuild), in which case the caller runs the TypeScript sources.
 */
function compiledEntry() {
  if (isCompiledFresh()) return COMPILED_ENTRY;
  try {
    return buildDevServer();
  } catch (err) {
    process.stderr.write(`temporal-dev: running the TypeScript sources, the build failed: ${err && err.message}\n`);
    return undefined;
  }
}

module.exports = { COMPILED_ENTRY, buildDevServer, compiledEntry, isCompiledFresh };

if (require.main === module) {
  buildDevServer();
  process.stdout.write(`built ${path.relative(process.cwd(), COMPILED_ENTRY)}\n`);
}
