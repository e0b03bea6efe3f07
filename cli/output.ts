/** Where a command writes: stdout for results, stderr for diagnostics and progress. */
export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  color: boolean;
}

/** The process's own streams. */
export function processOutput(): Output {
  const isTTY = process.stdout.isTTY === true;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
}
