import { closeSync, openSync, readSync } from 'node:fs';
import { UsageError } from './errors.ts';

/** Packets and configs are small; anything larger is not one (and /dev/zero is not read forever). */
export const DOCUMENT_MAX_BYTES = 8 * 1024 * 1024;

/** Deeper than this is not a packet or a config, and deep enough to overflow the stack of whatever walks it next. */
export const DOCUMENT_MAX_DEPTH = 64;

/** Reads a JSON or YAML file; unreadable or unparseable input is a UsageError (exit 2). */
export async function readDocument(path: string, what: string): Promise<unknown> {
  const text = stripBom(readCapped(path, what));
  const doc = /\.ya?ml$/i.test(path) ? await parseYaml(text, path, what) : await parseJsonOrYaml(text, path, what);
  const tooDeep = depthPathBeyond(doc, DOCUMENT_MAX_DEPTH);
  if (tooDeep !== null) {
    throw new UsageError(`${what} ${path} is nested more than ${DOCUMENT_MAX_DEPTH} levels deep (at ${tooDeep.slice(0, 200)}…): a ${what} is a shallow document`);
  }
  return doc;
}

// Read in place (no thread-pool round trips at a command's start); a FIFO or a pipe blocks this
// command alone, as an asynchronous read would.
function readCapped(path: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(64 * 1024);
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > DOCUMENT_MAX_BYTES) throw new UsageError(`${what} ${path} is larger than ${DOCUMENT_MAX_BYTES / 1024 / 1024} MiB: not a ${what}`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

// Editors on some systems save UTF-8 with a byte-order mark; JSON.parse rejects it.
const stripBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

async function parseJsonOrYaml(text: string, path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (/\.json$/i.test(path)) throw new UsageError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
    return parseYaml(text, path, what);
  }
}

async function parseYaml(text: string, path: string, what: string): Promise<unknown> {
  const { parse } = await import('yaml');
  try {
    return parse(text);
  } catch (error) {
    throw new UsageError(`${what} ${path} is neither valid JSON nor valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The path of the first value nested deeper than `max` (iteratively: a deep document must not overflow this check either), or null. */
export function depthPathBeyond(doc: unknown, max: number): string | null {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: doc, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= max) return path || '(root)';
    for (const [key, child] of Object.entries(value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1, path: path ? `${path}.${key}` : key });
    }
  }
  return null;
}
