/**
 * The console in a real browser (Debian's headless Chromium through playwright-core) against the
 * dev server, the real cellops workers and the simulated fleet. The console is served by the alarm
 * gateway on a real port (127.0.0.1:0); identities come from the proxy header, the test playing
 * the authenticating proxy on 127.0.0.1. Screenshots of each page are saved in test-output/console/.
 *
 * Time skipping stays locked while people look at a procedure (its timers run in real time, so
 * the approval gate and the first drain pause hold still), and is unlocked by waiting for the
 * procedure's result when it should run to its end.
 */
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { consolePlugin } from '../../client/console/plugin';
import { startGateway, type RunningGateway } from '../../client/gateway/server';
import { createAwsFleetReader } from '../../client/data/aws-fleet-reader';
import { startProcedure } from '../../client/start-procedure';
import type { ProcedureReport } from '../../domain/procedures/report';
import type { Registry } from '../../domain/registry/schema';
import type { CellopsWorkers } from '../../workers/create-worker';
import { launchBrowser, testOutputFolder, type TestBrowser } from '../helpers/browser';
import { bundleCellopsWorkflows, createFleetWorkers, createTestFleet, exampleRegistry, PROCEDURE_SEARCH_ATTRIBUTES, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';

jest.setTimeout(240_000);

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let fleet: TestFleet;
let workers: CellopsWorkers;
let workersRunning: Promise<void>;
let gateway: RunningGateway;
let consoleUrl: string;
let browser: TestBrowser;
let output: string;

/** The example fleet, with the restart gated by an approval (four-eyes, as the example policy has it). */
function gatedRegistry(): Registry {
  const registry = structuredClone(exampleRegistry());
  registry.policies.approvals.required = ['restart', ...registry.policies.approvals.required];
  return registry;
}

beforeAll(async () => {
  // The server first, alone: it must answer within the SDK's start limit on a busy machine.
  env = await createTimeSkippingTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
  [bundle, browser, output] = await Promise.all([bundleCellopsWorkflows(), launchBrowser(), testOutputFolder('console')]);
  fleet = await createTestFleet(env, { registry: gatedRegistry() });
  workers = await createFleetWorkers(env, fleet, { bundle });
  workersRunning = workers.run();
  // The console as the gateway serves it: registered on the gateway's app, on a real port.
  const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
  gateway = await startGateway({
    port: 0,
    deps: { client, namespace: env.namespace ?? 'default', registry: fleet.registry, sns: false, logger: pino({ level: 'silent' }) },
    register: async (app) => {
      await app.register(consolePlugin, {
        prefix: '/console',
        // A plain client, as in production: the test environment's own client unlocks time skipping
        // whenever it waits for a result, which the console does for every ended procedure it shows.
        client,
        registry: fleet.registry,
        fleetReader: createAwsFleetReader(fleet.clients, 'the simulated fleet'),
        access: { trustedProxies: ['127.0.0.1'] },
        pollMs: 400,
      });
    },
  });
  consoleUrl = `${gateway.url}/console`;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  if (env) await terminateRunning(env.client);
  workers?.shutdown();
  await workersRunning?.catch(() => undefined);
  await env?.teardown();
});

/** A tab as `user`, whose requests carry the header the authenticating proxy would set. */
async function tabAs(user: string, url: string): Promise<Page> {
  const page = await browser.newPage({ 'X-Forwarded-User': user });
  await page.goto(url);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(output, `${name}.png`), fullPage: true });
}

/**
 * Records, inside the page, every state and current step it shows, and marks the document so a
 * reload would show. Browser code is passed as text: the test's TypeScript has no DOM types.
 */
async function watchProcedurePage(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.loadedOnce = true;
    window.seen = [];
    const note = () => {
      const entry = (document.querySelector('#state')?.textContent ?? '') + ':' + (document.querySelector('#current-step')?.textContent ?? '');
      if (window.seen[window.seen.length - 1] !== entry) window.seen.push(entry);
    };
    note();
    new MutationObserver(note).observe(document.body, { childList: true, subtree: true, characterData: true });
  })()`);
}

const seen = (page: Page) => page.evaluate<string[]>('window.seen');
const stillTheSameDocument = (page: Page) => page.evaluate<boolean>('window.loadedOnce === true');

test('an operator watches a cell restart, approves its gate (the requester cannot), aborts another, and sees how they ended', async () => {
  // The fleet page: three cells in service, no procedure, no permit in use.
  const fleetTab = await tabAs(BOB, `${consoleUrl}/fleet`);
  await fleetTab.locator('article.tile').first().waitFor();
  expect(await fleetTab.locator('article.tile h3 a').allTextContents()).toEqual(['cell-001', 'cell-002', 'cell-003']);
  expect(await fleetTab.locator('[data-traffic]').allTextContents()).toEqual(['in service', 'in service', 'in service']);
  expect(await fleetTab.locator('#permits-in-use').textContent()).toBe('0 of 1');
  await screenshot(fleetTab, '1-fleet');

  // Alice starts a restart of cell-002 (as the CLI or an alarm would), and one of cell-001 with HTML in its reason.
  const restart = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002', { requestedBy: ALICE, reason: 'HighErrorRate on cell-002' }) });
  const other = await startProcedure(env.client, {
    procedure: 'cellRestart',
    input: fleet.input('cell-001', { requestedBy: ALICE, reason: 'drill <img src=x onerror="window.injected=1"> <b>bold</b>' }),
  });

  // The fleet page links the procedure without a reload.
  await fleetTab.locator('[data-cell="cell-002"] a.procedure-link').waitFor();

  // Bob follows the link and watches the restart reach its gate.
  await fleetTab.locator('[data-cell="cell-002"] a.procedure-link').click();
  const bobTab = fleetTab;
  await bobTab.waitForURL(`${consoleUrl}/procedures/${restart.workflowId}`);
  await watchProcedurePage(bobTab);
  await bobTab.locator('#state', { hasText: 'awaiting-approval' }).waitFor();
  expect(await bobTab.locator('#approval-step').textContent()).toBe('restart');
  await screenshot(bobTab, '2-procedure-awaiting-approval');

  // Alice, who asked for the restart, cannot approve it: the page says why, and the gate still waits.
  const aliceTab = await tabAs(ALICE, `${consoleUrl}/procedures/${restart.workflowId}`);
  await aliceTab.locator('#approval-reason').fill('looks fine to me');
  await aliceTab.locator('button.approve').click();
  await aliceTab.locator('#notice.error', { hasText: 'four-eyes' }).waitFor();
  expect(await aliceTab.locator('#notice').textContent()).toContain(`${ALICE} requested this procedure and cannot approve it`);
  await screenshot(aliceTab, '3-four-eyes-refusal');
  expect(await bobTab.locator('#state').textContent()).toBe('awaiting-approval');

  // Bob aborts the other restart from its page; it ends aborted with cell-001 in service.
  const otherTab = await tabAs(BOB, `${consoleUrl}/procedures/${other.workflowId}`);
  await otherTab.locator('#state', { hasText: 'awaiting-approval' }).waitFor();
  otherTab.on('dialog', (dialog) => void dialog.accept());
  await otherTab.locator('#control-reason').fill('not needed after all');
  await otherTab.locator('button.abort').click();
  await otherTab.locator('#notice.ok', { hasText: 'Abort sent' }).waitFor();
  await otherTab.locator('#report-outcome', { hasText: 'aborted' }).waitFor();
  expect(await otherTab.locator('#report-cell-state').textContent()).toBe('in-service');
  expect(await otherTab.locator('#report-panel').textContent()).toContain('drill <img src=x onerror="window.injected=1"> <b>bold</b>');
  expect(await otherTab.locator('#report-panel img').count()).toBe(0);
  expect(await otherTab.evaluate<string>('typeof window.injected')).toBe('undefined');
  await screenshot(otherTab, '4-procedure-aborted');

  // Bob approves the restart: it goes on to drain the cell (time is held, so the first drain pause lasts).
  await bobTab.locator('#approval-reason').fill('error rate confirmed, restart approved');
  await bobTab.locator('button.approve').click();
  await bobTab.locator('#notice.ok', { hasText: `Approved restart as ${BOB}` }).waitFor();
  await bobTab.locator('#current-step', { hasText: 'drain-traffic' }).waitFor();
  expect(await bobTab.locator('#progress').textContent()).toMatch(/^\s*\d+\/\d+ steps$/);
  await bobTab.locator('#chart svg').waitFor();
  await screenshot(bobTab, '5-procedure-draining');

  // Meanwhile the fleet page shows cell-002 partly drained, its procedure's step and the permit it holds.
  const fleetDuring = await tabAs(BOB, `${consoleUrl}/fleet`);
  await fleetDuring.locator('[data-cell="cell-002"] [data-weight="75"]').waitFor();
  expect(await fleetDuring.locator('[data-cell="cell-002"] [data-traffic]').textContent()).toBe('partly drained');
  expect(await fleetDuring.locator('[data-cell="cell-002"]').textContent()).toContain('drain-traffic');
  expect(await fleetDuring.locator('#permits-in-use').textContent()).toBe('1 of 1');
  await screenshot(fleetDuring, '6-fleet-during');

  // Time runs again: the restart goes to its end while Bob's page keeps up.
  const report = (await env.client.workflow.getHandle(restart.workflowId).result()) as ProcedureReport;
  expect(report).toMatchObject({ outcome: 'completed', cellEndState: 'in-service' });
  await bobTab.locator('#report-outcome', { hasText: 'completed' }).waitFor();
  expect(await stillTheSameDocument(bobTab)).toBe(true);
  const states = await seen(bobTab);
  const order = ['awaiting-approval:approve-restart', 'running:drain-traffic', 'completed:—'];
  const positions = order.map((entry) => states.indexOf(entry));
  expect(positions.every((p) => p >= 0)).toBe(true);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(Number(await bobTab.locator('#chart svg').getAttribute('data-samples'))).toBeGreaterThanOrEqual(8);
  expect(await bobTab.locator('ol.steps li[data-status="done"]').count()).toBe(report.steps.filter((s) => s.status === 'done').length);
  expect(await bobTab.locator('table').textContent()).toContain(BOB);
  await screenshot(bobTab, '7-procedure-completed');

  // The end state, on the procedures and fleet pages: both ended, every cell back in service, no permit held.
  const listTab = await tabAs(BOB, `${consoleUrl}/procedures?procedure=cellRestart`);
  for (const id of [restart.workflowId, other.workflowId]) {
    expect(await listTab.locator(`tr[data-workflow-id="${id}"] .badge`).textContent()).toBe('completed');
  }
  await screenshot(listTab, '8-procedures');
  await listTab.goto(`${consoleUrl}/fleet`);
  expect(await listTab.locator('[data-traffic]').allTextContents()).toEqual(['in service', 'in service', 'in service']);
  expect(await listTab.locator('#permits-in-use').textContent()).toBe('0 of 1');
  await screenshot(listTab, '9-fleet-after');
  expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100 });
});
