/**
 * Property: no request a client can send makes one of the server's own handlers fail. Every
 * WorkflowService and OperatorService method the server implements gets random bytes, random
 * requests of its own type (ids drawn from prototype names, empty and over-long strings, the
 * namespace that exists) and byte-level mutations of those; none is answered INTERNAL. Afterwards
 * the server still starts and describes a workflow, and its state holds together: every run a
 * workflow id lists exists, and every run describes and lists without INTERNAL.
 */
import * as grpc from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import fc from 'fast-check';
import type { Field, MapField, Service, Type } from 'protobufjs';
import { parseArgs } from '../config';
import { createLogger } from '../log';
import { handlersByService } from '../rpc/handlers';
import { reflectedServices } from '../rpc/services';
import { startDevServer, type RunningDevServer } from '../server';

const INTERNAL = grpc.status.INTERNAL;
/** Long polls and update waits end at this deadline; a deadline is not a failure. */
const CALL_DEADLINE_MS = 300;
const RUNS_PER_METHOD = 20;

const STRINGS = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('default', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '') },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(1001)) },
  { weight: 1, arbitrary: fc.constantFrom("WorkflowId = 'a' OR", 'CloseTime IS NULL', 'ORDER BY', '((((') },
);

/** A value for one field of a protobuf message, nested messages down to `depth`. */
function fieldValue(field: Field, depth: number): fc.Arbitrary<unknown> {
  const resolved = field.resolve().resolvedType;
  let single: fc.Arbitrary<unknown>;
  if (resolved && 'fields' in resolved) {
    single = depth > 0 ? messageObject(resolved, depth - 1) : fc.constant({});
  } else if (resolved && 'values' in resolved) {
    single = fc.oneof(fc.constantFrom(...Object.values(resolved.values)), fc.integer({ min: -1, max: 1000 }));
  } else {
    switch (field.type) {
      case 'string':
        single = STRINGS;
        break;
      case 'bool':
        single = fc.boolean();
        break;
      case 'bytes':
        single = fc.uint8Array({ maxLength: 24 });
        break;
      case 'double':
      case 'float':
        single = fc.double({ noNaN: false });
        break;
      default:
        single = fc.oneof(fc.integer({ min: -2, max: 100 }), fc.constant(2 ** 31 - 1), fc.constant(-(2 ** 31)));
    }
  }
  if ((field as unknown as Partial<MapField>).keyType) return fc.dictionary(STRINGS, single, { maxKeys: 2 });
  if (field.repeated) return fc.array(single, { maxLength: 2 });
  return single;
}

/** A plain object for a message type: some of its fields set. */
function messageObject(type: Type, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) fields[field.name] = fieldValue(field, depth);
  return fc.record(fields, { requiredKeys: [] });
}

const EDGE_STRINGS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', '', 'x'.repeat(1001)];

/**
 * A request of `type` with every string field (nested messages and map keys too, down to `depth`)
 * set to `value`, the namespace to the one that exists unless `namespaceToo`.
 */
function filledObject(type: Type, value: string, namespaceToo: boolean, depth = 2): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const resolved = field.resolve().resolvedType;
    let single: unknown;
    if (field.type === 'string') single = field.name === 'namespace' && !namespaceToo ? 'default' : value;
    else if (resolved && 'fields' in resolved && depth > 0) single = filledObject(resolved, value, namespaceToo, depth - 1);
    else continue;
    if ((field as unknown as Partial<MapField>).keyType) object[field.name] = { [value]: single };
    else object[field.name] = field.repeated ? [single] : single;
  }
  return object;
}

/** The edge-case requests every method gets besides the random ones. */
function edgeRequests(type: Type): [Buffer][] {
  return EDGE_STRINGS.flatMap((value) =>
    [false, true].map((namespaceToo): [Buffer] => [Buffer.from(type.encode(type.fromObject(filledObject(type, value, namespaceToo))).finish())]),
  );
}

/** Encoded requests for a method: random bytes, a random request of its type, or one mutated. */
function requestBytes(type: Type): fc.Arbitrary<Buffer> {
  const encoded = messageObject(type, 2).map((object) => {
    try {
      return Buffer.from(type.encode(type.fromObject(object)).finish());
    } catch {
      return Buffer.alloc(0);
    }
  });
  const mutated = fc
    .tuple(encoded, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat())
    .map(([bytes, edits, cut]) => {
      const copy = Buffer.from(bytes);
      for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
      return copy.length > 0 && cut % 3 === 0 ? copy.subarray(0, cut % copy.length) : copy;
    });
  return fc.oneof(encoded, mutated, fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)));
}

describe('dev server: any request to any method', () => {
  let server: RunningDevServer;
  let client: grpc.Client;
  let connection: Connection;

  beforeAll(async () => {
    const { config } = parseArgs(['server', 'start-dev', '--port', '0', '--ip', '127.0.0.1', '--headless', '--search-attribute', 'Color=Keyword']);
    server = await startDevServer(config, createLogger('never'));
    client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  });

  afterAll(async () => {
    client?.close();
    await connection?.close();
    await server?.stop();
  });

  function call(path: string, bytes: Buffer): Promise<grpc.status> {
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new grpc.Metadata(),
        { deadline: Date.now() + CALL_DEADLINE_MS },
        (err) => resolve(err ? err.code : grpc.status.OK),
      );
    });
  }

  const services = reflectedServices().filter((service) => service.shortName !== 'TestService');
  const methods = services.flatMap((service) =>
    service.methods
      .filter((method) => handlersByService[service.shortName]?.[method])
      .map((method) => ({ service, method, path: `/${service.fullName}/${method}` })),
  );

  it('covers the implemented methods', () => {
    expect(methods.length).toBeGreaterThan(40);
  });

  it.each(methods.map(({ service, method, path }) => [`${service.shortName}/${method}`, path] as const))(
    '%s never answers INTERNAL',
    async (name, path) => {
      const [serviceName, method] = name.split('/');
      const requestType = requestTypeOf(serviceName, method);
      await fc.assert(
        fc.asyncProperty(requestBytes(requestType), async (bytes) => {
          const code = await call(path, bytes);
          // Bytes that are not a message of the type are refused by gRPC before any handler runs
          // (INTERNAL, as grpc-go answers an unmarshalling error); every decodable request reaches one.
          if (decodes(requestType, bytes)) expect(code).not.toBe(INTERNAL);
        }),
        { numRuns: RUNS_PER_METHOD, seed: 20261202, examples: edgeRequests(requestType) },
      );
    },
    60_000,
  );

  it('still starts and describes a workflow afterwards, and no half-written run is left', async () => {
    // WHEN a normal start follows the fuzzing
    const { runId } = await connection.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId: 'after-fuzzing',
      workflowType: { name: 'Anything' },
      taskQueue: { name: 'after-fuzzing' },
      requestId: 'after-fuzzing',
    });
    const described = await connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'after-fuzzing' } });

    // THEN it is served, every run each workflow id lists exists, and every run describes without INTERNAL
    expect(described.workflowExecutionInfo?.execution?.runId).toBe(runId);
    for (const ns of server.engine.namespaces.values()) {
      for (const [workflowId, runIds] of ns.runsByWorkflowId) {
        for (const id of runIds) expect({ workflowId, run: server.engine.executions.has(id) }).toEqual({ workflowId, run: true });
      }
    }
    for (const exec of server.engine.executions.values()) {
      const answer = await connection.workflowService
        .describeWorkflowExecution({ namespace: exec.namespace, execution: { workflowId: exec.workflowId, runId: exec.runId } })
        .then(() => grpc.status.OK, (err: { code: grpc.status }) => err.code);
      expect(answer).not.toBe(INTERNAL);
    }
    const listed = await connection.workflowService.listWorkflowExecutions({ namespace: 'default', query: 'CloseTime IS NULL' });
    expect(listed.executions.length).toBeGreaterThan(0);
  });
});

function decodes(type: Type, bytes: Buffer): boolean {
  try {
    type.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The reflected request type of a method. */
function requestTypeOf(serviceName: string, method: string): Type {
  const service = (serviceName === 'OperatorService' ? temporal.api.operatorservice.v1.OperatorService : temporal.api.workflowservice.v1.WorkflowService) as unknown as Service;
  service.resolveAll();
  return service.methods[method].resolvedRequestType as Type;
}
