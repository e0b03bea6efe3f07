import type { Blocker } from './types.ts';

/** CONTRACT 5's next_safe_action: one thing to do, a command that works as written, and why. */
export interface NextSafeAction {
  kind: 'none' | 'run' | 'resume' | 'retry' | 'clean' | 'wait' | 'manual_review' | 'fix_config' | 'reclaim' | 'inspect_quarantine' | 'check_run_id';
  command?: string;
  reason: string;
  /** The action cannot succeed before this time (ISO), e.g. an agent's quota reset. */
  not_before?: string;
}

/** What the advice needs to know beyond the run's state: where its files are, and what became of it since. */
export interface ActionFacts {
  /** Appended to every command: ` --registry DIR` when the registry is not the one the command would find by default. */
  registryFlag: string;
  /** The config file the run started with (a retry reads it again, as it is now), or null for the defaults. */
  configSource: string | null;
  /** The packet file the run started with, or null when it came from a batch list. */
  packetSource: string | null;
  /** ` --repo DIR` or ` --workspace DIR`: where a new run of the packet works. */
  placeFlag: string;
  /** The run's own worktree is still there (kept after the run stopped), holding its branch. */
  worktreeKept: boolean;
  /** Runs started from this one by `buran retry`. */
  retriedBy: string[];
  /** The live process that drives the run now ("process 123 on host b"), if one does. */
  drivenBy?: string | null;
}

/** Facts that add nothing (a run whose records are not at hand). */
export const NO_FACTS: ActionFacts = { registryFlag: '', configSource: null, packetSource: null, placeFlag: '', worktreeKept: false, retriedBy: [] };

/** A word as a POSIX shell reads it back: quoted only when it must be. */
export const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** Blocker codes whose cure is a change of config (or of the machine), then a new run of the same packet. */
const CONFIG_PROBLEMS = new Set(['adapter_unavailable', 'policy_denied', 'verification_blocked', 'workspace_setup_failed']);

/** The one safe thing to do next for a run in this state with this blocker. */
export function nextSafeAction(runId: string, state: string, blocker: Blocker | null, terminal: boolean, facts: ActionFacts = NO_FACTS): NextSafeAction {
  const buran = (args: string) => `buran ${args}${facts.registryFlag}`;
  if (!terminal && facts.drivenBy) {
    return { kind: 'wait', reason: `the run is being driven by ${facts.drivenBy}: follow it with ${buran(`events ${runId}`)}, or stop it with ${buran(`cancel ${runId}`)}` };
  }
  if (!terminal) {
    return { kind: 'resume', command: buran(`resume ${runId}`), reason: `the run stopped in ${state} and can continue from there` };
  }
  if (state === 'ready_for_manual_review') {
    return { kind: 'manual_review', reason: 'both gates passed: review the handoff patch and summary' };
  }
  const code = blocker?.code;
  if (code === 'cancelled') return { kind: 'none', reason: 'the run was cancelled on purpose' };
  if (code === 'registry_corrupt') return { kind: 'inspect_quarantine', reason: 'the run record failed validation and was left untouched: inspect its folder' };
  if (facts.retriedBy.length > 0) {
    const latest = facts.retriedBy[facts.retriedBy.length - 1]!;
    return { kind: 'none', reason: `this run was retried as run ${latest}: follow that one (buran status ${latest})` };
  }
  const retry = (withConfig: boolean) => buran(`retry ${runId}${withConfig && facts.configSource !== null ? ` --config ${quote(facts.configSource)}` : ''}`);
  // A retry works on the same branch: the kept worktree that holds it must go first.
  // The blocker is shown beside the action: the reason says what to do, not what went wrong again.
  const cleanFirst = (then: string): NextSafeAction => ({
    kind: 'clean', command: buran(`clean ${runId}`),
    reason: `the run's kept worktree holds its branch: remove it (its uncommitted work goes with it), then ${then}`,
  });

  if (code === 'plan_insufficient') {
    const packet = facts.packetSource;
    if (packet === null) return { kind: 'run', reason: 'complete every missing packet item listed in blockers in the packet list, then run that packet again' };
    const config = facts.configSource === null ? '' : ` --config ${quote(facts.configSource)}`;
    return {
      kind: 'run', command: `${buran(`validate ${quote(packet)}`)} && ${buran(`run ${quote(packet)}${config}${facts.placeFlag}`)}`,
      reason: 'complete every missing packet item listed in blockers, then start a new run',
    };
  }
  if (code === 'lock_conflict') {
    const other = blocker?.run_ref;
    if (other !== undefined && blocker?.stage === 'preflight') {
      return {
        kind: 'clean', command: buran(`clean ${other}`),
        reason: `${blocker.message}; remove that worktree (its uncommitted work goes with it), then ${retry(false)}`,
      };
    }
    const then = `retry once the other run has finished${other === undefined ? '' : ` (buran status ${other})`}`;
    if (facts.worktreeKept) return cleanFirst(`${then}: ${retry(false)}`);
    return { kind: 'retry', command: retry(false), reason: `${blocker?.message ?? 'another run holds a lease'}; ${then}` };
  }
  if (code !== undefined && CONFIG_PROBLEMS.has(code) && blocker?.stage !== 'handing off') {
    if (facts.worktreeKept) return cleanFirst(`fix the config and ${retry(true)}`);
    return { kind: 'retry', command: retry(true), reason: `${code}: fix the config (or the machine), then retry: a new run of the same packet` };
  }
  if (code === 'quota_exhausted') {
    return {
      kind: 'resume', command: buran(`resume ${runId}`), ...(blocker?.not_before ? { not_before: blocker.not_before } : {}),
      reason: `the agent's quota resets${blocker?.not_before ? ` at ${blocker.not_before}` : ''}; once it has, the run continues its stage from there`,
    };
  }
  if (code === 'agent_auth_failed' || code === 'agent_limit_reached' || code === 'budget_exhausted') {
    // CONTRACT 4: the cure is the config (or the agent's login); the command is the step that comes first.
    const fix = code === 'agent_auth_failed' ? "fix the agent's login (or the key the config passes it)" : 'raise the limit in the config';
    if (facts.worktreeKept) return { ...cleanFirst(`${fix} and ${retry(true)}`), kind: 'fix_config' };
    return { kind: 'fix_config', command: retry(true), reason: `${code}: ${fix}, then retry: a new run of the same packet` };
  }
  if (code === 'secret_in_change') {
    return { kind: 'manual_review', reason: "remove the secret from the run's kept worktree and commit the change yourself, or clean and retry" };
  }
  return { kind: 'manual_review', reason: `a person must look at why the run stopped (${code ?? state}) before anything is retried` };
}
