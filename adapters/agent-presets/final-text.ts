import { isAbsolute, relative, sep } from 'node:path';
import type { Finding } from '../../machines/types.ts';
import type { StreamTask } from './types.ts';

/** Longest summary kept from an agent's final text. */
export const SUMMARY_MAX_CHARS = 2000;
// A verdict or blocked line is looked for only near the end of the final text.
const TAIL_CHARS = 20_000;

/**
 * The JSON objects of a captured stream, one per line, keys in any order; other lines (stderr,
 * banners, a line another event was written into the middle of) go to `other`.
 */
export function jsonLines(output: string, other?: (line: string) => void): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const value = line.startsWith('{') ? parseObject(line) : null;
    if (value !== null) events.push(value);
    else other?.(line);
  }
  return events;
}

function parseObject(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return isRecord(value) ? value : null;
  } catch {
    return null; // a non-JSON line that happens to start with a brace
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The last JSON object in `text` that `accept` takes, with the text before and after it. */
export function lastJsonObject(
  text: string, accept: (value: Record<string, unknown>) => boolean,
): { value: Record<string, unknown>; rest: string } | null {
  const offset = Math.max(0, text.length - TAIL_CHARS);
  const tail = text.slice(offset);
  for (let start = tail.lastIndexOf('{'); start >= 0; start = tail.lastIndexOf('{', start - 1)) {
    const end = objectEnd(tail, start);
    if (end === null) continue;
    let value: unknown;
    try {
      value = JSON.parse(tail.slice(start, end));
    } catch {
      continue;
    }
    if (isRecord(value) && accept(value)) {
      return { value, rest: `${text.slice(0, offset + start)}${tail.slice(end)}` };
    }
  }
  return null;
}

// The index just past the brace that closes the object opened at `start`, string-aware.
function objectEnd(text: string, start: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i + 1;
  }
  return null;
}

const VERDICTS = ['PASS', 'FAIL', 'BLOCKED'] as const;
type Verdict = (typeof VERDICTS)[number];

/** The reviewer's verdict line, its findings cleaned to the completion's shape. */
export function readVerdict(text: string): { verdict: Verdict; findings: Finding[]; rest: string } | null {
  const found = lastJsonObject(text, (v) => VERDICTS.includes(v.verdict as Verdict));
  if (found === null) return null;
  const raw = Array.isArray(found.value.findings) ? found.value.findings : [];
  const findings: Finding[] = [];
  for (const item of raw) {
    if (!isRecord(item) || typeof item.message !== 'string' || item.message.trim() === '') continue;
    const severity = typeof item.severity === 'string' && item.severity.trim() !== '' ? item.severity : 'error';
    findings.push({ severity, message: item.message, ...(typeof item.path === 'string' ? { path: item.path } : {}) });
  }
  return { verdict: found.value.verdict as Verdict, findings, rest: found.rest };
}

/** An implementer's or fixer's `{"status":"blocked","reason":"…"}` final line. */
export function readBlocked(text: string): { reason: string } | null {
  const lines = text.trimEnd().split(/\r?\n/);
  const last = (lines[lines.length - 1] ?? '').trim().replace(/^`+|`+$/g, '');
  if (!last.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(last);
    if (!isRecord(value) || value.status !== 'blocked') return null;
    const reason = typeof value.reason === 'string' && value.reason.trim() !== '' ? value.reason.trim() : 'the agent reported the task blocked';
    return { reason };
  } catch {
    return null;
  }
}

export function clip(text: string, max = SUMMARY_MAX_CHARS): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}

/** Deduplicated, sorted artifact paths; absolute paths inside `workspace` become relative. */
export function artifactPaths(paths: Iterable<string>, workspace?: string): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    if (typeof path !== 'string' || path === '') continue;
    if (workspace !== undefined && isAbsolute(path)) {
      const rel = relative(workspace, path);
      out.add(rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path);
    } else out.add(path);
  }
  return [...out].sort();
}

/**
 * Maps the agent's own end-of-run report to a completion: `failure` names the error when the
 * agent did not finish; otherwise the final text decides (reviewer verdict, blocked line).
 */
export function completionOf(
  task: StreamTask, finalText: string, failure: { kind: string; message: string } | null, artifacts: string[],
): { completion: Record<string, unknown>; error_kind: string | null } {
  const base = { task_id: task.task_id, artifacts, findings: [] as Finding[] };
  if (failure !== null) {
    const detail = clip(finalText, 500);
    const summary = `the agent did not finish: ${failure.kind}${failure.message ? ` (${failure.message})` : ''}${detail ? `; last output: ${detail}` : ''}`;
    return { completion: { ...base, status: 'failed', summary: clip(summary) }, error_kind: failure.kind };
  }
  if (task.role === 'reviewer') {
    const verdict = readVerdict(finalText);
    // No verdict line: returned without one, so the run's machine judges it completion_invalid.
    if (verdict === null) return { completion: { ...base, status: 'completed', summary: clip(finalText) }, error_kind: 'no_verdict' };
    return {
      completion: { ...base, status: 'completed', summary: clip(verdict.rest) || `review verdict ${verdict.verdict}`, verdict: verdict.verdict, findings: verdict.findings },
      error_kind: null,
    };
  }
  const blocked = readBlocked(finalText);
  if (blocked !== null) return { completion: { ...base, status: 'blocked', summary: clip(blocked.reason) }, error_kind: null };
  return { completion: { ...base, status: 'completed', summary: clip(finalText) || 'the agent finished without a final message' }, error_kind: null };
}
