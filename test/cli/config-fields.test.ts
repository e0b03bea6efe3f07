import { beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, makeSandbox, ROOT, runIn, statusOf, writeConfig, writePacket, type CliResult, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';

// CONTRACT 3 and 8: config fields are checked before anything is written; each mistake is
// exit 2 naming the field a user edits.

const WORKERS = { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] };
const CLAUDE = join(ROOT, 'test', 'fixtures', 'agents', 'claude');

beforeAll(() => chmodSync(CLAUDE, 0o755));

/** The fixture config with one change applied. */
function configWith(sb: Sandbox, mutate: (config: Record<string, any>) => void): string {
  const path = writeConfig(sb, WORKERS);
  const config = JSON.parse(readFileSync(path, 'utf8'));
  mutate(config);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Exit 2, the field named on stderr, nothing on stdout, no registry, no worker started. */
function expectRejected(sb: Sandbox, result: CliResult, field: string | RegExp) {
  expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(2);
  expect(result.stdout).toBe('');
  if (typeof field === 'string') expect(result.stderr).toContain(field);
  else expect(result.stderr).toMatch(field);
  expect(existsSync(sb.registry)).toBe(false);
  expect(sb.calls('implementer')).toHaveLength(0);
}

describe('config fields: exit 2, the field named, nothing written', () => {
  it('a "command" worker with max_turns (a preset-only field)', async () => {
    const sb = makeSandbox();
    const config = configWith(sb, (c) => { c.workers.implementer.max_turns = 5; });
    const result = await runIn(sb, config, writePacket(sb));
    expectRejected(sb, result, 'workers.implementer.max_turns');
    expect(result.stderr).toMatch(/preset/);
  });

  it.each(['model', 'program', 'extra_args'])('a "command" worker with %s (preset-only)', async (field) => {
    const sb = makeSandbox();
    const value = field === 'extra_args' ? ['--x'] : 'something';
    const config = configWith(sb, (c) => { c.workers.reviewer[field] = value; });
    expectRejected(sb, await runIn(sb, config, writePacket(sb)), `workers.reviewer.${field}`);
  });

  it('preset "gemini" (not a known preset)', async () => {
    const sb = makeSandbox();
    const config = configWith(sb, (c) => { c.workers.fixer = { preset: 'gemini' }; });
    const result = await runIn(sb, config, writePacket(sb));
    expectRejected(sb, result, 'workers.fixer.preset');
    expect(result.stderr).toMatch(/claude.*codex/);
  });

  it('handoff.kind "github-pr" without allowed_repos', async () => {
    const sb = makeSandbox();
    const config = configWith(sb, (c) => { c.handoff = { kind: 'github-pr' }; });
    expectRejected(sb, await runIn(sb, config, writePacket(sb)), 'handoff.allowed_repos');
  });

  it('handoff.kind "github-pr" with an empty allowed_repos list', async () => {
    const sb = makeSandbox();
    const config = configWith(sb, (c) => { c.handoff = { kind: 'github-pr', allowed_repos: [] }; });
    expectRejected(sb, await runIn(sb, config, writePacket(sb)), 'handoff.allowed_repos');
  });

  it('allowed_repos: ["not a repo"]', async () => {
    const sb = makeSandbox();
    const config = configWith(sb, (c) => { c.handoff = { kind: 'github-pr', allowed_repos: ['acme/widgets', 'not a repo'] }; });
    const result = await runIn(sb, config, writePacket(sb));
    expectRejected(sb, result, 'handoff.allowed_repos.1');
    expect(result.stderr).toContain('owner/name');
  });

  it('lease.wait_ms: -1', async () => {
    const sb = makeSandbox();
    const config = configWith(sb, (c) => { c.lease = { wait_ms: -1 }; });
    expectRejected(sb, await runIn(sb, config, writePacket(sb)), 'lease.wait_ms');
  });

  it('--repo together with --workspace', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    // runIn passes --workspace already.
    const result = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--repo', r.repo], r.env);
    expectRejected(sb, result, /--workspace.*--repo|--repo.*--workspace/);
  });

  it('workspace.repo pointing at a folder that is not a git checkout (resolved from the config file\'s folder)', async () => {
    const sb = makeSandbox();
    const configDir = sb.path('conf');
    mkdirSync(join(configDir, 'plain'), { recursive: true });
    const config = JSON.parse(readFileSync(writeConfig(sb, WORKERS), 'utf8'));
    writeFileSync(join(configDir, 'buran.json'), JSON.stringify({ ...config, workspace: { repo: 'plain' } }));
    // Run from another folder that has no "plain" in it: only the config's folder explains the path.
    const result = await buran(['run', writePacket(sb), '--config', join(configDir, 'buran.json'), '--registry', sb.registry], { cwd: sb.workspace, env: { GIT_CEILING_DIRECTORIES: sb.dir } });
    expectRejected(sb, result, 'workspace.repo');
    expect(result.stderr).toContain(join(configDir, 'plain'));
    expect(result.stderr).toMatch(/not a git checkout/);
  });

  it('workspace.repo naming a missing folder', async () => {
    const sb = makeSandbox();
    const config = configWith(sb, (c) => { c.workspace = { repo: 'no-such-folder' }; });
    const result = await buran(['run', writePacket(sb), '--config', config, '--registry', sb.registry], { cwd: sb.workspace });
    expectRejected(sb, result, 'workspace.repo');
    expect(result.stderr).toContain(sb.path('no-such-folder'));
  });
});

describe('config fields that are valid', () => {
  it('workspace.repo relative to the config file\'s folder: the run works in a worktree of that checkout', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb); // sb.dir/repo
    const config = configWith(sb, (c) => { c.workspace = { repo: 'repo' }; });
    const result = await buran(['run', writePacket(sb), '--config', config, '--registry', sb.registry, '--run-id', 'rel'], { cwd: sb.workspace, env: r.env });
    expect(result.code, result.stderr).toBe(0);
    const status = await statusOf(sb, 'rel');
    expect(status.state).toBe('ready_for_manual_review');
    expect(status.workspace.repo).toBe(r.repo);
    expect(status.workspace.path).not.toBe(r.repo);
  });

  it('preset "claude" with program, max_turns and a passed-through env validates, and the run starts and finishes', async () => {
    const sb = makeSandbox();
    const worker = { preset: 'claude', program: CLAUDE, max_turns: 4, env: ['STANDIN_MODE', 'STANDIN_MODE_REVIEWER', 'STANDIN_ARGS_LOG'] };
    const path = sb.path('claude.config.json');
    writeFileSync(path, JSON.stringify({
      workers: { implementer: worker, reviewer: worker },
      verification: { allowed_commands: ['node check.mjs'] },
      limits: { max_fix_attempts: 0, max_dispatch_retries: 0 },
    }));
    const result = await runIn(sb, path, writePacket(sb), ['--run-id', 'claude'], {
      STANDIN_MODE: 'success', STANDIN_MODE_REVIEWER: 'review_pass', STANDIN_ARGS_LOG: sb.path('args.log'),
    });
    expect(result.code, result.stderr).not.toBe(2);
    expect(existsSync(sb.registry)).toBe(true);
    // The stand-in really ran, with the configured turn limit, and made its change in the workspace.
    const argv = readFileSync(sb.path('args.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
    expect(argv[0]).toEqual(expect.arrayContaining(['--max-turns', '4']));
    expect(existsSync(join(sb.workspace, 'agent-change.txt'))).toBe(true);
    expect(result.code, result.stderr).toBe(0);
    expect((await statusOf(sb, 'claude')).state).toBe('ready_for_manual_review');
  });
});
