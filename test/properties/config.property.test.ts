// Property tests of parseConfig: any document yields a complete config or errors naming a field path, never a throw.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig, type Config } from '../../schemas/config.ts';
import { jsonish, setPath, text, validConfig } from './arbitraries.ts';

const KEYS = ['workers', 'implementer', 'fixer', 'reviewer', 'command', 'preset', 'timeout_ms', 'env', 'verification', 'allowed_commands',
  'limits', 'max_fix_attempts', 'max_dispatch_retries', 'lease', 'ttl_ms', 'handoff', 'kind'];
const anyDocument = fc.oneof(jsonish(KEYS), validConfig.chain((c) => fc.constantFrom(...KEYS).chain((k) => jsonish(KEYS).map((v) => ({ ...c, [k]: v })))));
const posInt = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
const budget = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 100;

/** A parsed config has every default applied: the runner reads it without further checks. */
function isComplete(c: Config): boolean {
  const workersOk = Object.entries(c.workers).every(([role, w]) =>
    ['implementer', 'fixer', 'reviewer'].includes(role) && w !== undefined && Array.isArray(w.command) && w.command.length > 0
    && posInt(w.timeout_ms) && Array.isArray(w.env));
  return workersOk && posInt(c.verification.timeout_ms) && Array.isArray(c.verification.allowed_commands)
    && budget(c.limits.max_fix_attempts) && budget(c.limits.max_dispatch_retries) && posInt(c.lease.ttl_ms) && c.handoff.kind === 'local';
}

/** "workers.fixer.command: …" or "(root): …": a path a user can find, then what is wrong. */
const ERROR = /^(\(root\)|[A-Za-z_0-9]+(\.[A-Za-z_0-9]+)*): \S.*/s;

describe('parseConfig (property)', () => {
  it('any document: never throws; a complete config, or errors that each name a field path and the problem', () => {
    fc.assert(fc.property(fc.oneof(anyDocument, fc.anything()), (raw) => {
      const result = parseConfig(raw);
      if (result.ok) expect(isComplete(result.value), JSON.stringify(result.value)).toBe(true);
      else {
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) expect(e).toMatch(ERROR);
      }
    }), { numRuns: 500 });
  });

  it('a valid config parses, keeps what it says, and parsing the result again changes nothing', () => {
    fc.assert(fc.property(validConfig, (raw) => {
      const first = parseConfig(raw);
      expect(first.ok).toBe(true);
      if (!first.ok) return;
      expect(isComplete(first.value)).toBe(true);
      if (raw.limits?.max_fix_attempts !== undefined) expect(first.value.limits.max_fix_attempts).toBe(raw.limits.max_fix_attempts);
      if (raw.workers?.fixer) expect(first.value.workers.fixer?.command).toEqual(raw.workers.fixer.command);
      expect(parseConfig(JSON.parse(JSON.stringify(first.value)))).toEqual(first);
    }));
  });

  it('a wrong value or an unknown key is an error naming that path', () => {
    const cases = fc.oneof(
      fc.record({ path: fc.constantFrom('limits.max_fix_attempts', 'limits.max_dispatch_retries'), bad: fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 101 }), text) }),
      fc.record({ path: fc.constantFrom('verification.timeout_ms', 'lease.ttl_ms'), bad: fc.oneof(fc.integer({ max: 0 }), fc.constant(0.5), text) }),
      fc.record({ path: fc.constantFrom('limits.max_fixes', 'verification.allowed', 'workers.tester'), bad: fc.integer() }),
    );
    const base = { workers: {}, verification: {}, limits: {}, lease: {}, handoff: {} };
    fc.assert(fc.property(cases, ({ path, bad }) => {
      const result = parseConfig(setPath(base, path, bad));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const parent = path.split('.')[0]!;
      expect(result.errors.some((e) => e.startsWith(`${path}:`) || (e.startsWith(`${parent}:`) && e.includes(path.split('.')[1]!))), result.errors.join('\n')).toBe(true);
    }));
  });
});
