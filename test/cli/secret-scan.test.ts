import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, ROOT, statusOf, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { GH, makeRepo } from '../helpers/git-repo.ts';

// CONTRACT 6: before a git-branch or github-pr handoff the change is scanned; a hit ends the run
// blocked_needs_human with secret_in_change naming file and line, nothing committed or pushed.

const EDIT = join(ROOT, 'test', 'fixtures', 'edit-worker.mjs');
const TOKEN = `ghp_${'a1B2c3D4e5'.repeat(4)}`;

function config(sb: Sandbox, files: Array<[string, string]>, handoff: Record<string, unknown>, env: string[] = []): string {
  const path = sb.path('config.json');
  writeFileSync(path, JSON.stringify({
    workers: {
      // The content goes through files beside the config: a config holding a token is refused (exit 2).
      implementer: { command: ['node', EDIT, ...files.flatMap(([file, content], i) => {
        const source = sb.path(`content-${i}.txt`);
        writeFileSync(source, content);
        return ['--copy', source, file];
      })], env },
      reviewer: { command: ['node', EDIT, '--verdict', 'PASS'] },
    },
    verification: { allowed_commands: ['node check.mjs'] },
    limits: { max_fix_attempts: 0 },
    handoff,
  }));
  return path;
}

describe('no secret in a commit', () => {
  it('a token a worker wrote into a file stops a git-branch handoff: secret_in_change names file and line, nothing is committed', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const source = `export const count = (xs) => xs.length;\n\n// deploy\nconst token = "${TOKEN}";\n`;
    const cfg = config(sb, [['src/count.js', source], ['notes.md', 'nothing to see\n']], { kind: 'git-branch' });
    const result = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', cfg, '--registry', sb.registry, '--run-id', 'leaky'], { env: r.env });
    expect(result.code, result.stderr).toBe(3);
    const status = await statusOf(sb, 'leaky');
    expect(status.blocker).toMatchObject({ code: 'secret_in_change', epoch: 1 });
    expect(status.blocker.message).toBe('the change holds what looks like a secret, so nothing was committed or pushed: src/count.js:4 (a token shaped like ghp_…)');
    expect(JSON.stringify(status)).not.toContain(TOKEN);
    // The branch was made from main for the run and holds no commit of it.
    expect(r.git('rev-parse', 'buran/fixture-1')).toBe(r.git('rev-parse', 'main'));
    expect(status.handoff).toBeNull();
    expect(status.next_safe_action.kind).toBe('manual_review');
  });

  it('the value of a variable passed to a worker is a secret whatever its name; github-pr pushes nothing', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const dbUrl = 'postgres://app:hunter2-very-long@db.internal:5432/app';
    const cfg = config(sb, [['config/db.txt', `url=${dbUrl}\n`]], { kind: 'github-pr', allowed_repos: ['acme/widgets'], gh: GH }, ['DB_URL']);
    const result = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', cfg, '--registry', sb.registry, '--run-id', 'dburl'], {
      env: { ...r.env, DB_URL: dbUrl },
    });
    expect(result.code, result.stderr).toBe(3);
    const status = await statusOf(sb, 'dburl');
    expect(status.blocker.code).toBe('secret_in_change');
    expect(status.blocker.message).toContain('config/db.txt:1 (the value of a secret environment variable)');
    expect(r.bareGit('branch', '--list')).not.toContain('buran/fixture-1');
  });

  it('a clean change is committed as before', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const cfg = config(sb, [['src/count.js', 'export const count = (xs) => xs.length;\n']], { kind: 'git-branch' });
    const result = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', cfg, '--registry', sb.registry, '--run-id', 'clean'], { env: r.env });
    expect(result.code, result.stderr).toBe(0);
    expect(r.git('show', 'buran/fixture-1:src/count.js')).toBe('export const count = (xs) => xs.length;');
  });
});
