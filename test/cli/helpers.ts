/** Running `cellops` commands in process, with captured output, against a test server and fleet. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createAwsFleetReader } from '../../client/data/aws-fleet-reader';
import type { CliDeps } from '../../client/cli/context';
import { runCli } from '../../client/cli/program';
import type { TestFleet } from '../helpers/procedures-environment';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessCliOptions {
  env?: NodeJS.ProcessEnv;
  isTTY?: boolean;
  /** What `watch` waits with between refreshes (default: skip a minute of server time). */
  sleep?: (ms: number) => Promise<void>;
  /** Default: the test environment's client. */
  connect?: CliDeps['connect'];
}

/** A `cellops` bound to the test environment's client, the fleet's registry and its AWS clients. */
export function inProcessCli(testEnv: TestWorkflowEnvironment, fleet: TestFleet, options: InProcessCliOptions = {}): (...argv: string[]) => Promise<CliRun> {
  return async (...argv) => {
    let stdout = '';
    let stderr = '';
    const deps: CliDeps = {
      io: { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: options.isTTY ?? false, env: { ...options.env } },
      connect: options.connect ?? (() => Promise.resolve({ client: testEnv.client, close: () => Promise.resolve() })),
      loadRegistry: () => Promise.resolve(fleet.registry),
      fleetReader: () => Promise.resolve({ reader: createAwsFleetReader(fleet.clients, 'the test fleet') }),
      sleep: options.sleep ?? (() => testEnv.sleep(60_000)),
    };
    const code = await runCli(argv, deps);
    return { code, stdout, stderr };
  };
}
