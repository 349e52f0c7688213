/** `cellops`: the process entry (see bin/cellops). */
import { processDeps } from './deps';
import { runCli } from './program';

/** Runs the CLI on this process's arguments and streams; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const io = {
    out: (text: string) => void process.stdout.write(text),
    err: (text: string) => void process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
  };
  return await runCli(argv, processDeps(io));
}
