import { constants, existsSync } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { basename, delimiter, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Config, WorkerConfig } from '../schemas/config.ts';
import { ROLES } from '../schemas/config.ts';
import type { Plan } from '../machines/types.ts';
import type { MissingProgram, PreflightFacts } from '../machines/preflight-rules.ts';
import { splitCommandWords } from './command-words.ts';
import { gitIn, isGitWorkTree } from './git.ts';
import { hardenedGitIn } from './git-hardening.ts';

/** Where a run will work, as the preflight needs to know it. */
export interface PreflightPlace {
  /** The folder the workers run in; for a --repo run, its worktree (which may not exist yet). */
  workspace: string;
  /** The checkout the run's worktree is made from (--repo), or null. */
  repo: string | null;
  registry: string;
}

/**
 * Finds out, before any worker is paid for, what would stop the run later: programs that are
 * not there, whether the workspace is a git work tree, and whether another worktree holds the
 * intended branch. Facts only; the run machine decides what blocks (machines/preflight-rules.ts).
 */
export async function gatherPreflight(config: Config, plan: Plan, place: PreflightPlace, env: NodeJS.ProcessEnv): Promise<PreflightFacts> {
  const missing: MissingProgram[] = [];
  // Relative paths resolve in the workspace; a --repo run's worktree is made from the checkout.
  const home = place.repo ?? place.workspace;
  const look = (program: string) => findProgram(program, home, env.PATH ?? '', place.repo);
  for (const role of ROLES) {
    const worker = config.workers[role];
    if (worker === undefined) continue;
    for (const problem of await workerProblems(worker, role, look, home, place.repo)) missing.push({ use: role, ...problem });
  }
  for (const [index, command] of plan.verification_commands.entries()) {
    const words = splitCommandWords(command);
    if (!words.ok) continue; // verification itself reports a command it cannot split
    const reason = await lookBare(words.words[0]!, look);
    if (reason !== null) missing.push({ use: 'verification', field: `verification.commands.${index} (${JSON.stringify(command)})`, reason });
  }
  for (const [index, command] of config.workspace.setup.entries()) {
    const reason = await lookBare(command[0]!, look);
    if (reason !== null) missing.push({ use: 'setup', field: `workspace.setup.${index}`, reason });
  }
  if (config.handoff.kind === 'github-pr') {
    const reason = await look(config.handoff.gh);
    if (reason !== null) missing.push({ use: 'handoff', field: 'handoff.gh', reason: `${reason} (github-pr opens the pull request with it)` });
  }
  const gitWorkspace = place.repo !== null || (await isGitWorkTree(place.workspace));
  const needsBranch = place.repo !== null || (config.handoff.kind !== 'local' && gitWorkspace);
  const holder = needsBranch && plan.intended_branch !== '' ? await branchHolder(place, plan.intended_branch, env) : null;
  return { missing_programs: missing, git_workspace: gitWorkspace, branch_holder: holder };
}

type Look = (program: string) => Promise<string | null>;

async function workerProblems(worker: WorkerConfig, role: string, look: Look, home: string, repo: string | null): Promise<Array<Omit<MissingProgram, 'use'>>> {
  if (worker.preset !== undefined) {
    const program = worker.program ?? worker.preset;
    const reason = await look(program);
    const field = worker.program !== undefined ? `workers.${role}.program` : `workers.${role}.preset`;
    return reason === null ? [] : [{ field, reason: `${reason} (the ${worker.preset} CLI; set workers.${role}.program to its path)` }];
  }
  const [program, ...args] = worker.command ?? [];
  if (program === undefined) return [];
  const reason = await look(program);
  if (reason !== null) return [{ field: `workers.${role}.command`, reason }];
  const script = scriptArgument(program, args);
  if (script === null) return [];
  const scriptReason = await fileProblem(script, home, repo);
  return scriptReason === null ? [] : [{ field: `workers.${role}.command`, reason: `the script ${scriptReason}` }];
}

// Programs that take a script file as their first plain argument, and their options that
// make them run code given inline instead (then there is no file to check).
const INTERPRETERS = new Set(['node', 'nodejs', 'python', 'python3', 'ruby', 'perl', 'bash', 'sh', 'zsh', 'dash', 'tsx', 'ts-node', 'php']);
const INLINE = new Set(['-e', '--eval', '-p', '--print', '-c', '-m', '--command', '-E']);
const TAKES_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '-W', '-X', '-I']);
const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.py', '.rb', '.pl', '.sh', '.bash', '.php']);

/** The script an interpreter would run (`node workers/impl.mjs`), when it names a file. */
function scriptArgument(program: string, args: string[]): string | null {
  if (!INTERPRETERS.has(basename(program))) return null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (INLINE.has(arg)) return null;
    if (TAKES_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg.includes('/') || SCRIPT_EXTENSIONS.has(extname(arg)) ? arg : null;
  }
  return null;
}

/** Verification and setup programs are checked by name on PATH, or as an absolute path; a relative one may be made by setup. */
async function lookBare(program: string, look: Look): Promise<string | null> {
  if (!program.includes('/') || isAbsolute(program)) return look(program);
  return null;
}

/** Why `program` cannot be started from `cwd` with this PATH, or null when it can. */
async function findProgram(program: string, cwd: string, pathVar: string, repo: string | null): Promise<string | null> {
  if (program.includes('/')) return fileProblem(program, cwd, repo, true);
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    if (await isExecutableFile(join(dir, program))) return null;
  }
  return `program ${JSON.stringify(program)} was not found on PATH (${pathVar || 'empty'}); install it or give its absolute path`;
}

/** Why a file path (absolute, or relative to `cwd`) will not be there for the run, or null. */
async function fileProblem(path: string, cwd: string, repo: string | null, executable = false): Promise<string | null> {
  const full = resolve(cwd, path);
  const info = await stat(full).catch(() => null);
  if (info === null || !info.isFile()) return `${JSON.stringify(path)} does not exist (looked for ${full})`;
  if (executable && !(await isExecutableFile(full))) return `${JSON.stringify(path)} is not executable: chmod +x it, or put its interpreter first`;
  // A --repo run works in a worktree made from the checkout's commits: an untracked file is not there.
  if (repo !== null && !isAbsolute(path)) {
    const tracked = await hardenedGitIn(process.env, repo, ['ls-files', '--error-unmatch', '--', relative(repo, full).split(sep).join('/')]);
    if (!tracked.ok) return `${JSON.stringify(path)} is not committed in ${repo}, so the run's worktree will not have it: commit it, or give its absolute path`;
  }
  return null;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The worktree (other than the run's own) that has the branch checked out: `git worktree add`
 * would refuse it, and a git-branch handoff would leave that checkout out of step.
 */
async function branchHolder(place: PreflightPlace, branch: string, env: NodeJS.ProcessEnv): Promise<PreflightFacts['branch_holder']> {
  const list = await gitIn(env, place.repo ?? place.workspace, ['worktree', 'list', '--porcelain']);
  if (!list.ok) return null;
  // The run's own place: its worktree-to-be, or the top of the checkout it works in as it is.
  const top = place.repo === null ? await gitIn(env, place.workspace, ['rev-parse', '--show-toplevel']) : null;
  const ownPath = top?.ok ? top.stdout.trim() : place.workspace;
  const own = await realpath(ownPath).catch(() => resolve(ownPath));
  const worktrees = await realpath(join(place.registry, 'worktrees')).catch(() => resolve(place.registry, 'worktrees'));
  for (const block of list.stdout.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (path === undefined || !block.split('\n').includes(`branch refs/heads/${branch}`)) continue;
    // A worktree whose folder is gone (removed by hand) holds nothing: git prunes it when asked.
    if (!existsSync(path)) continue;
    const real = await realpath(path).catch(() => path);
    if (real === own) continue;
    const inRegistry = real.startsWith(`${worktrees}${sep}`) && !real.slice(worktrees.length + 1).includes(sep);
    return { path: real, run_id: inRegistry ? basename(real) : null };
  }
  return null;
}
