import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, type Sandbox } from './sandbox.ts';

/** The stand-in `gh` (records its arguments; keeps PR state in a file). */
export const GH = join(ROOT, 'test', 'fixtures', 'gh');

/** A git checkout on main (check.mjs committed) with a bare `origin`, inside a sandbox. */
export interface FixtureRepo {
  repo: string;
  bare: string;
  /** Environment for git and gh in tests: no user or system git config, stand-in gh state files. */
  env: Record<string, string>;
  git: (...args: string[]) => string;
  bareGit: (...args: string[]) => string;
}

/** Creates the repo next to the sandbox's workspace; the sandbox's check.mjs is its one file. */
export function makeRepo(sb: Sandbox): FixtureRepo {
  chmodSync(GH, 0o755);
  const home = sb.path('home');
  mkdirSync(home, { recursive: true });
  const env = {
    HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com',
    GH_STANDIN_LOG: sb.path('gh.log'), GH_STANDIN_STATE: sb.path('gh-state.json'),
  };
  const repo = sb.path('repo');
  const bare = sb.path('origin.git');
  const run = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  mkdirSync(repo);
  run(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'check.mjs'), "import { existsSync } from 'node:fs';\nprocess.exit(existsSync('fixed.txt') || !existsSync('needs-fix') ? 0 : 1);\n");
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'src', 'count.js'), 'export const count = (xs) => xs.length - 1;\n');
  run(repo, ['add', '.']);
  run(repo, ['commit', '-qm', 'init']);
  run(repo, ['remote', 'add', 'origin', bare]);
  run(repo, ['push', '-q', 'origin', 'main']);
  return { repo, bare, env, git: (...args) => run(repo, args), bareGit: (...args) => run(bare, args) };
}

/** A git checkout on main holding a copy of a fixture folder (committed), with a bare `origin`, inside a sandbox. */
export function makeRepoFrom(sb: Sandbox, fixture: string): FixtureRepo {
  const r = makeRepo(sb);
  cpSync(fixture, r.repo, { recursive: true });
  r.git('add', '-A');
  r.git('commit', '-qm', `add ${fixture.split('/').pop()}`);
  r.git('push', '-q', 'origin', 'main');
  return r;
}
