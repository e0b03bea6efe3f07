import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 64 * 1024;

/**
 * Reads a worker's log as it grows and says once a line `isTerminal` accepts has been written
 * (an agent's final `result` / `turn.completed` event). The log is a file the worker writes
 * itself, so reading it never holds the worker or its grandchildren; a partial last line waits
 * for its newline.
 */
export class TerminalWatch {
  #offset = 0;
  #partial = '';
  #seen = false;
  // A character split across two reads is decoded whole.
  #decoder = new StringDecoder('utf8');

  constructor(readonly logFile: string, private readonly isTerminal: (line: string) => boolean) {}

  /** Reads what was appended since the last call; true once a terminal line has been seen. */
  poll(): boolean {
    if (this.#seen) return true;
    let fd: number;
    try {
      fd = openSync(this.logFile, 'r');
    } catch {
      return false;
    }
    try {
      const size = fstatSync(fd).size;
      const buffer = Buffer.alloc(CHUNK);
      while (this.#offset < size && !this.#seen) {
        const read = readSync(fd, buffer, 0, Math.min(CHUNK, size - this.#offset), this.#offset);
        if (read <= 0) break;
        this.#offset += read;
        this.#scan(this.#decoder.write(buffer.subarray(0, read)));
      }
    } finally {
      closeSync(fd);
    }
    return this.#seen;
  }

  #scan(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    // A very long line without a newline yet is kept whole until it ends.
    for (const line of lines) {
      if (this.isTerminal(line.trim())) {
        this.#seen = true;
        return;
      }
    }
  }
}
