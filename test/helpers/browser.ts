/**
 * @module A real browser for tests: Debian's headless Chromium (`apt-get install chromium`,
 * which `.ci/run` does) driven by playwright-core. Playwright's own browser download cannot work
 * here, so the executable is given; `CELLOPS_CHROMIUM` overrides it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian's package puts the browser. */
export const CHROMIUM_EXECUTABLE = process.env.CELLOPS_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, self-contained headless browser: no sandbox (root in CI), no GPU, no calls home. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One browser with its own fresh profile; `close()` ends it and removes the profile. */
export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab; `headers` are sent with every request it makes (an identity, for instance). */
  newPage(headers?: Record<string, string>): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with {@link CHROMIUM_FLAGS} and a fresh user data directory (a persistent
 * context on a new temporary folder, since Playwright takes the profile folder as a parameter
 * rather than as `--user-data-dir`).
 */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_EXECUTABLE)) {
    throw new Error(`no browser at ${CHROMIUM_EXECUTABLE}: install Debian's chromium (apt-get install -y chromium) or set CELLOPS_CHROMIUM`);
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'cellops-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_EXECUTABLE,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      timeout: 60_000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  // A page waits for what the procedure does, which a busy machine does slowly: each wait gets
  // most of a test's own limit rather than playwright's 30 s.
  context.setDefaultTimeout(120_000);
  return {
    context,
    async newPage(headers) {
      const page = await context.newPage();
      if (headers) await page.setExtraHTTPHeaders(headers);
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The folder a test saves its screenshots in (`test-output/<name>/`, git-ignored), created. */
export async function testOutputFolder(name: string): Promise<string> {
  const folder = path.resolve(__dirname, '../../test-output', name);
  await mkdir(folder, { recursive: true });
  return folder;
}
