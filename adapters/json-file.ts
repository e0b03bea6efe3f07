import { readIfExists } from '../persistence/durable-file.ts';

/** Reads a JSON artifact the runner itself wrote, or null if absent or unreadable (a torn write). */
export async function readOwnJson<T>(path: string): Promise<T | null> {
  const text = await readIfExists(path);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
