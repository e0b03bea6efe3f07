import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIfExists, writeJsonDurable } from './durable-file.ts';
import type { RunLayout } from './layout.ts';

/** A durable request to cancel a run: whichever process drives it next (or drives it now) ends it cancelled. */
export interface CancelRequest {
  reason: string;
  at: string;
}

const requestPath = (layout: RunLayout) => join(layout.dir, 'cancel.json');

/** Records the request (once: an earlier request stands). */
export async function requestCancel(layout: RunLayout, reason: string): Promise<void> {
  if (existsSync(requestPath(layout))) return;
  await writeJsonDurable(requestPath(layout), { reason, at: new Date().toISOString() } satisfies CancelRequest);
}

/** The run's cancel request, or null (an unreadable one still asks to cancel). */
export async function readCancelRequest(layout: RunLayout): Promise<CancelRequest | null> {
  const text = await readIfExists(requestPath(layout));
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as Partial<CancelRequest>;
    return { reason: typeof parsed.reason === 'string' ? parsed.reason : 'cancelled', at: typeof parsed.at === 'string' ? parsed.at : '' };
  } catch {
    return { reason: 'cancelled', at: '' };
  }
}

/** Cheap check for the driver's poll (no read unless the file is there). */
export function cancelRequested(layout: RunLayout): boolean {
  return existsSync(requestPath(layout));
}
