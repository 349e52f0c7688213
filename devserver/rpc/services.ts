import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { temporal } from '@temporalio/proto';
import type { Service, Type } from 'protobufjs';
import { PRE_ENCODED_HISTORY, type PreEncodedHistory } from '../engine/encoded';
import { encodeHistoryField } from '../engine/history';

/** A gRPC service as reflected from Temporal's protobuf definitions. */
export interface ReflectedService {
  /** e.g. `temporal.api.workflowservice.v1.WorkflowService`. */
  fullName: string;
  /** e.g. `WorkflowService`. */
  shortName: string;
  /** Method names, e.g. `StartWorkflowExecution`. */
  methods: string[];
  definition: ServiceDefinition;
}

/** The services the dev server answers, from `@temporalio/proto`'s reflection root. */
export function reflectedServices(): ReflectedService[] {
  return [
    reflect(temporal.api.workflowservice.v1.WorkflowService as unknown as Service),
    reflect(temporal.api.operatorservice.v1.OperatorService as unknown as Service),
    reflect(temporal.api.testservice.v1.TestService as unknown as Service),
  ];
}

function reflect(service: Service): ReflectedService {
  service.resolveAll();
  const fullName = service.fullName.replace(/^\./, '');
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const [name, method] of Object.entries(service.methods)) {
    const requestType = method.resolvedRequestType as Type;
    const responseType = method.resolvedResponseType as Type;
    const def: MethodDefinition<object, object> = {
      path: `/${fullName}/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: object) => toBuffer(requestType.encode(value).finish()),
      requestDeserialize: (bytes: Buffer) => requestType.decode(bytes),
      responseSerialize: (value: object) => encodeResponse(responseType, value),
      responseDeserialize: (bytes: Buffer) => responseType.decode(bytes),
      originalName: name.charAt(0).toLowerCase() + name.slice(1),
    };
    definition[name] = def;
  }
  return { fullName, shortName: service.name, methods: Object.keys(service.methods), definition: definition };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Encodes a response; history carried as pre-encoded event bytes is appended as its own field
 * instead of being re-encoded from event objects.
 */
function encodeResponse(type: Type, value: object): Buffer {
  const head = toBuffer(type.encode(value).finish());
  const history = (value as { [PRE_ENCODED_HISTORY]?: PreEncodedHistory })[PRE_ENCODED_HISTORY];
  if (!history) return head;
  return Buffer.concat([head, encodeHistoryField(history.fieldNumber, history.slices)]);
}
