import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buran, makeSandbox, ROOT, type Sandbox } from '../helpers/sandbox.ts';

const EDIT_WORKER = join(ROOT, 'test', 'fixtures', 'edit-worker.mjs');
const sandboxes: Sandbox[] = [];
afterEach(() => { for (const sb of sandboxes.splice(0)) rmSync(sb.dir, { recursive: true, force: true }); });

const GIT_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };

/** A fresh checkout of a tiny npm project with a passing `npm test`, one commit on main. */
function project(): { sb: Sandbox; dir: string; git: (...args: string[]) => string } {
  const sb = makeSandbox();
  sandboxes.push(sb);
  const dir = sb.workspace;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tiny', scripts: { test: 'node check.mjs' } }));
  git('add', '-A');
  git('commit', '-qm', 'init');
  git('remote', 'add', 'origin', 'git@github.com:acme/tiny.git');
  return { sb, dir, git };
}

describe('buran --version', () => {
  it("prints the package's version and exits 0", async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    for (const flag of ['--version', '-V']) {
      const result = await buran([flag]);
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
  });
});

describe('buran init', () => {
  it('writes a starter config and example packet that pass validate --config, and keeps them out of git', async () => {
    const { sb, dir, git } = project();
    const init = await buran(['init'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('wrote buran.config.json');
    expect(init.stdout).toContain('wrote packet.example.json');
    expect(init.stdout).toContain('next: buran validate packet.example.json --config buran.config.json');

    const config = JSON.parse(readFileSync(join(dir, 'buran.config.json'), 'utf8'));
    const packet = JSON.parse(readFileSync(join(dir, 'packet.example.json'), 'utf8'));
    expect(config.verification.allowed_commands).toEqual(['npm test']);
    expect(packet).toMatchObject({ scm_target: { repo: 'acme/tiny', base_branch: 'main' }, verification: { commands: ['npm test'] } });
    // $schema points at the schemas this Buran ships, from where the file is.
    expect(readFileSync(join(dir, config.$schema), 'utf8')).toBe(readFileSync(join(ROOT, 'docs', 'schemas', 'config.schema.json'), 'utf8'));
    expect(readFileSync(join(dir, packet.$schema), 'utf8')).toBe(readFileSync(join(ROOT, 'docs', 'schemas', 'packet.schema.json'), 'utf8'));

    const validate = await buran(['validate', 'packet.example.json', '--config', 'buran.config.json', '--registry', sb.registry], { cwd: dir });
    expect(validate.stdout).toBe(`example-1: sufficient\nconfig: ${join(dir, 'buran.config.json')}\n`);
    expect(validate.code).toBe(0);
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');

    // The placeholder workers stop a run at once and say what to configure; nothing is spent.
    const run = await buran(['run', 'packet.example.json', '--registry', sb.registry], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('configure workers.implementer in buran.config.json');
  });

  it('never overwrites: a second init, or one beside existing files, leaves them byte for byte', async () => {
    const { dir } = project();
    writeFileSync(join(dir, 'buran.config.json'), '{ "workers": {} }\n');
    const first = await buran(['init', '--json'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ written: ['packet.example.json'], kept: ['buran.config.json'], excluded: ['packet.example.json'] });
    expect(readFileSync(join(dir, 'buran.config.json'), 'utf8')).toBe('{ "workers": {} }\n');
    const packet = readFileSync(join(dir, 'packet.example.json'), 'utf8');
    const again = await buran(['init'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('kept  packet.example.json: it exists (init never overwrites)');
    expect(readFileSync(join(dir, 'packet.example.json'), 'utf8')).toBe(packet);
    expect(readFileSync(join(dir, '.git', 'info', 'exclude'), 'utf8').match(/^\/packet\.example\.json$/gm)).toHaveLength(1);
  });

  it('a run in the checkout with a git-branch handoff commits the work, never the files init wrote', async () => {
    const { sb, dir, git } = project();
    expect((await buran(['init'], { cwd: dir })).code).toBe(0);
    // The user replaces the placeholders (the file stays untracked and excluded).
    const worker = (role: string, extra: string[] = []) => ({ command: ['node', EDIT_WORKER, ...extra], '//': role });
    const config = JSON.parse(readFileSync(join(dir, 'buran.config.json'), 'utf8'));
    config.workers = { implementer: worker('i', ['--set', 'src/done.txt', 'done\n']), fixer: worker('f'), reviewer: worker('r', ['--verdict', 'PASS']) };
    config.handoff = { kind: 'git-branch' };
    writeFileSync(join(dir, 'buran.config.json'), JSON.stringify(config, null, 2));
    writeFileSync(join(dir, 'check.mjs'), 'process.exit(0);\n');
    git('add', 'check.mjs');
    git('commit', '-qm', 'check');

    const run = await buran(['run', 'packet.example.json', '--registry', sb.registry], { cwd: dir, env: GIT_ENV });
    expect(run.code, run.stderr).toBe(0);
    expect(git('show', '--name-only', '--format=', 'buran/example-1').split('\n')).toEqual(['src/done.txt']);
    const patch = readFileSync(join(sb.registry, 'runs', run.stdout.split('\n')[0]!, 'handoff', 'patch.diff'), 'utf8');
    expect(patch).toContain('src/done.txt');
    expect(patch).not.toContain('buran.config.json');
    expect(patch).not.toContain('packet.example.json');
  });

  it('outside a git checkout it writes the files and touches nothing else', async () => {
    const sb = makeSandbox();
    sandboxes.push(sb);
    const result = await buran(['init', '--json'], { cwd: sb.workspace });
    expect(JSON.parse(result.stdout)).toMatchObject({ written: ['buran.config.json', 'packet.example.json'], excluded: [], exclude_file: null });
    const packet = JSON.parse(readFileSync(join(sb.workspace, 'packet.example.json'), 'utf8'));
    // No package.json test script: Node's own test runner, allowed by the config beside it.
    expect(packet.verification.commands).toEqual(['node --test']);
    expect(packet.scm_target.repo).toBe('local/ws');
    expect((await buran(['validate', 'packet.example.json', '--config', 'buran.config.json'], { cwd: sb.workspace })).code).toBe(0);
  });
});
