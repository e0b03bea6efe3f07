import type { Blocker } from './types.ts';

/** CONTRACT 5's next_safe_action. */
export interface NextSafeAction {
  kind: 'none' | 'run' | 'resume' | 'wait' | 'manual_review' | 'fix_config' | 'reclaim' | 'inspect_quarantine' | 'check_run_id';
  command?: string;
  reason: string;
  /** The action cannot succeed before this time (ISO), e.g. an agent's quota reset. */
  not_before?: string;
}

/** The one safe thing to do next for a run in this state with this blocker. */
export function nextSafeAction(runId: string, state: string, blocker: Blocker | null, terminal: boolean): NextSafeAction {
  if (!terminal) {
    return { kind: 'resume', command: `buran resume ${runId}`, reason: `the run stopped in ${state} and can continue from there` };
  }
  if (state === 'ready_for_manual_review') {
    return { kind: 'manual_review', reason: 'both gates passed: review the handoff patch and summary' };
  }
  const code = blocker?.code;
  switch (code) {
    case 'plan_insufficient':
      return { kind: 'run', command: 'buran validate PACKET && buran run PACKET', reason: 'complete every missing packet item listed in blockers, then start a new run' };
    case 'lock_conflict':
      return { kind: 'wait', reason: `${blocker?.message ?? 'another run holds the lease'}; start a new run once it has finished` };
    case 'adapter_unavailable':
    case 'policy_denied':
      return { kind: 'fix_config', command: 'buran run PACKET --config FILE', reason: `${blocker?.message ?? ''}; fix the config, then start a new run` };
    case 'quota_exhausted':
      return {
        kind: 'resume', command: `buran resume ${runId}`, ...(blocker?.not_before ? { not_before: blocker.not_before } : {}),
        reason: `${blocker?.message ?? 'the agent\'s quota is spent'}; the run continues its stage from there`,
      };
    case 'agent_auth_failed':
    case 'agent_limit_reached':
    case 'budget_exhausted':
      return { kind: 'fix_config', command: 'buran run PACKET --config FILE', reason: `${blocker?.message ?? ''}; fix the config, then start a new run` };
    case 'registry_corrupt':
      return { kind: 'inspect_quarantine', reason: 'the run record failed validation and was left untouched: inspect its folder' };
    case 'cancelled':
      return { kind: 'none', reason: 'the run was cancelled on purpose' };
    default:
      return { kind: 'manual_review', reason: `a person must look at why the run stopped (${code ?? state}) before anything is retried` };
  }
}
