import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, eventsOf, makeSandbox, ROOT, statusOf, writePacket, type Sandbox } from './sandbox.ts';
import { makeRepo, type FixtureRepo } from './git-repo.ts';

// Claude Code and Codex cannot run here: stand-ins print their streams (test/fixtures/agents/).
export const STANDIN = (name: 'claude' | 'codex') => join(ROOT, 'test', 'fixtures', 'agents', name);
chmodSync(STANDIN('claude'), 0o755);
chmodSync(STANDIN('codex'), 0o755);

/** The stand-ins' knobs, passed through each worker's `env` list. */
export const STANDIN_ENV = [
  'STANDIN_MODE_IMPLEMENTER', 'STANDIN_MODE_FIXER', 'STANDIN_MODE_REVIEWER', 'STANDIN_ARGS_LOG', 'STANDIN_STATE_DIR',
  'STANDIN_RESET_IN_S', 'STANDIN_COST', 'STANDIN_FORGET_SESSIONS', 'STANDIN_PIDS',
];

/** One agent run's setup: which preset, each role's modes (comma list: one per dispatch), config overrides. */
export interface AgentRunSpec {
  preset: 'claude' | 'codex';
  modes: Partial<Record<'implementer' | 'fixer' | 'reviewer', string>>;
  limits?: Record<string, unknown>;
  worker?: Record<string, unknown>;
  env?: Record<string, string>;
  runId?: string;
}

/** A sandbox with a git repo, stand-in state and a config whose every role is the preset. */
export interface AgentSandbox {
  sb: Sandbox;
  repo: FixtureRepo;
  config: string;
  packet: string;
  env: Record<string, string>;
  /** Every invocation of the stand-in, in order: [role-less argv]. */
  argv: () => string[][];
}

export function agentSandbox(spec: AgentRunSpec): AgentSandbox {
  const sb = makeSandbox();
  const repo = makeRepo(sb);
  const state = sb.path('standin-state');
  mkdirSync(state, { recursive: true });
  const env: Record<string, string> = { ...repo.env, STANDIN_ARGS_LOG: sb.path('args.log'), STANDIN_STATE_DIR: state, ...spec.env };
  for (const [role, mode] of Object.entries(spec.modes)) env[`STANDIN_MODE_${role.toUpperCase()}`] = mode!;
  const worker = { preset: spec.preset, program: STANDIN(spec.preset), env: STANDIN_ENV, timeout_ms: 60_000, ...spec.worker };
  const config = sb.path(`${spec.preset}.config.json`);
  writeFileSync(config, JSON.stringify({
    workers: { implementer: worker, fixer: worker, reviewer: worker },
    verification: { allowed_commands: ['node check.mjs'] },
    limits: { max_fix_attempts: 1, max_dispatch_retries: 1, agent_backoff_ms: 200, ...spec.limits },
  }));
  const argsLog = sb.path('args.log');
  return {
    sb, repo, config, packet: writePacket(sb), env,
    argv: () => (existsSync(argsLog) ? readFileSync(argsLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
  };
}

/** `buran run` of the fixture packet in its own worktree, then its status and journal. */
export async function runAgents(a: AgentSandbox, runId = 'agent', extra: string[] = []) {
  const result = await buran(['run', a.packet, '--repo', a.repo.repo, '--config', a.config, '--registry', a.sb.registry, '--run-id', runId, ...extra], { env: a.env });
  return { result, status: await statusOf(a.sb, runId), events: await eventsOf(a.sb, runId) };
}

/** The prompt-less flags of an invocation (the prompt is long). */
export const flagOf = (argv: string[], name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
