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

/** Parses completion file text; never throws. */
export function parseCompletion(text: string): CompletionRead {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', message: `completion is not JSON: ${(error as Error).message}` };
  }
  const parsed = CompletionSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'invalid', message: parsed.error.issues.map(formatIssue).join('; ') };
  return { kind: 'present', completion: parsed.data };
}
