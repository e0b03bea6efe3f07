import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { git } from '../../adapters/git.ts';
import type { Output } from '../output.ts';
import { packageRoot } from '../package-root.ts';

/** `buran init` flags. */
export interface InitFlags {
  cwd: string;
  json: boolean;
}

const CONFIG = 'buran.config.json';
const PACKET = 'packet.example.json';

/** What init learns about the folder it writes into. */
interface Place {
  testCommand: string;
  repo: string;
  baseBranch: string;
  /** `$schema` paths, relative to the folder, of the schemas shipped with this Buran. */
  schemas: { config: string; packet: string } | null;
  /** The docs folder shipped with this Buran. */
  docs: string;
}

/**
 * `buran init`: writes a starter buran.config.json and packet.example.json where none exist (never
 * overwrites). Together they pass `buran validate packet.example.json --config buran.config.json`;
 * the workers are placeholders that stop the run at once, so nothing is spent before the user
 * picks real ones. In a git checkout the files it wrote are listed in .git/info/exclude: untracked
 * files in a workspace are part of a run's change, and these must never be committed by a run.
 */
export async function initCommand(flags: InitFlags, output: Output): Promise<number> {
  const place = await inspectPlace(flags.cwd);
  const written: string[] = [];
  const kept: string[] = [];
  for (const [name, text] of [[CONFIG, starterConfig(place)], [PACKET, examplePacket(place)]] as const) {
    try {
      await writeFile(join(flags.cwd, name), text, { flag: 'wx' });
      written.push(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      kept.push(name);
    }
  }
  const excluded = await excludeFromGit(flags.cwd, written);
  const next = `buran validate ${PACKET} --config ${CONFIG}`;
  if (flags.json) {
    output.out(JSON.stringify({ written, kept, excluded: excluded?.paths ?? [], exclude_file: excluded?.file ?? null, next }));
    return 0;
  }
  for (const name of written) output.out(`wrote ${name}`);
  for (const name of kept) output.out(`kept  ${name}: it exists (init never overwrites)`);
  if (excluded !== null && excluded.paths.length > 0) {
    output.out(`git:  ${excluded.paths.join(', ')} added to ${excluded.file}, so no run commits them`
      + (written.includes(CONFIG) ? ` (to commit the config yourself: git add -f ${CONFIG})` : ''));
  }
  if (written.includes(CONFIG)) {
    output.out('');
    output.out('The workers in buran.config.json are placeholders that stop a run at once: replace them with');
    output.out('"preset": "claude" or "codex", or your own command, and list your test command in');
    output.out(`verification.allowed_commands. Reference: ${place.docs}/config.md`);
  }
  output.out(`next: ${next}`);
  return 0;
}

async function inspectPlace(cwd: string): Promise<Place> {
  const root = packageRoot();
  const docs = root === null ? 'the docs/ folder of the buran package' : join(root, 'docs');
  const schema = (name: string) => {
    if (root === null) return null;
    const rel = relative(cwd, join(root, 'docs', 'schemas', name)).split(sep).join('/');
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  const config = schema('config.schema.json');
  const packet = schema('packet.schema.json');
  return {
    testCommand: testCommandOf(cwd),
    repo: repoName(await git(cwd, ['remote', 'get-url', 'origin']), (await git(cwd, ['rev-parse', '--show-toplevel'])) ?? cwd),
    baseBranch: (await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'])) ?? 'main',
    schemas: config !== null && packet !== null ? { config, packet } : null,
    docs,
  };
}

// npm's own placeholder for a package without tests fails on purpose: it is no test command.
const NPM_NO_TEST = /no test specified/;

function testCommandOf(cwd: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    const test = pkg.scripts?.test;
    if (typeof test === 'string' && !NPM_NO_TEST.test(test)) return 'npm test';
  } catch {
    // no package.json (or not JSON): Node's own test runner
  }
  return 'node --test';
}

/** "owner/name" from the origin's URL (https or scp-like), else "local/<folder>". */
function repoName(origin: string | null, top: string): string {
  const match = origin === null ? null : /[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(origin.trim());
  if (match) return `${match[1]}/${match[2]}`;
  return `local/${basename(top).replace(/[^A-Za-z0-9_.-]/g, '-') || 'repo'}`;
}

// A placeholder worker for every role: it writes a `blocked` completion naming what to configure,
// so a run of the starter files ends at once (blocked_needs_human, worker_blocked), costing nothing.
const PLACEHOLDER = [
  'node', '-e',
  "const e=process.env;require('fs').writeFileSync(e.BURAN_COMPLETION_FILE,JSON.stringify({task_id:e.BURAN_TASK_ID,status:'blocked',"
  + "summary:'placeholder from buran init: configure workers.'+e.BURAN_TASK_ROLE+' in buran.config.json'}))",
];

function starterConfig(place: Place): string {
  const worker = (role: string, extra: Record<string, unknown> = {}) => ({
    '//': `Placeholder: stops the run. Use e.g. { "preset": "claude", "env": ["ANTHROPIC_API_KEY"] } or { "command": ["node", "workers/${role}.mjs"] }.`,
    command: PLACEHOLDER,
    ...extra,
  });
  const config = {
    ...(place.schemas ? { $schema: place.schemas.config } : {}),
    '//': [
      'Buran config written by `buran init`. Keys named "//" are notes for people; Buran ignores them.',
      `Every key is explained in ${place.docs}/config.md. Check this file with: buran validate ${PACKET} --config ${CONFIG}`,
    ],
    workers: {
      implementer: worker('implementer', { timeout_ms: 1_800_000 }),
      fixer: worker('fixer'),
      reviewer: worker('reviewer'),
    },
    verification: {
      '//': "A packet's verification commands must be listed here exactly; they run without a shell.",
      allowed_commands: [place.testCommand],
      timeout_ms: 600_000,
    },
    limits: {
      '//': 'max_fix_attempts: fixer rounds per run. max_cost_usd (add it) caps what preset agents may spend.',
      max_fix_attempts: 3,
      max_dispatch_retries: 2,
    },
    workspace: {
      '//': 'Commands run in each fresh workspace before the implementer, e.g. [["npm", "ci"]] for a run with --repo.',
      setup: [],
    },
    handoff: {
      '//': '"local": a patch and summary in the registry; "git-branch": also a commit on the intended branch; "github-pr": also a push and a draft PR.',
      kind: 'local',
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function examplePacket(place: Place): string {
  const packet = {
    ...(place.schemas ? { $schema: place.schemas.packet } : {}),
    task_id: 'example-1',
    approved: true,
    scm_target: { repo: place.repo, base_branch: place.baseBranch, intended_branch: 'buran/example-1' },
    scope: {
      goal: 'Describe the change in one sentence',
      acceptance_criteria: ['What must be true when the work is done', `${place.testCommand} passes`],
      non_goals: ['What the workers must leave alone'],
    },
    implementation: { instructions: 'What the implementer should do, and where' },
    verification: { commands: [place.testCommand], expectations: 'every test passes' },
    review: { criteria: ['The change does what the goal says and nothing else'] },
    conflict_surface: [],
    limits: { max_fix_attempts: 2 },
  };
  return `${JSON.stringify(packet, null, 2)}\n`;
}

/**
 * Lists the files init wrote in the checkout's own exclude file (never in a tracked .gitignore: the
 * user's repo does not change). Returns null outside a git work tree.
 */
async function excludeFromGit(cwd: string, written: string[]): Promise<{ file: string; paths: string[] } | null> {
  if (written.length === 0) return null;
  const gitPath = await git(cwd, ['rev-parse', '--git-path', 'info/exclude']);
  const prefix = await git(cwd, ['rev-parse', '--show-prefix']);
  if (gitPath === null || prefix === null) return null;
  const file = resolve(cwd, gitPath);
  const present = existsSync(file) ? (await readFile(file, 'utf8')).split('\n') : [];
  const lines = written.map((name) => `/${prefix}${name}`).filter((line) => !present.includes(line));
  if (lines.length > 0) {
    await mkdir(dirname(file), { recursive: true });
    const lead = present.length > 0 && present[present.length - 1] !== '' ? '\n' : '';
    await appendFile(file, `${lead}# written by buran init: never part of a run's change\n${lines.join('\n')}\n`);
  }
  return { file: relative(cwd, file) || file, paths: written };
}
