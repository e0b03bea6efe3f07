// Property tests of parseCompletion: any file text yields a valid completion or an `invalid` reading with a reason, never a throw.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CompletionSchema, parseCompletion } from '../../schemas/completion.ts';
import { jsonish, validCompletion } from './arbitraries.ts';

const KEYS = ['task_id', 'status', 'summary', 'artifacts', 'verdict', 'findings', 'severity', 'message', 'path'];
/** File texts a worker might leave: garbage, truncated JSON, any JSON value, near-valid completions. */
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  jsonish(KEYS).map((v) => JSON.stringify(v) ?? 'undefined'),
  validCompletion.map((c) => JSON.stringify(c)),
  validCompletion.chain((c) => fc.nat({ max: 200 }).map((n) => JSON.stringify(c).slice(0, n))),
  validCompletion.chain((c) => fc.constantFrom(...KEYS).chain((k) => jsonish(KEYS).map((v) => JSON.stringify({ ...c, [k]: v })))),
);

describe('parseCompletion (property)', () => {
  it('any text: never throws; a completion that satisfies the schema, or invalid with a reason', () => {
    fc.assert(fc.property(anyText, (text) => {
      const read = parseCompletion(text);
      expect(['present', 'invalid']).toContain(read.kind);
      if (read.kind === 'present') {
        expect(CompletionSchema.safeParse(read.completion).success).toBe(true);
        expect(Array.isArray(read.completion.artifacts) && Array.isArray(read.completion.findings)).toBe(true);
      } else if (read.kind === 'invalid') {
        expect(read.message.trim().length).toBeGreaterThan(0);
      }
    }), { numRuns: 600 });
  });

  it('a valid completion reads back with the same task, status, verdict and findings', () => {
    fc.assert(fc.property(validCompletion, (c) => {
      const read = parseCompletion(JSON.stringify(c));
      expect(read.kind).toBe('present');
      if (read.kind !== 'present') return;
      expect(read.completion).toMatchObject({ task_id: c.task_id, status: c.status, summary: c.summary, artifacts: c.artifacts ?? [] });
      expect(read.completion.verdict).toBe(c.verdict);
      expect(read.completion.findings.map((f) => f.message)).toEqual((c.findings ?? []).map((f) => f.message));
    }));
  });

  it('a completion with a required field missing or of the wrong type is invalid, and the reason names the field', () => {
    const field = fc.constantFrom('task_id', 'status', 'summary');
    const wrong = fc.oneof(fc.constant(undefined), fc.integer(), fc.constant(null), fc.constant(''), fc.constant('done'));
    fc.assert(fc.property(validCompletion, field, wrong, (c, f, v) => {
      fc.pre(!(f === 'summary' && (v === '' || v === 'done')) && !(f === 'task_id' && v === 'done'));
      const read = parseCompletion(JSON.stringify({ ...c, [f]: v }));
      expect(read.kind).toBe('invalid');
      if (read.kind === 'invalid') expect(read.message).toContain(f);
    }));
  });

  it('text that is not JSON is invalid and says so', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      fc.pre((() => { try { JSON.parse(s); return false; } catch { return true; } })());
      const read = parseCompletion(s);
      expect(read).toMatchObject({ kind: 'invalid' });
      // The parser's own message is not passed on: it quotes the worker's text.
      if (read.kind === 'invalid') expect(read.message).toMatch(/^completion is not JSON \(it does not parse( at byte \d+)?\)$/);
    }));
  });
});
