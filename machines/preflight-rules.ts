import { deniedCommandsOf } from './run-rules.ts';
import type { Blocker, Plan, Role, RunSettings } from './types.ts';

/** A program a run would start that the preflight could not find, and the config field naming it. */
export interface MissingProgram {
  use: Role | 'verification' | 'setup' | 'handoff';
  field: string;
  reason: string;
}

/** What the preflight found out at intake, before any worker is paid for (facts, no decisions). */
export interface PreflightFacts {
  missing_programs: MissingProgram[];
  /** The workspace (or the --repo checkout) is a git work tree. */
  git_workspace: boolean;
  /** Another worktree has the intended branch checked out (a kept worktree of an earlier run, the user's checkout). */
  branch_holder: { path: string; run_id: string | null } | null;
}

/** Facts that find nothing wrong (runs recorded before the preflight existed, tests). */
export const CLEAR_PREFLIGHT: PreflightFacts = { missing_programs: [], git_workspace: true, branch_holder: null };

/** The roles a run can reach: the fixer only while the fix budget allows a fix. */
export function reachableRoles(settings: RunSettings): Role[] {
  return settings.max_fix_attempts > 0 ? ['implementer', 'fixer', 'reviewer'] : ['implementer', 'reviewer'];
}

/**
 * Everything that would stop the run later, found before its first worker starts (CONTRACT 5
 * preflight): a reachable role with no worker, a program that is not there, a verification
 * command the config does not allow, a handoff that is not permitted or cannot work here, and
 * an intended branch another worktree holds. One blocker per problem, in the order a reader fixes them.
 */
export function preflightBlockers(plan: Plan, settings: RunSettings, facts: PreflightFacts): Blocker[] {
  const blockers: Blocker[] = [];
  const reachable = reachableRoles(settings);
  for (const role of reachable) {
    if (settings.roles[role]) continue;
    const or = role === 'fixer' ? ', or set limits.max_fix_attempts to 0 to run without fixes' : '';
    blockers.push({ code: 'adapter_unavailable', message: `no ${role} worker is configured: add workers.${role} (a "command" or a "preset") to the config${or}` });
  }
  for (const missing of facts.missing_programs) {
    const isRole = missing.use === 'implementer' || missing.use === 'fixer' || missing.use === 'reviewer';
    if (isRole && !reachable.includes(missing.use as Role)) continue;
    blockers.push({ code: 'adapter_unavailable', message: `${missing.field}: ${missing.reason}` });
  }
  const denied = deniedCommandsOf(plan, settings);
  if (denied.length > 0) {
    blockers.push({
      code: 'policy_denied',
      message: `verification command(s) not in verification.allowed_commands: ${denied.map((c) => JSON.stringify(c)).join(', ')}; add them there (exactly as the packet writes them) if they are safe to run`,
    });
  }
  const { kind, allowed_repos } = settings.handoff;
  if (kind === 'github-pr' && !allowed_repos.includes(plan.repo)) {
    blockers.push({ code: 'policy_denied', message: `handoff github-pr: repo ${JSON.stringify(plan.repo)} is not in handoff.allowed_repos; add it there or use another handoff.kind` });
  }
  if (kind !== 'local' && !facts.git_workspace) {
    blockers.push({ code: 'adapter_unavailable', message: `handoff.kind ${kind} commits to a branch and needs a git workspace: use --repo DIR, a git checkout as --workspace, or handoff.kind "local"` });
  }
  const holder = facts.branch_holder;
  if (holder !== null) {
    const whose = holder.run_id === null ? '' : ` (the kept worktree of run ${holder.run_id})`;
    blockers.push({
      code: 'lock_conflict',
      message: `branch ${JSON.stringify(plan.intended_branch)} is checked out in ${holder.path}${whose}: a run needs its intended branch to itself`,
      ...(holder.run_id === null ? {} : { run_ref: holder.run_id }),
    });
  }
  // Said so the next safe action knows these were found before the run began.
  return blockers.map((b) => ({ ...b, stage: 'preflight' }));
}
