/** Where a command writes: stdout for results, stderr for diagnostics and progress. */
export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  color: boolean;
}

/**
 * The process's own streams. A reader that closes its end early (`buran list | head -1`) is not
 * an error: the rest of that stream's output is dropped quietly (EPIPE) and the command finishes
 * as it would have, exit code included — a run keeps driving to its end.
 */
export function processOutput(): Output {
  const isTTY = process.stdout.isTTY === true;
  const out = quietOnClose(process.stdout);
  const err = quietOnClose(process.stderr);
  return {
    out: (line) => out(`${line}\n`),
    err: (line) => err(`${line}\n`),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
}

function quietOnClose(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') { closed = true; return; }
    throw error;
  });
  return (text) => {
    if (closed) return;
    try {
      stream.write(text);
    } catch (error) {
      // A synchronous write (a file or a TTY) may throw EPIPE instead of emitting it.
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
      closed = true;
    }
  };
}
