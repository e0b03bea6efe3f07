// The run machine's model: scenarios (inputs), payload variants of every done event, projection, generated paths.
import { __unsafe_getAllOwnEventDescriptors as eventTypes, type AnyMachineSnapshot } from 'xstate';
import { runMachine } from '../../machines/run-machine.ts';
import type { RunContext, RunInput } from '../../machines/run-rules.ts';
import type { HandoffRecord, VerificationReport } from '../../machines/types.ts';
import { CLEAR_PREFLIGHT, type PreflightFacts } from '../../machines/preflight-rules.ts';
import { NO_SECRETS, type ScanReport, type SetupReport } from '../../machines/workspace-rules.ts';
import { runInput } from '../machines/harness.ts';
import { generatePaths, stepper, type ModelPath, type ModelSpec, type Start, type Variant } from './model-kit.ts';
import { AGENT_LABELS, settlementsFor } from './worker-task-model.ts';

export const runStepper = stepper(runMachine);

/** A run model exploration: an input, or a start snapshot made from one. */
export interface Scenario {
  name: string;
  input: RunInput;
  /** Settings that the real CLI replay needs to reproduce this scenario (config + packet patch). */
  cli: { roles: RunInput['settings']['roles']; maxFix: number; maxRetries: number; allowed: string[]; packetPatch: Record<string, unknown> } | null;
  /** A start snapshot other than the initial one (a tampered record); consistency invariants do not apply. */
  tampered?: boolean;
  start?: () => Start;
}

const ALL = { implementer: true, fixer: true, reviewer: true };
const scenario = (name: string, settings: Partial<RunInput['settings']>, packetPatch: Record<string, unknown> = {}): Scenario => {
  const input = runInput(settings, packetPatch);
  const s = input.settings;
  return { name, input, cli: { roles: s.roles, maxFix: s.max_fix_attempts, maxRetries: s.max_dispatch_retries, allowed: s.allowed_commands, packetPatch } };
};

/** Small budgets keep the graph finite and small; each scenario opens guards the others cannot. */
export const SCENARIOS: Scenario[] = [
  scenario('standard', { roles: ALL, max_fix_attempts: 1, max_dispatch_retries: 1 }),
  scenario('two-fixes', { roles: ALL, max_fix_attempts: 2, max_dispatch_retries: 0 }),
  scenario('no-fix-budget', { roles: ALL, max_fix_attempts: 0, max_dispatch_retries: 0 }),
  scenario('insufficient', {}, { approved: false, review: { criteria: [] } }),
  scenario('no-implementer', { roles: { ...ALL, implementer: false } }),
  scenario('no-fixer-no-reviewer', { roles: { implementer: true, fixer: false, reviewer: false }, max_fix_attempts: 1, max_dispatch_retries: 0 }),
  scenario('lease-wait', { roles: ALL, max_fix_attempts: 0, max_dispatch_retries: 0, lease_wait_ms: 1000 }),
  // The CLI replay plays local handoffs only.
  { ...scenario('pr-not-allowed', { handoff: { kind: 'github-pr', allowed_repos: ['someone/else'] } }), cli: null },
  scenario('denied-command', { allowed_commands: ['node check.mjs'] }, { verification: { commands: ['npm test', 'node check.mjs', 'npm run lint'] } }),
  // workspace.setup before the implementer, and a git handoff whose change is scanned for secrets first.
  { ...scenario('setup-and-git-branch', { roles: ALL, max_fix_attempts: 0, max_dispatch_retries: 0, setup: true, handoff: { kind: 'git-branch', allowed_repos: [] } }), cli: null },
  // Records made before the preflight existed (or hand-edited) can lack a role or an allowed command the
  // intake now refuses: the stages still fail closed on them. The only way into those guards.
  tamperedAfterIntake('tampered-no-implementer', { roles: { ...ALL, implementer: false } }),
  tamperedAfterIntake('tampered-no-fixer-no-reviewer', { roles: { implementer: true, fixer: false, reviewer: false }, max_fix_attempts: 1, max_dispatch_retries: 0 }),
  tamperedAfterIntake('tampered-allowlist', { allowed_commands: [], max_fix_attempts: 0, max_dispatch_retries: 0 }),
  // Preset agents: every row of CONTRACT 4's table, a budget two paid dispatches exceed, a 90 s wait bound
  // (a reset 60 s out is waited for, 7 h out is not; transient pauses of 30 s, 60 s, then too long).
  {
    ...scenario('agents', { roles: ALL, max_fix_attempts: 1, max_dispatch_retries: 0, agents: { max_cost_usd: 0.6, max_quota_wait_ms: 90_000, backoff_ms: 30_000 } }),
    cli: null,
  },
  {
    // A registry record whose current task claims an epoch the run is not in (corrupt or hand-edited): the
    // only way into verification.checking's !evidenceForEpoch guard, which no fresh run can reach.
    name: 'tampered-record',
    input: runInput({ max_fix_attempts: 1, max_dispatch_retries: 0 }),
    cli: null,
    tampered: true,
    start: () => {
      const base = runInput({ max_fix_attempts: 1, max_dispatch_retries: 0 });
      const path = pathTo(runStepper.initial(base).snapshot, ['intake', 'workspace', 'lease:granted', 'task:completed', 'verification:fail']);
      const persisted = JSON.parse(JSON.stringify(runMachine.getPersistedSnapshot(path)));
      persisted.context.current.epoch += 5;
      const snapshot = runMachine.restoreSnapshot(persisted, runStepper.scope) as AnyMachineSnapshot;
      return { snapshot, transitions: [], microsnapshots: [], actions: [] };
    },
  },
];

/** A run whose record's settings were changed after its intake passed the preflight. */
function tamperedAfterIntake(name: string, settings: Partial<RunInput['settings']>): Scenario {
  const base = runInput({ max_fix_attempts: 1, max_dispatch_retries: 0 });
  return {
    name, input: base, cli: null, tampered: true,
    start: () => {
      const path = pathTo(runStepper.initial(base).snapshot, ['intake', 'workspace']);
      const persisted = JSON.parse(JSON.stringify(runMachine.getPersistedSnapshot(path)));
      persisted.context.settings = { ...persisted.context.settings, ...settings };
      const snapshot = runMachine.restoreSnapshot(persisted, runStepper.scope) as AnyMachineSnapshot;
      return { snapshot, transitions: [], microsnapshots: [], actions: [] };
    },
  };
}

/** Preflight findings: all clear, a program not found (the fixer's: it blocks only while fixes are allowed), a branch held. */
export const PREFLIGHT_VARIANTS: Record<string, PreflightFacts> = {
  intake: CLEAR_PREFLIGHT,
  'intake:fixer-program-missing': {
    ...CLEAR_PREFLIGHT,
    missing_programs: [{ use: 'fixer', field: 'workers.fixer.command', reason: 'program "fixr" was not found on PATH (/usr/bin)' }],
  },
  'intake:branch-held': { ...CLEAR_PREFLIGHT, branch_holder: { path: '/registry/worktrees/r0', run_id: 'r0' } },
};
const SETUP_FAILED: SetupReport = {
  commands: [{ command: ['npm', 'ci'], outcome: 'failed', exit_code: 1, detail: '', output_tail: 'npm ERR! missing lockfile', log: '/registry/setup/command-1.log' }],
};
const SECRET_FOUND: ScanReport = { findings: [{ path: 'index.js', line: 3, what: 'a token shaped like ghp_…' }] };

const report = (epoch: number, verdict: VerificationReport['verdict'], message: string): VerificationReport => ({
  epoch, verdict, message, commands: [],
  findings: verdict === 'FAIL' ? [{ severity: 'error', message: 'check failed: expected 3 widgets, got 2' }] : [],
});
const HANDOFF: HandoffRecord = {
  kind: 'local', patch_path: null, summary_path: '/dev/null', files_changed: 0,
  target: { repo: 'acme/widgets', base_branch: 'main', intended_branch: 'buran/fixture-1' },
};

/** Verification outcomes: exit codes 0 and 1, a timeout (BLOCKED), and a report of a stale epoch. */
export const VERIFICATION_EXIT: Record<string, string | null> = { pass: '0', fail: '1', 'timeout-blocked': '99', 'stale-pass': null };

/**
 * Payload variants of every event the run machine accepts in a state. Task settlements are the worker-task
 * machine's own reports for the current dispatch (see settlementsFor), plus one for a task that is not current.
 */
export function runEvents(snapshot: AnyMachineSnapshot, drop: ReadonlySet<string> = new Set()): Variant[] {
  const c = snapshot.context as RunContext;
  const out: Variant[] = [];
  // Cancel and late settlements can arrive in any state, whether or not the chart lists them there.
  for (const type of new Set([...eventTypes(snapshot), 'run.cancel', 'task.settled'])) {
    switch (type) {
      case 'xstate.done.actor.intake':
        for (const [variant, output] of Object.entries(PREFLIGHT_VARIANTS)) out.push({ type, output, variant });
        break;
      case 'xstate.done.actor.setup':
        out.push({ type, output: { commands: [{ ...SETUP_FAILED.commands[0]!, outcome: 'passed', exit_code: 0, output_tail: '' }] }, variant: 'setup' });
        out.push({ type, output: SETUP_FAILED, variant: 'setup:failed' });
        break;
      case 'xstate.done.actor.scan':
        out.push({ type, output: NO_SECRETS, variant: 'scan' });
        out.push({ type, output: SECRET_FOUND, variant: 'scan:secret' });
        break;
      case 'xstate.done.actor.workspace': out.push({ type, variant: 'workspace' }); break;
      case 'xstate.done.actor.lease':
        out.push({ type, output: { granted: true }, variant: 'lease:granted' });
        out.push({ type, output: { granted: false, holder: 'r0', message: 'workspace leased to r0', at: 1000 }, variant: 'lease:held' });
        break;
      case 'xstate.done.actor.leaseWait':
        out.push({ type, output: { granted: true }, variant: 'leaseWait:granted' });
        out.push({ type, output: { granted: false, holder: 'r0', message: 'workspace leased to r0', at: 2000 }, variant: 'leaseWait:held' });
        break;
      case 'xstate.error.actor.intake':
      case 'xstate.error.actor.workspace':
      case 'xstate.error.actor.lease':
      case 'xstate.error.actor.leaseWait':
      case 'xstate.error.actor.verification':
      case 'xstate.error.actor.handoff':
      case 'xstate.error.actor.retire':
      case 'xstate.error.actor.setup':
      case 'xstate.error.actor.scan':
        out.push({ type, error: new Error('the effect threw'), variant: `${type.slice('xstate.error.actor.'.length)}:error` });
        break;
      case 'xstate.done.actor.verification':
        out.push({ type, output: report(c.epoch, 'PASS', 'all commands passed'), variant: 'verification:pass' });
        out.push({ type, output: report(c.epoch, 'FAIL', 'node check.mjs exited 1'), variant: 'verification:fail' });
        out.push({ type, output: report(c.epoch, 'BLOCKED', 'node check.mjs timed out'), variant: 'verification:timeout-blocked' });
        out.push({ type, output: report(c.epoch - 1, 'PASS', 'a recorded report of the previous epoch'), variant: 'verification:stale-pass' });
        break;
      case 'xstate.done.actor.handoff': out.push({ type, output: HANDOFF, variant: 'handoff' }); break;
      case 'xstate.done.actor.retire': out.push({ type, variant: 'retire' }); break;
      case 'xstate.done.actor.agentPause': out.push({ type, variant: 'agentPause' }); break;
      case 'xstate.error.actor.agentPause': out.push({ type, error: new Error('the effect threw'), variant: 'agentPause:error' }); break;
      case 'run.cancel': out.push({ type, reason: 'operator asked', variant: 'cancel' }); break;
      case 'task.settled': {
        const awaiting = c.current !== null && snapshot._nodes.some((n) => n.key === 'awaiting');
        if (awaiting) {
          for (const s of settlementsFor(c.current!)) {
            // Agent reports only where the run has agent bounds, and only they there: each set would multiply the other's paths.
            if (AGENT_LABELS.has(s.label) !== (c.settings.agents !== undefined)) continue;
            out.push({ type, outcome: s.outcome, variant: `task:${s.label}` });
          }
        }
        const late = settlementsFor({ task_id: 't0-late', role: 'implementer', attempt: 1, epoch: 0, retry: 0 })[0]!;
        out.push({ type, outcome: late.outcome, variant: 'task:not-current' });
        break;
      }
      default: throw new Error(`no payload variants for run event ${type}`);
    }
  }
  return out.filter((v) => !drop.has(v.variant));
}

/** The finite projection: counters are bounded by the budgets; ids, messages and history are left out. */
export function projectRun(s: AnyMachineSnapshot): unknown {
  const c = s.context as RunContext;
  const taskChildren = Object.keys(s.children).filter((k) => k.startsWith('task:'));
  return [
    s.status, s.value, c.epoch, c.fix_attempts, c.review_attempts, c.pending,
    c.current && [c.current.role, c.current.attempt, c.current.retry, c.current.epoch],
    c.evidence?.epoch ?? null, c.verification && [c.verification.verdict, c.verification.epoch],
    c.review && [c.review.verdict, c.review.epoch], c.findings.length,
    c.blocker && [c.blocker.code, c.blocker.cause ?? null], c.blockers.length, c.handoff !== null, c.lease_wait_until !== null, c.interruptions ?? 0,
    c.cost_usd ?? 0, c.agent_session ?? null, c.agent_pause ? [c.agent_pause.reason, c.agent_pause.pauses] : null,
    taskChildren.map((k) => (k === `task:${c.current?.task_id}` ? 'current' : 'other')),
  ];
}

export const runSpec = (drop?: ReadonlySet<string>): ModelSpec => ({ project: projectRun, events: (s) => runEvents(s, drop) });

export const startOf = (sc: Scenario): Start => (sc.start ? sc.start() : runStepper.initial(sc.input));

/** Generated paths of every scenario (maximal shortest paths, one per reachable (state, event, previous state)). */
export function runPaths(drop?: ReadonlySet<string>, scenarios: Scenario[] = SCENARIOS): ModelPath[] {
  return scenarios.flatMap((sc) => generatePaths(runStepper, runSpec(drop), startOf(sc), sc.name));
}

export const scenarioOf = (name: string): Scenario => SCENARIOS.find((s) => s.name === name)!;

/** Follows variant labels from a snapshot (each label must be offered there); returns the snapshot reached. */
export function pathTo(start: AnyMachineSnapshot, labels: string[]): AnyMachineSnapshot {
  let snapshot = start;
  for (const label of labels) {
    const event = runEvents(snapshot).find((v) => v.variant === label);
    if (!event) throw new Error(`variant ${label} is not offered in ${JSON.stringify(snapshot.value)}`);
    snapshot = runStepper.step(snapshot, event).next;
  }
  return snapshot;
}
