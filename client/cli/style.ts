/** Colours for people, plain text for pipes: colour only on a terminal, never with NO_COLOR. */
import { createColors } from 'picocolors';

export type Colors = ReturnType<typeof createColors>;

/** Whether to colour output written to a stream (`isTTY`) in `env`. */
export function colorEnabled(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

export function colors(enabled: boolean): Colors {
  return createColors(enabled);
}
