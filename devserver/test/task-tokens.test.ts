import { status } from '@grpc/grpc-js';
import { ActivityNotFoundError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Writer } from 'protobufjs';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { SETUP_TIMEOUT_MS } from './helpers';

/** A task token as the real server encodes it (`temporal.server.api.token.v1.Task`). */
function realServerActivityToken(namespaceId: string): Uint8Array {
  return Writer.create()
    .uint32((1 << 3) | 2)
    .string(namespaceId)
    .uint32((2 << 3) | 2)
    .string('wf-of-another-server')
    .uint32((3 << 3) | 2)
    .string('7f1c1b9e-2b4e-4f4e-9d55-5f5e2a1d9c01')
    .uint32((4 << 3) | 0)
    .int64(5)
    .uint32((5 << 3) | 0)
    .int32(1)
    .uint32((6 << 3) | 2)
    .string('1')
    .finish();
}

/** The rejection of a call (or undefined if it succeeded). */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('dev server: task tokens it did not issue', () => {
  let env: TestWorkflowEnvironment;
  let namespaceId: string;

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ sdkLogLevel: 'ERROR' });
    const described = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
    namespaceId = described.namespaceInfo?.id ?? '';
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('answers a real-server token of one of its namespaces NOT_FOUND: the client raises ActivityNotFoundError', async () => {
    // GIVEN a token in the real server's format naming this server's namespace id
    const token = realServerActivityToken(namespaceId);

    // WHEN a client completes, fails and heartbeats with it
    const completed = await rejection(env.client.activity.complete(token, 'late'));
    const failed = await rejection(env.client.activity.fail(token, new Error('late')));
    const heartbeat = await rejection(env.client.activity.heartbeat(token, 'late'));

    // THEN each is the SDK's not-found error
    expect(completed).toBeInstanceOf(ActivityNotFoundError);
    expect(failed).toBeInstanceOf(ActivityNotFoundError);
    expect(heartbeat).toBeInstanceOf(ActivityNotFoundError);
  });

  it('answers a real-server token of an unknown namespace id NOT_FOUND naming the namespace, as the real server does', async () => {
    // GIVEN a token of another server's namespace
    const token = realServerActivityToken('0c8c2c4a-0000-4000-8000-000000000000');

    // WHEN a client completes with it
    const err = await rejection(env.client.activity.complete(token, 'late'));

    // THEN the SDK raises the namespace-not-found error for that namespace id
    expect(err).toBeInstanceOf(NamespaceNotFoundError);
    expect((err as NamespaceNotFoundError).namespace).toBe('0c8c2c4a-0000-4000-8000-000000000000');
  });

  it('answers a token of a previous server instance (this format, a run it does not have) with ActivityNotFoundError', async () => {
    // GIVEN a token this server's format would name, for a run that is not here
    const token = Buffer.from(JSON.stringify(['a', 'default', '4b0a3c59-1e1d-4c4a-8d0b-3a4e3f0f8c11', 5, 1]));

    // WHEN a client completes with it
    const err = await rejection(env.client.activity.complete(token, 'late'));

    // THEN it is not found
    expect(err).toBeInstanceOf(ActivityNotFoundError);
  });

  it('answers workflow and query task completions with foreign tokens NOT_FOUND, and bytes of no format INVALID_ARGUMENT', async () => {
    // GIVEN a real-server token, and bytes that are neither format
    const token = realServerActivityToken(namespaceId);
    const garbage = Buffer.from([0xff, 0xff, 0xff]);
    const service = env.connection.workflowService;

    // WHEN workers answer tasks with them
    const wft = await rejection(service.respondWorkflowTaskCompleted({ taskToken: token, namespace: 'default', commands: [] }));
    const wftFailed = await rejection(service.respondWorkflowTaskFailed({ taskToken: token, namespace: 'default' }));
    const query = await rejection(service.respondQueryTaskCompleted({ taskToken: token, namespace: 'default' }));
    const bad = await rejection(service.respondActivityTaskCompleted({ taskToken: garbage, namespace: 'default' }));

    // THEN the foreign tokens are NOT_FOUND, the garbage INVALID_ARGUMENT
    expect((wft as { code?: number }).code).toBe(status.NOT_FOUND);
    expect((wftFailed as { code?: number }).code).toBe(status.NOT_FOUND);
    expect((query as { code?: number }).code).toBe(status.NOT_FOUND);
    expect((bad as { code?: number }).code).toBe(status.INVALID_ARGUMENT);
  });
});
