import { CloudFormationClient, type ServiceOutputTypes as CloudFormationOutput } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, type ServiceOutputTypes as CloudWatchOutput } from '@aws-sdk/client-cloudwatch';
import { Route53Client, type ServiceOutputTypes as Route53Output } from '@aws-sdk/client-route-53';
import { PendingAwsError, throttlingSpec, toSdkError, type AwsErrorSpec } from './aws-errors';
import type { AwsService, CallLog } from './calls';
import { abortError } from './clock';
import type { ActiveFault, ApiTarget, RandomApiErrorsFault, ThrottlingFault } from './faults';
import type { FleetModel } from './model/fleet-model';
import { cloudFormationHandlers } from './services/cloudformation';
import { cloudWatchHandlers } from './services/cloudwatch';
import type { ServiceHandlers } from './services/handler';
import { route53Handlers } from './services/route53';

/** Real SDK v3 clients whose every command the simulator answers. */
export interface SimulatedClients {
  cloudFormation: CloudFormationClient;
  route53: Route53Client;
  cloudWatch: CloudWatchClient;
}

/** The name of the middleware that answers commands; removing it would expose the no-network guard. */
export const SIMULATOR_MIDDLEWARE = 'cellopsSimulator';

/** Thrown by the guard HTTP handler: a simulated client must never reach the network. */
export class SimulatorNetworkError extends Error {
  constructor() {
    super('cellops simulator: a simulated AWS client tried to send an HTTP request');
    this.name = 'SimulatorNetworkError';
  }
}

/** A command the simulator does not answer. Not an AWS error, so nothing mistakes it for one. */
export class SimulatorUnsupportedCommandError extends Error {
  constructor(service: AwsService, command: string) {
    super(`cellops simulator: ${service} ${command} is not simulated`);
    this.name = 'SimulatorUnsupportedCommandError';
  }
}

// The SDK's request handler, replaced by one that refuses: if the interceptor were bypassed, the
// call fails loudly instead of reaching AWS.
const noNetwork = {
  handle: (): Promise<never> => Promise.reject(new SimulatorNetworkError()),
  updateHttpClientConfig: (): void => undefined,
  httpHandlerConfigs: (): Record<string, never> => ({}),
  destroy: (): void => undefined,
};

const SERVER_ERRORS: Record<string, AwsErrorSpec> = {
  InternalFailure: { code: 'InternalFailure', message: 'The request processing has failed because of an unknown error, exception or failure.', httpStatusCode: 500 },
  ServiceUnavailable: { code: 'ServiceUnavailable', message: 'The request has failed due to a temporary failure of the server.', httpStatusCode: 503 },
};

const THROTTLED: AwsErrorSpec[] = [
  throttlingSpec(),
  { code: 'TooManyRequestsException', message: 'Too many requests', httpStatusCode: 400 },
];
const PRIOR_REQUEST: AwsErrorSpec = { code: 'PriorRequestNotComplete', message: 'The request was rejected because Route 53 was still processing a prior request.', httpStatusCode: 400 };

/** Whether this call fails, and how: half throttling, half 5xx (some of those after acting). */
function randomApiError(model: FleetModel, fault: ActiveFault<RandomApiErrorsFault>, service: AwsService): { spec: AwsErrorSpec; afterEffect: boolean } | undefined {
  if (model.faults.draw(fault) * 100 >= fault.spec.percent) return undefined;
  const kind = model.faults.draw(fault);
  if (kind < 0.5) {
    const choices = service === 'route53' ? [...THROTTLED, PRIOR_REQUEST] : THROTTLED;
    return { spec: choices[Math.floor(kind * 2 * choices.length)], afterEffect: false };
  }
  const spec = kind < 0.75 ? SERVER_ERRORS.InternalFailure : SERVER_ERRORS.ServiceUnavailable;
  return { spec, afterEffect: model.faults.draw(fault) * 100 < (fault.spec.afterEffectPercent ?? 0) };
}

const targets = (spec: ApiTarget, service: AwsService, command: string): boolean =>
  spec.service === service && (spec.command === undefined || spec.command.replace(/Command$/, '') === command);

/** Answers one command: records it, applies API faults, then lets the service handler answer. */
async function answer(model: FleetModel, calls: CallLog, handlers: ServiceHandlers, service: AwsService, command: string, input: unknown, abortSignal: AbortSignal | undefined): Promise<object> {
  const finish = calls.begin(service, command, input, model.now());
  const requestId = model.random.uuid();
  let acted = false;
  try {
    if (abortSignal?.aborted) throw abortError();
    let delay = model.timing.responseDelayMs;
    const slow = model.fault('slow-responses', (spec) => targets(spec, service, command));
    if (slow !== undefined) {
      delay += slow.spec.delayMs;
      model.useFault(slow);
    }
    if (delay > 0) await model.clock.sleep(delay, abortSignal);
    for (const fault of model.faults.list()) {
      if (fault.spec.kind !== 'throttling' || !targets(fault.spec, service, command)) continue;
      const rateLimited = fault.spec.ratePerSecond !== undefined;
      if (rateLimited && !model.faults.overRate(fault as ActiveFault<ThrottlingFault>, model.now())) continue;
      if (!rateLimited) model.useFault(fault);
      throw new PendingAwsError(throttlingSpec());
    }
    const random = model.fault('random-api-errors', (spec) => spec.service === undefined || spec.service === service);
    const drawn = random === undefined ? undefined : randomApiError(model, random, service);
    if (drawn !== undefined && !drawn.afterEffect) throw new PendingAwsError(drawn.spec);
    const broken = model.fault('server-error', (spec) => targets(spec, service, command));
    if (broken !== undefined) {
      model.useFault(broken);
      throw new PendingAwsError(SERVER_ERRORS[broken.spec.code ?? 'InternalFailure']);
    }
    model.advance();
    const handler = handlers[command];
    if (handler === undefined) throw new SimulatorUnsupportedCommandError(service, command);
    const output = structuredClone(await handler(input, { abortSignal }));
    acted = true;
    if (drawn !== undefined) throw new PendingAwsError(drawn.spec);
    finish({ outcome: 'ok', requestId }, model.now());
    return { ...output, $metadata: { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 } };
  } catch (err) {
    const error = err instanceof PendingAwsError ? toSdkError(service, err.spec, requestId) : err;
    const isAwsError = err instanceof PendingAwsError;
    finish({ outcome: error instanceof Error ? error.name : 'Error', requestId: isAwsError ? requestId : undefined, ...(acted ? { tookEffect: true } : {}) }, model.now());
    throw error;
  }
}

const abortSignalOf = (context: object): AbortSignal | undefined => {
  const smithy = (context as { __smithy_context?: { abortSignal?: unknown } }).__smithy_context;
  return smithy?.abortSignal instanceof AbortSignal ? smithy.abortSignal : undefined;
};

/**
 * Builds the three clients: real SDK clients (dummy static credentials, the fleet's region, a
 * request handler that refuses to send) with a middleware at the `initialize` step that hands
 * every command to the simulator. It runs before serialization, signing and the SDK's retry
 * middleware, so no request is built, and a simulated error reaches the caller on the first
 * attempt (the SDK's own retries do not apply; the callers' do).
 */
export function createSimulatedClients(model: FleetModel, calls: CallLog): SimulatedClients {
  const config = {
    region: model.region,
    credentials: { accessKeyId: 'SIMULATED', secretAccessKey: 'SIMULATED' },
    requestHandler: noNetwork,
  };
  const options = { step: 'initialize', priority: 'high', name: SIMULATOR_MIDDLEWARE, override: true } as const;

  // Each handler builds its operation's SDK output type; the stack's signature knows only their union.
  const cloudFormation = new CloudFormationClient(config);
  const cfn = cloudFormationHandlers(model);
  cloudFormation.middlewareStack.add(
    (_next, context) => async (args) => ({
      output: (await answer(model, calls, cfn, 'cloudformation', context.commandName?.replace(/Command$/, '') ?? '', args.input, abortSignalOf(context))) as CloudFormationOutput,
      response: {},
    }),
    options,
  );

  const route53 = new Route53Client(config);
  const r53 = route53Handlers(model);
  route53.middlewareStack.add(
    (_next, context) => async (args) => ({
      output: (await answer(model, calls, r53, 'route53', context.commandName?.replace(/Command$/, '') ?? '', args.input, abortSignalOf(context))) as Route53Output,
      response: {},
    }),
    options,
  );

  const cloudWatch = new CloudWatchClient(config);
  const cw = cloudWatchHandlers(model);
  cloudWatch.middlewareStack.add(
    (_next, context) => async (args) => ({
      output: (await answer(model, calls, cw, 'cloudwatch', context.commandName?.replace(/Command$/, '') ?? '', args.input, abortSignalOf(context))) as CloudWatchOutput,
      response: {},
    }),
    options,
  );

  return { cloudFormation, route53, cloudWatch };
}
