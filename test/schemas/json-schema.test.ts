import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles, schemaText } from '../../schemas/json-schema.ts';
import { parseConfig } from '../../schemas/config.ts';
import { readPacket } from '../../schemas/packet.ts';
import { ROOT } from '../helpers/sandbox.ts';

const committed = (name: string) => readFileSync(join(ROOT, 'docs', 'schemas', name), 'utf8');
const validator = (name: string) => new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(committed(name)));

describe('JSON Schemas in docs/schemas (generated from the zod schemas)', () => {
  it('the committed files are what the code generates: run `npm run schemas` after changing schemas/', () => {
    for (const [name, schema] of Object.entries(jsonSchemaFiles())) expect(committed(name), name).toBe(schemaText(schema));
  });

  it('the config schema accepts what the loader accepts ($schema, "//" notes) and rejects a misspelt key like the loader', () => {
    const check = validator('config.schema.json');
    const good = {
      $schema: './node_modules/buran/docs/schemas/config.schema.json',
      '//': ['a note'],
      workers: { implementer: { '//': 'n', preset: 'claude', max_turns: 5 }, reviewer: { command: ['node', 'r.mjs'] } },
      verification: { '//': 'n', allowed_commands: ['npm test'] },
      workspace: { setup: [['npm', 'ci']] },
      handoff: { kind: 'git-branch' },
    };
    expect(parseConfig(good).ok).toBe(true);
    expect(check(good), JSON.stringify(check.errors)).toBe(true);
    const typo = { ...good, limits: { max_fix_atempts: 2 } };
    expect(parseConfig(typo).ok).toBe(false);
    expect(check(typo)).toBe(false);
    const wrongKind = { handoff: { kind: 'email' } };
    expect(parseConfig(wrongKind).ok).toBe(false);
    expect(check(wrongKind)).toBe(false);
  });

  it('the packet schema requires what sufficiency requires: the shipped packets pass, a packet missing a goal does not', () => {
    const check = validator('packet.schema.json');
    for (const file of ['examples/demo/packet.json', 'test/fixtures/packet.json']) {
      const packet = JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
      expect(readPacket(packet).missing, file).toEqual([]);
      expect(check(packet), `${file}: ${JSON.stringify(check.errors)}`).toBe(true);
    }
    const packet = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/packet.json'), 'utf8'));
    const { goal: _goal, ...scope } = packet.scope;
    const noGoal = { ...packet, scope };
    expect(readPacket(noGoal).missing.map((m) => m.item)).toEqual(['scope.goal']);
    expect(check(noGoal)).toBe(false);
    expect(check({ ...packet, approved: false })).toBe(false);
    const { scm_target: _target, ...rest } = packet;
    expect(check({ ...rest, github: { repo: 'o/n', issue_number: 3 } })).toBe(true);
    expect(check(rest)).toBe(false);
  });
});
