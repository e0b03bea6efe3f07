// Runs the Buran demo end to end: a throwaway git repo, real worker scripts, one fix round, a local handoff.
// Usage: node examples/demo/run-demo.mjs   (BURAN_DEMO_DIR=DIR to choose the scratch folder; it must be empty)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEMO = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(DEMO, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PACKET = join(DEMO, 'packet.json');

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(1);
}

/** Runs a command quietly and stops the demo with its output when it fails. */
function sh(file, args, cwd) {
  const result = spawnSync(file, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) fail(`${file} ${args.join(' ')} failed:\n${result.error?.message ?? ''}${result.stderr ?? ''}`);
  return result.stdout;
}

if (!existsSync(CLI)) fail(`${CLI} is missing: run "npm run build" first (or use "npm run demo")`);

// 1. A scratch folder: the demo repo and the registry both live here.
let base;
if (process.env.BURAN_DEMO_DIR) {
  base = resolve(process.env.BURAN_DEMO_DIR);
  mkdirSync(base, { recursive: true });
  if (readdirSync(base).length > 0) fail(`BURAN_DEMO_DIR ${base} is not empty; give an empty or new folder`);
} else {
  base = mkdtempSync(join(tmpdir(), 'buran-demo-'));
}
const repo = join(base, 'repo');
const registry = join(base, 'registry');

// 2. The fixture project as a fresh git repo with one commit (identity given inline, so no git setup is needed).
cpSync(join(DEMO, 'fixture-repo'), repo, { recursive: true });
sh('git', ['-c', 'init.defaultBranch=main', 'init', '-q'], repo);
sh('git', ['add', '-A'], repo);
sh('git', ['-c', 'user.name=Buran Demo', '-c', 'user.email=demo@buran.invalid', '-c', 'commit.gpgsign=false',
  'commit', '-q', '-m', 'widgets: initial commit'], repo);

// 3. The config: the demo workers by absolute path, and the packet's verification command allowed.
const packet = JSON.parse(readFileSync(PACKET, 'utf8'));
const worker = (name) => ({ command: [process.execPath, join(DEMO, 'workers', `${name}.mjs`)], timeout_ms: 60_000 });
const config = {
  workers: { implementer: worker('implementer'), fixer: worker('fixer'), reviewer: worker('reviewer') },
  verification: { timeout_ms: 120_000, allowed_commands: packet.verification.commands },
  limits: { max_fix_attempts: 3, max_dispatch_retries: 1 },
  handoff: { kind: 'local' },
};
const configPath = join(base, 'buran.config.json');
writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);

const runId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
console.log(`Buran demo
  repo:     ${repo}  (git, 1 commit; "node --test" fails: pageOf is a stub)
  registry: ${registry}
  config:   ${configPath}
  run id:   ${runId}
`);

// 4. The run itself, with the terminal handed over so Buran's own progress shows.
const buran = (args, stdio) => spawnSync(process.execPath, [CLI, ...args, '--registry', registry], { cwd: base, stdio, encoding: 'utf8' });
const run = buran(['run', PACKET, '--config', configPath, '--workspace', repo, '--run-id', runId], 'inherit');
const code = run.status ?? 1;

// 5. Where the result is: parsed from `buran status --json`.
const status = buran(['status', runId, '--json'], ['ignore', 'pipe', 'inherit']);
if (status.status !== 0) fail(`buran status ${runId} exited ${status.status}`);
const view = JSON.parse(status.stdout);
console.log(`\nrun ${runId} ended in ${view.state} (epoch ${view.epoch}, exit code ${code})`);
for (const t of view.tasks) console.log(`  ${t.role.padEnd(11)} attempt ${t.attempt} epoch ${t.epoch}  ${t.status}${t.verdict ? ` ${t.verdict}` : ''}`);
const fixes = view.budgets.find((b) => b.name === 'fix_attempts');
if (fixes) console.log(`  fix attempts used: ${fixes.used} of ${fixes.limit}`);
if (view.handoff?.patch_path) {
  console.log(`\npatch:   ${view.handoff.patch_path}\nsummary: ${view.handoff.summary_path}\n`);
  console.log(readFileSync(view.handoff.patch_path, 'utf8').trimEnd());
} else if (view.blocker) {
  console.log(`blocker: ${view.blocker.code}: ${view.blocker.message}`);
}
console.log(`\nMore: node ${CLI} events ${runId} --registry ${registry}`);
process.exit(code);
