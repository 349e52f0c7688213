/**
 * The operator console: web pages for the fleet, the procedures and one procedure, served by
 * the alarm gateway's Fastify app (`app.register(consolePlugin, { prefix: '/console', ... })`).
 * The pages read and act through the same data functions as the CLI (`client/data/`), so the
 * four-eyes rule and every refusal are the procedure's own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PROCEDURE_CATALOG } from '../../domain/procedures/catalog';
import type { Registry } from '../../domain/registry/schema';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { abort, approve, pause, reject, resume } from '../data/actions';
import { ActionRefusedError, InvalidInputError, ProcedureNotFoundError } from '../data/errors';
import { getFleetView, type FleetReader } from '../data/fleet';
import { EXECUTION_STATUSES, listProcedures } from '../data/list';
import { getDrainPermits } from '../data/permits';
import { getProcedure } from '../data/procedure';
import { DEFAULT_WEB_UI_URL, workflowWebUiUrl } from '../data/web-ui';
import { AccessRefused, ConsoleAccess, CSRF_FIELD, type ConsoleAccessOptions, type Identity } from './access';
import { html, SafeHtml } from './html';
import { fleetPage } from './pages/fleet';
import { page } from './pages/layout';
import { procedurePage, procedurePageIsLive } from './pages/procedure';
import { proceduresPage, type ProcedureListRow } from './pages/procedures';

export interface ConsoleOptions {
  /** The Temporal client the gateway already has. */
  client: Client;
  /** The fleet the Fleet page shows (a function when the registry can change while the console runs). */
  registry: Registry | (() => Registry);
  /** Where live weights and alarms are read (AWS or the simulator); without one they show unknown. */
  fleetReader?: FleetReader;
  /** What the Fleet page says when there is no reader. */
  fleetUnavailable?: string;
  /** Who may read and who may change (see {@link ConsoleAccessOptions}). */
  access?: ConsoleAccessOptions;
  /** The Temporal Web UI the procedure page links to. Default {@link DEFAULT_WEB_UI_URL}. */
  webUiUrl?: string;
  /** How often pages refresh their live parts, in milliseconds. Default 2000. */
  pollMs?: number;
}

type Action = 'approve' | 'reject' | 'pause' | 'resume' | 'abort';
const ACTIONS: readonly Action[] = ['approve', 'reject', 'pause', 'resume', 'abort'];
const ASSETS: Record<string, { file: string; type: string }> = {
  'console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  'console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const MAX_TEXT = 500;

/** A form field: one string, bounded. */
function field(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidInputError(`${name}: expected one value`);
  if (value.length > MAX_TEXT) throw new InvalidInputError(`${name}: at most ${MAX_TEXT} characters`);
  return value;
}

export const consolePlugin: FastifyPluginCallback<ConsoleOptions> = (app: FastifyInstance, options: ConsoleOptions, done) => {
  const { client } = options;
  const access = new ConsoleAccess(options.access);
  const base = app.prefix;
  const pollMs = options.pollMs ?? 2_000;
  const webUi = options.webUiUrl ?? DEFAULT_WEB_UI_URL;
  const registryNow = (): Registry => (typeof options.registry === 'function' ? options.registry() : options.registry);
  const runbook = (procedure: string | undefined, cellId: string | undefined) => runbookSteps(registryNow(), procedure, cellId);
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([name, asset]) => [name, { ...asset, body: readFileSync(path.join(__dirname, 'assets', asset.file), 'utf8') }]),
  );

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    const params = new URLSearchParams(body as string);
    const fields: Record<string, string | string[]> = {};
    for (const key of new Set(params.keys())) {
      const values = params.getAll(key);
      fields[key] = values.length === 1 ? values[0] : values;
    }
    done(null, fields);
  });

  app.addHook('onRequest', async (_request, reply) => {
    void reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-store');
  });

  // Every page: reading allowed? Then the frame with the identity and a form token.
  // `live: false` (an ended procedure) stops the page's refreshing.
  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    frame: { title: string; section: 'fleet' | 'procedures' },
    body: (ctx: { identity?: Identity; formToken?: string }) => Promise<SafeHtml | { content: SafeHtml; live: boolean }>,
  ) => {
    access.checkRead(request);
    const identity = access.identify(request);
    const formToken = access.issueFormToken(request, reply, identity);
    const rendered = await body({ identity, formToken });
    const { content, live } = rendered instanceof SafeHtml ? { content: rendered, live: true } : rendered;
    return reply.type('text/html; charset=utf-8').send(page({ ...frame, base, identity, pollMs: live ? pollMs : 0 }, content));
  };

  app.setErrorHandler(async (err: Error & { statusCode?: number }, request, reply) => {
    const status = statusOf(err);
    if (status >= 500) request.log.error({ err }, 'console request failed');
    const message = status >= 500 ? 'the console could not do that: see its log' : err.message;
    const wantsJson = (request.headers.accept ?? '').includes('application/json');
    if (wantsJson) return reply.status(status).type('application/json').send({ ok: false, message });
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(page({ title: 'Refused', section: 'procedures', base, pollMs: 0 }, html`<h1>Not done</h1><p class="notice error" id="error">${message}</p><p><a href="${base}/procedures">Back to the procedures</a></p>`));
  });

  app.get('/', async (_request, reply) => reply.redirect(`${base}/fleet`));

  app.get('/fleet', async (request, reply) =>
    render(request, reply, { title: 'Fleet', section: 'fleet' }, async () => {
      const registry = registryNow();
      const [fleet, permits] = await Promise.all([getFleetView(client, { registry, reader: options.fleetReader, unavailable: options.fleetUnavailable }), getDrainPermits(client, registry)]);
      return fleetPage({ fleet, permits, base });
    }),
  );

  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = assets[request.params.name];
    if (!asset) return reply.status(404).type('text/plain').send('no such asset');
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/procedures', async (request, reply) =>
    render(request, reply, { title: 'Procedures', section: 'procedures' }, async () => {
      const q = request.query;
      const filter = { cell: text(q.cell), procedure: text(q.procedure), status: text(q.status) };
      let rows: ProcedureListRow[] = [];
      let truncated = false;
      let error: string | undefined;
      try {
        const list = await listProcedures(client, { cellId: filter.cell, procedure: filter.procedure, status: filter.status, limit: 50 });
        truncated = list.truncated;
        rows = list.rows.map((row) => ({ ...row, ...progressOf(runbook(row.procedure ?? row.workflowType, row.cellId), row.step, row.status) }));
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        error = err.message;
      }
      return proceduresPage({ filter, rows, truncated, error, procedureNames: PROCEDURE_CATALOG.map((entry) => entry.procedure), statuses: EXECUTION_STATUSES, base });
    }),
  );

  app.get<{ Params: { workflowId: string } }>('/procedures/:workflowId', async (request, reply) =>
    render(request, reply, { title: request.params.workflowId, section: 'procedures' }, async ({ formToken }) => {
      const view = await getProcedure(client, request.params.workflowId, { queryTimeoutMs: 3_000, endedTraffic: true, registry: registryNow() });
      const planned = runbook(view.procedure ?? view.workflowType, view.cellId);
      const content = procedurePage({ view, plannedSteps: planned, webUiUrl: workflowWebUiUrl(webUi, view.namespace, view.workflowId, view.runId), formToken, base, now: Date.now() });
      return { content, live: procedurePageIsLive(view) };
    }),
  );

  app.post<{ Params: { workflowId: string; action: string } }>('/procedures/:workflowId/:action', async (request, reply) => {
    const action = ACTIONS.find((a) => a === request.params.action);
    if (!action) return reply.status(404).type('text/plain').send('no such action');
    const identity = access.checkChange(request, field(request.body, CSRF_FIELD));
    const { workflowId } = request.params;
    const reason = field(request.body, 'reason') ?? '';
    const by = identity.name;
    let message: string;
    switch (action) {
      case 'approve':
      case 'reject': {
        const decide = action === 'approve' ? approve : reject;
        const result = await decide(client, workflowId, { by, reason, step: field(request.body, 'step') });
        message = `${action === 'approve' ? 'Approved' : 'Rejected'} ${result.step} as ${by}${result.stillPending ? `: ${result.stillPending.approvers.length} of ${result.stillPending.approvalsNeeded} approvals so far` : ''}`;
        break;
      }
      case 'pause':
        await pause(client, workflowId, { by, reason });
        message = `Paused by ${by}: it holds before its next step`;
        break;
      case 'resume':
        await resume(client, workflowId, { by });
        message = `Resumed by ${by}`;
        break;
      case 'abort':
        await abort(client, workflowId, { by, reason });
        message = `Abort sent by ${by}: the procedure puts the cell in a known-good state and reports it`;
        break;
    }
    request.log.info({ workflowId, action, by, via: identity.via }, 'console action');
    if ((request.headers.accept ?? '').includes('application/json')) return reply.type('application/json').send({ ok: true, message });
    return reply.status(303).header('location', `${base}/procedures/${encodeURIComponent(workflowId)}`).send();
  });
  done();
};

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined;
}

function statusOf(err: Error & { statusCode?: number }): number {
  if (err instanceof AccessRefused) return err.statusCode;
  if (err instanceof InvalidInputError) return 400;
  if (err instanceof ProcedureNotFoundError) return 404;
  if (err instanceof ActionRefusedError) return 409;
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600) return err.statusCode;
  return 500;
}

/** The steps the procedure's plan lists for the cell, when it has a planner and knows the cell. */
function runbookSteps(registry: Registry, procedure: string | undefined, cellId: string | undefined): string[] | undefined {
  const entry = PROCEDURE_CATALOG.find((e) => e.procedure === procedure);
  if (!entry || !cellId) return undefined;
  try {
    return entry.plan(registry, cellId).steps.map((step) => step.name);
  } catch {
    return undefined;
  }
}

/**
 * How far a listed procedure got: the steps of its runbook before the one it is in (running), or
 * up to the last one it was in (ended); none for a step outside the plan (a gate the plan skips).
 */
function progressOf(steps: string[] | undefined, step: string | undefined, status: string): Pick<ProcedureListRow, 'progress'> {
  const index = steps && step ? steps.indexOf(step) : -1;
  if (!steps || index < 0) return {};
  return { progress: { done: status === 'RUNNING' ? index : index + 1, total: steps.length } };
}
