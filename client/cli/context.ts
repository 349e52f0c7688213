/**
 * What a command needs from the world, passed in so that tests run the commands in process
 * with captured output, a test server and a test fleet.
 */
import type { Client } from '@temporalio/client';
import type { FleetReader } from '../data/fleet';
import type { Registry } from '../../domain/registry/schema';
import { colors, type Colors } from './style';

export interface CliIo {
  /** Writes to standard output (the text carries its own newlines). */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Standard output is a terminal: colours (unless NO_COLOR) and redrawing in place. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** Connection options given on the command line (they override the environment). */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  profile?: string;
}

/** An open Temporal client. */
export interface OpenClient {
  client: Client;
  close(): Promise<void>;
}

/** Live fleet values, or why there are none. */
export interface FleetReading {
  reader?: FleetReader;
  unavailable?: string;
  close?(): void;
}

export interface CliDeps {
  io: CliIo;
  connect(flags: ConnectionFlags): Promise<OpenClient>;
  loadRegistry(): Promise<Registry>;
  fleetReader(registry: Registry): Promise<FleetReading>;
  /** Waits between `watch` refreshes. */
  sleep(ms: number): Promise<void>;
}

/** What every command gets: the deps, its output helpers and the global options. */
export interface CommandContext extends CliDeps {
  c: Colors;
  /** Prints a line (or lines). */
  print(text?: string): void;
  /** Prints `value` as JSON (`--json`). */
  printJson(value: unknown): void;
  /** Whether output is coloured. */
  colorOn: boolean;
  /** The Temporal Web UI's base URL. */
  webUiUrl: string;
  /** Runs `body` with a client, closing it after. */
  withClient<T>(flags: ConnectionFlags, body: (client: Client) => Promise<T>): Promise<T>;
  /** Who acts: `--by`, else CELLOPS_USER, else USER. */
  identity(by: string | undefined): string | undefined;
}

export function commandContext(deps: CliDeps, webUiUrl: string, colorOn: boolean): CommandContext {
  const { io } = deps;
  return {
    ...deps,
    c: colors(colorOn),
    colorOn,
    print: (text = '') => io.out(`${text}\n`),
    printJson: (value) => io.out(`${JSON.stringify(value, null, 2)}\n`),
    webUiUrl,
    async withClient(flags, body) {
      const open = await deps.connect(flags);
      try {
        return await body(open.client);
      } finally {
        await open.close();
      }
    },
    identity: (by) => by?.trim() || io.env.CELLOPS_USER?.trim() || io.env.USER?.trim() || undefined,
  };
}
