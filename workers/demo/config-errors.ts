/** Turning a bad configuration into one message that names what to fix, instead of a stack trace. */
import { RegistryError } from '../../domain/registry';
import { UnknownScenarioError } from './scenarios';

/** A start-up problem the person can fix; its message says how. */
export class DemoConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoConfigError';
  }
}

const text = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The registry could not be read or validated. */
export function registryProblem(file: string, err: unknown): DemoConfigError {
  if (err instanceof RegistryError) {
    return new DemoConfigError(`the cell registry ${file} is not valid; fix these entries (or point CELLOPS_REGISTRY at another file):\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DemoConfigError(`the cell registry ${file} does not exist; set CELLOPS_REGISTRY to your registry file (cells.example.yaml shows the format)`);
  return new DemoConfigError(`the cell registry ${file} cannot be read (${text(err)}); check the file or CELLOPS_REGISTRY`);
}

/** The embedded dev server could not listen. */
export function devServerProblem(port: number, err: unknown): DemoConfigError {
  const message = text(err);
  if (/EADDRINUSE|address already in use|No address added/i.test(message)) {
    return new DemoConfigError(
      `port ${port} is in use (another Temporal server, or another npm start?): stop it, or set CELLOPS_DEV_SERVER_PORT to a free port, or set TEMPORAL_ADDRESS=127.0.0.1:${port} to use the server that is running there`,
    );
  }
  return new DemoConfigError(`the embedded Temporal dev server did not start on port ${port}: ${message}`);
}

/** The alarm gateway could not listen. */
export function gatewayProblem(port: number, err: unknown): DemoConfigError {
  const message = text(err);
  if (/EADDRINUSE|address already in use/i.test(message)) {
    return new DemoConfigError(`port ${port} for the alarm gateway is in use: stop what listens there, or set CELLOPS_GATEWAY_PORT to a free port (0 picks one)`);
  }
  return new DemoConfigError(`the alarm gateway did not start on port ${port}: ${message}`);
}

/** The configured Temporal server did not answer. */
export function temporalProblem(address: string, err: unknown): DemoConfigError {
  return new DemoConfigError(
    `cannot reach Temporal at ${address} (${text(err).split('\n')[0]}): start that server, correct TEMPORAL_ADDRESS (or TEMPORAL_PROFILE), or unset them to run on the embedded dev server`,
  );
}

/** The one message for an error that ended the start-up, or undefined when it is a bug (show the stack). */
export function configMessage(err: unknown): string | undefined {
  if (err instanceof DemoConfigError || err instanceof UnknownScenarioError) return err.message;
  // The environment's own checks (workers/config.ts) already name the variable at fault.
  if (err instanceof Error && /^(CELLOPS_|TEMPORAL_)[A-Z_]+ /.test(err.message)) return err.message;
  return undefined;
}
