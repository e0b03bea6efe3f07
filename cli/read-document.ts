import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.ts';

/** Reads a JSON or YAML file; unreadable or unparseable input is a UsageError (exit 2). */
export async function readDocument(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (/\.ya?ml$/i.test(path)) return parseYaml(text, path, what);
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
