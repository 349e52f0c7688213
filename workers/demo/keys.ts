/** One key press from the terminal: `a` approves, `r` rejects. */

/** Prints `prompt` and resolves with true for `a`, false for `r`; Ctrl-C still stops the process. */
export function askKey(prompt: string, print: (line: string) => void): Promise<boolean> {
  print(prompt);
  const stdin = process.stdin;
  return new Promise((resolve) => {
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const onData = (data: Buffer): void => {
      const key = data.toString('utf8').toLowerCase();
      if (key === '\u0003') {
        process.kill(process.pid, 'SIGINT');
        return;
      }
      if (key !== 'a' && key !== 'r') return;
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      resolve(key === 'a');
    };
    stdin.on('data', onData);
  });
}
