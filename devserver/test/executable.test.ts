/**
 * The dev server as a program: how it starts, what it prints, and how it answers requests it
 * does not support. These tests launch `devserver/bin/temporal-dev` directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { exitWithParentEnv, SERVER_READY_TIMEOUT_MS as READY_TIMEOUT_MS } from '../testing/server-process';
import { DEV_SERVER_EXECUTABLE } from '../testing/test-environment';

interface Launched {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function launch(args: string[]): Launched {
  const child = spawn(DEV_SERVER_EXECUTABLE, args, { stdio: ['ignore', 'ignore', 'pipe'], env: exitWithParentEnv() });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** Connects with a private subchannel so a refused early attempt does not impose grpc's 1 s backoff. */
async function connectWhenReady(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Connection.connect({
        address,
        connectTimeout: 100,
        channelArgs: { 'grpc.use_local_subchannel_pool': 1 },
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('dev server executable', () => {
  const launched: Launched[] = [];

  afterEach(async () => {
    for (const { child, exited } of launched.splice(0)) {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  });

  // How fast it starts is a figure of `npm run bench:devserver`, not asserted here: a busy machine
  // takes longer, and the tests' environments wait for it (testing/server-process.ts).
  it('starts from the Temporal CLI command line and answers GetSystemInfo, warning about unknown flags', async () => {
    // GIVEN the flags TestWorkflowEnvironment.createLocal passes, plus one this server does not know
    const port = await freePort();
    const server = launch([
      'server', 'start-dev', '--port', String(port), '--namespace', 'default', '--ip', '127.0.0.1',
      '--log-format', 'pretty', '--log-level', 'warn', '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
      '--headless', '--search-attribute', 'CellId=Keyword', '--future-flag', 'on',
    ]);
    launched.push(server);

    // WHEN a client connects (which calls GetSystemInfo)
    const connection = await connectWhenReady(`127.0.0.1:${port}`, READY_TIMEOUT_MS);
    const info = await connection.workflowService.getSystemInfo({});
    await connection.close();

    // THEN it answered and the unknown flag produced only a warning
    expect(info.capabilities?.sdkMetadata).toBe(true);
    expect(server.stderr()).toContain('Ignoring unknown flag "--future-flag"');
    expect(server.child.exitCode).toBeNull();
  });

  it('accepts a search attribute name with hyphens at start-up', async () => {
    // GIVEN a start with a hyphenated search attribute, as the Temporal CLI's examples have
    const port = await freePort();
    const server = launch(['server', 'start-dev', '--port', String(port), '--search-attribute', 'new-search-attr=Keyword']);
    launched.push(server);

    // WHEN a client lists the namespace's search attributes
    const connection = await connectWhenReady(`127.0.0.1:${port}`, READY_TIMEOUT_MS);
    const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    await connection.close();

    // THEN the server is up and has the attribute
    expect(listed.customAttributes?.['new-search-attr']).toBeDefined();
  });

  it('rebuilds its compiled form when a source is newer, and serves from it', async () => {
    // GIVEN a compiled build older than every source
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require('../build.js') as { COMPILED_ENTRY: string; compiledEntry: () => string | undefined };
    build.compiledEntry();
    utimesSync(build.COMPILED_ENTRY, new Date(0), new Date(0));

    // WHEN the executable starts
    const port = await freePort();
    launched.push(launch(['server', 'start-dev', '--port', String(port), '--log-level', 'error']));
    const connection = await connectWhenReady(`127.0.0.1:${port}`, READY_TIMEOUT_MS);
    const info = await connection.workflowService.getSystemInfo({});
    await connection.close();

    // THEN it rebuilt the compiled file before answering
    expect(info.serverVersion).toBeTruthy();
    expect(statSync(build.COMPILED_ENTRY).mtimeMs).toBeGreaterThan(0);
  });

  it('runs stand-alone, logging its address, and listens on loopback as well as --ip', async () => {
    // GIVEN a stand-alone start on another loopback address at the default log level
    const port = await freePort();
    const server = launch(['server', 'start-dev', '--port', String(port), '--ip', '127.0.0.2']);
    launched.push(server);

    // WHEN clients connect on both addresses
    const loopback = await connectWhenReady(`127.0.0.1:${port}`, READY_TIMEOUT_MS);
    const other = await connectWhenReady(`127.0.0.2:${port}`, READY_TIMEOUT_MS);
    await Promise.all([loopback.close(), other.close()]);

    // THEN both answered and one line named the addresses
    const lines = server.stderr().split('\n').filter((line) => line.includes('listening on'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`127.0.0.1:${port}`);
    expect(lines[0]).toContain(`127.0.0.2:${port}`);
  });

  it('exits with a clear message on a bad flag value', async () => {
    // WHEN the port is not a number
    const server = launch(['server', 'start-dev', '--port', 'seventy']);
    launched.push(server);
    const code = await server.exited;

    // THEN it exits 1 and says why
    expect(code).toBe(1);
    expect(server.stderr()).toContain('Invalid port "seventy"');
  });

  it('answers unsupported methods with UNIMPLEMENTED naming the method, and survives bad requests', async () => {
    // GIVEN a running server
    const port = await freePort();
    launched.push(launch(['server', 'start-dev', '--port', String(port), '--log-level', 'error']));
    const connection = await connectWhenReady(`127.0.0.1:${port}`, READY_TIMEOUT_MS);

    // WHEN an unsupported method, a forged task token and a missing namespace are sent
    const unsupported = await connection.workflowService.listBatchOperations({ namespace: 'default' }).catch((err: unknown) => err);
    const forged = await connection.workflowService
      .respondWorkflowTaskCompleted({ taskToken: Buffer.from('not a token'), commands: [] })
      .catch((err: unknown) => err);
    const noNamespace = await connection.workflowService.describeWorkflowExecution({}).catch((err: unknown) => err);
    const stillUp = await connection.workflowService.getSystemInfo({});
    await connection.close();

    // THEN each gets its status code and a message naming the problem, and the server keeps answering
    expect(unsupported).toMatchObject({ code: 12, details: expect.stringContaining('WorkflowService/ListBatchOperations') as unknown });
    expect(forged).toMatchObject({ code: 3, details: expect.stringContaining('task token') as unknown });
    expect(noNamespace).toMatchObject({ code: 3, details: expect.stringContaining('Namespace') as unknown });
    expect(stillUp.serverVersion).toBeTruthy();
  });

  it('declines a gzip-compressed GetSystemInfo the way the SDK core understands, and still serves other compressed calls', async () => {
    // GIVEN a running server and a client that gzips every request, as the SDK's core does
    const port = await freePort();
    launched.push(launch(['server', 'start-dev', '--port', String(port), '--log-level', 'error']));
    await (await connectWhenReady(`127.0.0.1:${port}`, READY_TIMEOUT_MS)).close();
    const gzip = await Connection.connect({
      address: `127.0.0.1:${port}`,
      channelArgs: { 'grpc.default_compression_algorithm': 2, 'grpc.use_local_subchannel_pool': 1 },
    });

    // WHEN it calls GetSystemInfo and DescribeNamespace compressed
    const systemInfo = await gzip.workflowService.getSystemInfo({}).catch((err: unknown) => err);
    const namespace = await gzip.workflowService.describeNamespace({ namespace: 'default' });
    await gzip.close();

    // THEN GetSystemInfo is UNIMPLEMENTED naming grpc-encoding (core then reconnects uncompressed),
    // and the other call is served
    expect(systemInfo).toMatchObject({ code: 12, details: expect.stringContaining('grpc-encoding gzip') as unknown });
    expect(namespace.namespaceInfo?.name).toBe('default');
  });
});
