import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { fidelityMarkdown, fidelityRows, readmeFidelitySection } from '../rpc/fidelity';
import { SETUP_TIMEOUT_MS } from './helpers';

type RawService = Record<string, (request: object) => Promise<unknown>>;

/** The gRPC status code a call answers with (OK when it succeeds). */
async function codeOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return status.OK;
  } catch (err) {
    return (err as { code?: number }).code ?? status.UNKNOWN;
  }
}

describe('dev server: which WorkflowService and OperatorService methods it answers', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: join(__dirname, '..', 'bin', 'temporal-dev') } },
    });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('answers exactly the methods the README lists as answered; every other one is UNIMPLEMENTED', async () => {
    // GIVEN every method of both services, called with an empty request (no namespace) over gRPC
    const services: Record<string, RawService> = {
      WorkflowService: env.connection.workflowService as unknown as RawService,
      OperatorService: env.connection.operatorService as unknown as RawService,
    };
    const observed: { service: string; method: string; implemented: boolean }[] = [];
    for (const row of fidelityRows()) {
      const name = row.method.charAt(0).toLowerCase() + row.method.slice(1);
      const call = services[row.service]?.[name]?.bind(services[row.service]);
      if (!call) throw new Error(`the SDK's ${row.service} client has no ${name}`);
      // WHEN it is called
      const code = await codeOf(() => env.connection.withDeadline(Date.now() + 5_000, () => call({})));
      observed.push({ service: row.service, method: row.method, implemented: code !== (status.UNIMPLEMENTED as number) });
    }

    // THEN what answers is what the method table says, and the README's list is the table's
    expect(observed).toEqual(fidelityRows());
    expect(observed.length).toBeGreaterThan(100);
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(readmeFidelitySection(readme)).toBe(fidelityMarkdown(observed));
  });
});
