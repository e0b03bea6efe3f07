import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonDurable } from '../persistence/durable-file.ts';
import { readOwnJson } from './json-file.ts';

/**
 * An agent's quota is its account's, not one run's: once a dispatch saw it run out with a reset
 * time, the other runs of the registry (a batch above all) hold back that agent's new dispatches
 * until the reset instead of each burning a try on it. Keyed by preset and program path; the
 * file holds an absolute time, so it holds across restarts, and an expired one is ignored.
 */
interface Hold {
  until: number;
  /** The task whose stream reported the quota. */
  by: string;
}

function holdFile(dir: string, preset: string, program: string): string {
  const key = createHash('sha256').update(program).digest('hex').slice(0, 12);
  return join(dir, `${preset}-${key}.json`);
}

/** The hold on this agent, if it lasts past `now`. */
export async function heldUntil(dir: string, preset: string, program: string, now: number): Promise<Hold | null> {
  const hold = await readOwnJson<Hold>(holdFile(dir, preset, program));
  return hold !== null && typeof hold.until === 'number' && hold.until > now ? hold : null;
}

/** Holds this agent back until `until` (a later hold is kept if one is already there). */
export async function holdAgent(dir: string, preset: string, program: string, until: number, by: string): Promise<void> {
  const path = holdFile(dir, preset, program);
  const current = await readOwnJson<Hold>(path);
  if (current !== null && current.until >= until) return;
  await mkdir(dir, { recursive: true });
  await writeJsonDurable(path, { until, by });
}
