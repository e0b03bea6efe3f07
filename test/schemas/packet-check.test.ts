import { describe, expect, it } from 'vitest';
import { checkPacket } from '../../schemas/packet-check.ts';
import { shellSyntaxIn } from '../../schemas/shell-syntax.ts';

describe('packet keys (CONTRACT 2)', () => {
  it('a misspelt key is an error naming the key it resembles; a known key in the wrong place too', () => {
    const { errors, unknown } = checkPacket({
      task_id: 'x', conflict_surfaces: ['src/'], scope: { goal: 'g', non_goal: ['n'], Acceptance_Criteria: ['a'] },
      non_goals: ['top'], verification: { command: ['npm test'] }, limits: { max_fix_atempts: 1 },
    });
    expect(errors).toEqual([
      'conflict_surfaces: not a packet key; did you mean conflict_surface? (an unknown key is ignored, which here would drop a setting)',
      'non_goals: not a packet key; did you mean scope.non_goals? (an unknown key is ignored, which here would drop a setting)',
      'scope.non_goal: not a packet key; did you mean scope.non_goals? (an unknown key is ignored, which here would drop a setting)',
      'scope.Acceptance_Criteria: not a packet key; did you mean scope.acceptance_criteria? (an unknown key is ignored, which here would drop a setting)',
      'verification.command: not a packet key; did you mean verification.commands? (an unknown key is ignored, which here would drop a setting)',
      'limits.max_fix_atempts: not a packet key; did you mean limits.max_fix_attempts? (an unknown key is ignored, which here would drop a setting)',
    ]);
    expect(unknown).toEqual([]);
  });

  it('other unknown keys are only reported; known keys are silent', () => {
    expect(checkPacket({ task_id: 'x', title: 'seed field', priority: 3, scope: { goal: 'g', owner: 'me' } })).toEqual({ errors: [], unknown: ['title', 'priority', 'scope.owner'] });
  });
});

describe('shell syntax in verification commands', () => {
  it('finds operators outside quotes, and command substitution inside double quotes', () => {
    const cases: Array<[string, string | null]> = [
      ['npx ava && echo done', '&&'], ['npm test || true', '||'], ['npm test | tee log', '|'], ['make; make test', ';'],
      ['npm test > out.txt', '>'], ['node x < in', '<'], ['npm test &', '&'], ['echo $(whoami)', '$('], ['echo `id`', '`'],
      ['node -e "console.log($(id))"', '$('],
      ['npm test', null], ["node -e 'a && b || c; d > e'", null], ['node -e "1 > 0"', null], ['grep a\\|b file', null], ['npm test -- --grep "a|b"', null],
    ];
    for (const [command, syntax] of cases) expect(shellSyntaxIn(command), command).toBe(syntax);
  });

  it('a packet whose command holds shell syntax is invalid, with the fix', () => {
    expect(checkPacket({ verification: { commands: ['npm test', 'npx ava && echo done'] } }).errors).toEqual([
      'verification.commands.1: "npx ava && echo done" holds shell syntax (&&), but commands run without a shell: list each part as its own command (they run in order and stop at the first that fails)',
    ]);
  });
});

describe('$schema in a packet', () => {
  it('is accepted at the top (for editors) and makes no other key a misspelling of it', () => {
    expect(checkPacket({ $schema: './packet.schema.json', task_id: 'x' })).toEqual({ errors: [], unknown: [] });
    expect(checkPacket({ schema: 'v2', scope: { $schema: 'x' } })).toEqual({ errors: [], unknown: ['schema', 'scope.$schema'] });
  });
});

describe('readPacket on exotic input', () => {
  it('a field holding an object without a prototype (fuzzing found it crashing zod\'s length check) is reported, not thrown', async () => {
    const { readPacket } = await import('../../schemas/packet.ts');
    const { missing } = readPacket({ task_id: { length: Object.create(null) }, approved: true });
    expect(missing.filter((m) => m.item === 'task_id').length).toBeGreaterThan(0);
  });
});
