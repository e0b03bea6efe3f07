// Property tests of readPacket: any packet object yields a well-typed plan plus named missing items, never a throw.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readPacket, SUFFICIENCY_RULES, type Plan } from '../../schemas/packet.ts';
import { jsonish, packetCorruption, PACKET_FIELDS, setPath, validPacket, type PacketField } from './arbitraries.ts';

const KEYS = ['task_id', 'approved', 'scm_target', 'github', 'scope', 'goal', 'acceptance_criteria', 'non_goals', 'implementation',
  'instructions', 'verification', 'commands', 'review', 'criteria', 'conflict_surface', 'limits', 'max_fix_attempts', 'repo', 'issue_number'];
const anyObject = fc.oneof(jsonish(KEYS), validPacket.chain((p) => fc.constantFrom(...(Object.keys(PACKET_FIELDS) as PacketField[])).chain((f) => jsonish(KEYS).map((v) => setPath(p, f, v)))))
  .filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));

const isTexts = (a: unknown) => Array.isArray(a) && a.every((s) => typeof s === 'string' && s.trim() === s && s !== '');

/** The plan's fields have the types the machine relies on, whatever the input was. */
function planIsWellTyped(plan: Plan): boolean {
  const strings = [plan.task_id, plan.goal, plan.instructions, plan.verification_expectations, plan.repo, plan.base_branch, plan.intended_branch];
  return strings.every((s) => typeof s === 'string') && typeof plan.approved === 'boolean'
    && [plan.acceptance_criteria, plan.non_goals, plan.verification_commands, plan.review_criteria, plan.conflict_surface].every(isTexts)
    && (plan.issue_number === null || (Number.isInteger(plan.issue_number) && plan.issue_number > 0))
    && (plan.max_fix_attempts === null || (Number.isInteger(plan.max_fix_attempts) && plan.max_fix_attempts >= 0 && plan.max_fix_attempts <= 100));
}

describe('readPacket (property)', () => {
  it('any object: never throws, a well-typed plan, every missing item named with a message that says what to fix', () => {
    fc.assert(fc.property(anyObject, (raw) => {
      const { plan, missing } = readPacket(raw);
      expect(planIsWellTyped(plan)).toBe(true);
      for (const m of missing) {
        expect(m.item.length).toBeGreaterThan(0);
        expect(m.message.length).toBeGreaterThan(m.item === '(packet)' ? 0 : 2);
      }
    }), { numRuns: 400 });
  });

  it('no missing item means every sufficiency rule holds; a broken rule is always reported', () => {
    fc.assert(fc.property(anyObject, (raw) => {
      const { plan, missing } = readPacket(raw);
      for (const rule of SUFFICIENCY_RULES) {
        if (!rule.holds(plan)) expect(missing.some((m) => m.item === rule.item || m.item.startsWith(`${rule.item}.`)), rule.item).toBe(true);
      }
      if (missing.length === 0) expect(SUFFICIENCY_RULES.every((r) => r.holds(plan))).toBe(true);
    }), { numRuns: 400 });
  });

  it('a sufficient packet reads with nothing missing and its fields in the plan', () => {
    fc.assert(fc.property(validPacket, (p) => {
      const { plan, missing } = readPacket(p);
      expect(missing).toEqual([]);
      expect(plan).toMatchObject({
        task_id: p.task_id.trim(), approved: true, goal: p.scope.goal.trim(), repo: p.scm_target.repo.trim(),
        verification_commands: p.verification.commands.map((c) => c.trim()), max_fix_attempts: p.limits.max_fix_attempts,
      });
    }));
  });

  it('one malformed field is reported under its own path and the well-formed fields are kept', () => {
    fc.assert(fc.property(validPacket, packetCorruption, (p, { field, bad }) => {
      const { plan, missing } = readPacket(setPath(p, field, bad));
      const good = readPacket(p).plan;
      expect(missing.length).toBeGreaterThan(0);
      expect(missing.every((m) => m.item === field || m.item.startsWith(`${field}.`)), JSON.stringify(missing)).toBe(true);
      expect(plan.task_id === good.task_id || field === 'task_id').toBe(true);
      expect(plan.goal === good.goal || field === 'scope.goal').toBe(true);
    }), { numRuns: 300 });
  });

  // Found by this property: dropPath once spliced bad array entries with the first parse's indices, so a second
  // bad entry shifted under it and the whole packet was reported missing.
  it('two malformed entries in one array are reported without dropping the rest of the packet', () => {
    fc.assert(fc.property(validPacket, fc.constantFrom('scope.non_goals', 'conflict_surface', 'scope.acceptance_criteria'), (p, field) => {
      const { missing } = readPacket(setPath(p, field, [1, 2]));
      expect(missing.every((m) => m.item.startsWith(`${field}.`)), JSON.stringify(missing.map((m) => m.item))).toBe(true);
    }));
  });
});
