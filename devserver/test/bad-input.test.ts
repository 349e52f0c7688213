/**
 * Bad input answered as INVALID_ARGUMENT with a bounded message, and the connection keeps
 * serving: huge values quoted in errors, visibility queries nested past the limit.
 */
import { Connection } from '@temporalio/client';
import { parseArgs } from '../config';
import { createLogger } from '../log';
import { MAX_ERROR_MESSAGE_CHARS, startDevServer, type RunningDevServer } from '../server';

const INVALID_ARGUMENT = 3;

describe('dev server: bad input', () => {
  let server: RunningDevServer;
  let connection: Connection;

  beforeAll(async () => {
    const { config } = parseArgs(['server', 'start-dev', '--port', '0', '--ip', '127.0.0.1', '--headless']);
    server = await startDevServer(config, createLogger('never'));
    connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  });

  afterAll(async () => {
    await connection.close();
    await server.stop();
  });

  it('quotes at most a prefix of a huge value in its error, and the connection keeps serving', async () => {
    // WHEN a query naming a 1 MB attribute is sent (the error names the attribute)
    const huge = `A${'x'.repeat(1024 * 1024)}`;
    const refused = await connection.workflowService
      .countWorkflowExecutions({ namespace: 'default', query: `${huge} = 'v'` })
      .catch((err: unknown) => err as { code: number; details: string });

    // THEN the answer is INVALID_ARGUMENT with a bounded message, and the next call is served
    expect(refused).toMatchObject({ code: INVALID_ARGUMENT });
    expect((refused as { details: string }).details.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS + 64);
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBeTruthy();
  });

  it('refuses visibility queries past the size and operator limits as INVALID_ARGUMENT and still counts a modest one', async () => {
    // WHEN queries chain 20,000 ORs, 1,001 short ORs, and 200 ORs
    const chain = (n: number): string => Array.from({ length: n + 1 }, (_, i) => `WorkflowId='${i}'`).join(' OR ');
    const huge = await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: chain(20_000) }).catch((err: unknown) => err);
    const deep = await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: chain(1_001) }).catch((err: unknown) => err);
    const modest = await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: chain(200) });

    // THEN the first two are refused as the client's error and the last one is answered
    expect(huge).toMatchObject({ code: INVALID_ARGUMENT, details: expect.stringContaining('over the limit') as unknown });
    expect(deep).toMatchObject({ code: INVALID_ARGUMENT, details: expect.stringContaining('more than 1000') as unknown });
    expect(Number(modest.count)).toBe(0);
  });
});
