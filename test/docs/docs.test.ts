import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCKER_CODES } from '../../machines/types.ts';
import { RUN_STATES } from '../../machines/states.ts';
import { configJsonSchema } from '../../schemas/json-schema.ts';
import { buran, ROOT } from '../helpers/sandbox.ts';

const DOCS = join(ROOT, 'docs');
const pages = ['README.md', ...readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

describe('docs/ (the user reference, shipped in the package)', () => {
  it('every relative link of README and docs/ points at a file that exists, and none leaves the repository', () => {
    for (const page of pages) {
      for (const [, target] of read(page).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const file = resolve(dirname(join(ROOT, page)), target!);
        expect(existsSync(file), `${page} links ${target}`).toBe(true);
        expect(file.startsWith(ROOT), `${page} links outside the repository: ${target}`).toBe(true);
      }
    }
  });

  it('states-and-blockers lists every run state and every blocker code the code has', () => {
    const text = read('docs/states-and-blockers.md');
    for (const state of RUN_STATES) expect(text, state).toContain(`\`${state}\``);
    for (const code of BLOCKER_CODES) expect(text, code).toMatch(new RegExp(`^\\| \`${code}\` \\|`, 'm'));
  });

  it('config.md explains every key the config schema accepts', () => {
    const text = read('docs/config.md');
    const schema = configJsonSchema();
    // `$schema` and `"//"` notes are documented once, as such.
    expect(text).toContain('`"$schema"`');
    expect(text).toContain('`"//"`');
    const keys = (node: Record<string, any>): string[] => Object.keys(node.properties ?? {}).filter((k) => k !== '$schema' && k !== '//');
    for (const section of keys(schema)) {
      expect(text, section).toContain(`\`${section}\``);
      const node = schema.properties[section];
      for (const key of keys(node.$ref ? schema.definitions[node.$ref.split('/').pop()] : node)) expect(text, `${section}.${key}`).toContain(`\`${key}\``);
    }
    for (const key of keys(schema.definitions.worker)) expect(text, `worker ${key}`).toContain(`\`${key}\``);
  });

  it('commands.md has a section for every command the CLI offers', async () => {
    const help = (await buran(['--help'])).stdout;
    const commands = [...help.split('Commands:')[1]!.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(10);
    const text = read('docs/commands.md');
    for (const command of commands) expect(text, command).toMatch(new RegExp(`^### \`buran ${command}\\b`, 'm'));
  });
});
