import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import { Route53ServiceException } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';

/** Shape shared by every SDK v3 service exception constructor. */
export interface ErrorShape {
  name: string;
  message: string;
  status?: number;
  requestId?: string;
}

function options({ name, message, status = 400, requestId = 'req-1' }: ErrorShape) {
  return { name, message, $fault: status >= 500 ? ('server' as const) : ('client' as const), $metadata: { httpStatusCode: status, requestId } };
}

/** An unmodelled CloudFormation error as the SDK builds it: the base exception, `name` = the AWS code. */
export const cfnError = (shape: ErrorShape): CloudFormationServiceException => new CloudFormationServiceException(options(shape));
export const route53Error = (shape: ErrorShape): Route53ServiceException => new Route53ServiceException(options(shape));
export const cloudWatchError = (shape: ErrorShape): CloudWatchServiceException => new CloudWatchServiceException(options(shape));

/** CloudFormation's answer to an update that changes nothing. */
export const noUpdatesError = (): CloudFormationServiceException =>
  cfnError({ name: 'ValidationError', message: 'No updates are to be performed.', requestId: 'req-no-updates' });

/** What DescribeStacks says about a stack that does not exist. */
export const stackMissingError = (stackName: string): CloudFormationServiceException =>
  cfnError({ name: 'ValidationError', message: `Stack with id ${stackName} does not exist`, requestId: 'req-missing' });

const quiet: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A mock activity environment that does not print the worker's debug lines. */
export function activityEnv(heartbeatDetails?: unknown): MockActivityEnvironment {
  return new MockActivityEnvironment(heartbeatDetails === undefined ? undefined : { heartbeatDetails }, { logger: quiet });
}

/** The ApplicationFailure a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const outcome: unknown = await promise.then(
    () => new Error('expected a failure, but the call resolved'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof ApplicationFailure)) {
    throw new Error(`expected an ApplicationFailure, got ${String(outcome)}`);
  }
  return outcome;
}

/** Resolves immediately: polls and backoffs take no time in tests. */
export const noSleep = (): Promise<void> => Promise.resolve();

/** Runs one activity in a mock environment (a fresh one unless given), keeping its result type. */
export function run<I, O>(activity: (input: I) => Promise<O>, input: I, env: MockActivityEnvironment = activityEnv()): Promise<O> {
  return env.run<[I], O, (input: I) => Promise<O>>(activity, input);
}
