import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { readIfExists } from './durable-file.ts';
import type { RunLayout } from './layout.ts';

// run.json is written once, so the old run's side of a retry link is a small append-only file.
const linksOf = (layout: RunLayout) => join(layout.dir, 'retries.jsonl');

/** Records that `retryRunId` was started from this run by `buran retry` (fsync'd). */
export async function linkRetry(layout: RunLayout, retryRunId: string): Promise<void> {
  const handle = await open(linksOf(layout), 'a');
  try {
    await handle.appendFile(`${JSON.stringify({ run_id: retryRunId, at: new Date().toISOString() })}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** The runs started from this one by `buran retry`, oldest first (a torn last line is skipped). */
export async function readRetries(layout: RunLayout): Promise<string[]> {
  const text = (await readIfExists(linksOf(layout))) ?? '';
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { run_id?: unknown };
      if (typeof entry.run_id === 'string') ids.push(entry.run_id);
    } catch { /* an empty or torn line */ }
  }
  return ids;
}
