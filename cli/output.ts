import { redact, secretValues } from '../adapters/redact.ts';

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
    out: (line) => out(`${redactOutput(line)}\n`),
    err: (line) => err(`${redactOutput(line)}\n`),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
}

// Everything a command prints goes through redaction, whatever produced it (an error message that
// quotes a config key holding a token, say): secrets never reach any output (CONTRACT 6).
const outputSecrets = secretValues(process.env);

/** A text as it may be printed. */
export function redactOutput(text: string): string {
  return redact(text, outputSecrets);
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
