import { z } from './zod.ts';
import { formatIssue } from './config.ts';

const FindingSchema = z.looseObject({
  severity: z._default(z.string().check(z.minLength(1)), 'error'),
  message: z.string().check(z.minLength(1)),
  path: z.optional(z.string()),
});

/** A finding of a gate or a reviewer, handed to the fixer. */
export type Finding = z.infer<typeof FindingSchema>;

/** The completion JSON a worker writes (CONTRACT 4). */
export const CompletionSchema = z.looseObject({
  task_id: z.string().check(z.minLength(1)),
  status: z.enum(['completed', 'failed', 'blocked']),
  summary: z.string(),
  artifacts: z._default(z.array(z.string()), []),
  verdict: z.optional(z.enum(['PASS', 'FAIL', 'BLOCKED'])),
  findings: z._default(z.array(FindingSchema), []),
});

export type Completion = z.infer<typeof CompletionSchema>;

/** What reading a completion slot found: the machine decides what it means. */
export type CompletionRead =
  | { kind: 'missing' }
  | { kind: 'invalid'; message: string }
  | { kind: 'present'; completion: Completion };

/** Parses completion file text; never throws. What is kept is bounded (boundCompletion). */
export function parseCompletion(text: string): CompletionRead {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // Not the parser's own message: it quotes the text, which is the worker's and may be anything.
    return { kind: 'invalid', message: `completion is not JSON (${jsonErrorPlace(error)})` };
  }
  const parsed = CompletionSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'invalid', message: clipText(parsed.error.issues.map(formatIssue).join('; '), 2048) };
  return { kind: 'present', completion: boundCompletion(parsed.data) };
}

function jsonErrorPlace(error: unknown): string {
  const position = /position (\d+)/.exec((error as Error).message)?.[1];
  return position === undefined ? 'it does not parse' : `it does not parse at byte ${position}`;
}

/** The largest completion file read at all; a larger one is completion_invalid. */
export const COMPLETION_MAX_BYTES = 1024 * 1024;

/**
 * What a completion may carry into the run's records (snapshot, task files, journal): a worker's
 * text is cut to these many bytes, the cut said in the text. Full output stays in its log.
 */
export const COMPLETION_LIMITS = { summaryBytes: 8 * 1024, findings: 50, findingBytes: 4 * 1024, fieldBytes: 1024, artifacts: 500 } as const;

/** A completion with every worker-written text and list cut to COMPLETION_LIMITS; fields the format does not know are dropped. */
export function boundCompletion(c: Completion): Completion {
  const L = COMPLETION_LIMITS;
  const findings = c.findings.slice(0, L.findings).map((f) => ({
    severity: clipText(f.severity, L.fieldBytes),
    message: clipText(f.message, L.findingBytes),
    ...(f.path !== undefined ? { path: clipText(f.path, L.fieldBytes) } : {}),
  }));
  if (c.findings.length > L.findings) {
    findings.push({ severity: 'info', message: `${c.findings.length - L.findings} more finding(s) were cut (at most ${L.findings} are kept)` });
  }
  return {
    task_id: clipText(c.task_id, L.fieldBytes),
    status: c.status,
    summary: clipText(c.summary, L.summaryBytes),
    artifacts: c.artifacts.slice(0, L.artifacts).map((a) => clipText(a, L.fieldBytes)),
    ...(c.verdict !== undefined ? { verdict: c.verdict } : {}),
    findings,
  };
}

/** `text` cut to at most `maxBytes` of UTF-8 (on a character boundary), saying how much was cut. */
export function clipText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const note = ` … [cut: ${bytes} bytes, ${maxBytes} kept]`;
  const keep = Buffer.from(text).subarray(0, Math.max(0, maxBytes - Buffer.byteLength(note))).toString('utf8').replace(/\uFFFD$/, '');
  return `${keep}${note}`;
}
