import { fromPromise } from 'xstate';
import type { HandoffRecord } from '../../machines/types.ts';
import { describe, expect, it } from 'vitest';
import { completed, createActor, runInput, scriptedMachine, settle } from './harness.ts';

const stateOf = (snap: any) => (typeof snap.value === 'string' ? snap.value : Object.keys(snap.value)[0]);

describe('run machine (scripted effects)', () => {
  it('walks the happy path and records the evidence epoch', async () => {
    const { machine } = scriptedMachine({ worker: (input) => completed(input, input.task.role === 'reviewer' ? { verdict: 'PASS' } : {}) });
    const actor = createActor(machine, { input: runInput() }).start();
    const snap = await settle(actor);
    expect(stateOf(snap)).toBe('ready_for_manual_review');
    expect(snap.context.epoch).toBe(1);
    expect(snap.context.evidence).toEqual({ task_id: 't1-implementer', epoch: 1 });
    expect(snap.context.verification.verdict).toBe('PASS');
    expect(snap.context.review.verdict).toBe('PASS');
  });

  it('prunes settled worker-task children from the snapshot', async () => {
    const { machine } = scriptedMachine({ worker: (input) => completed(input, { verdict: 'PASS' }) });
    const actor = createActor(machine, { input: runInput() }).start();
    const snap = await settle(actor);
    expect(Object.keys(snap.children).filter((id) => id.startsWith('task:'))).toEqual([]);
  });

  it('retries a failed dispatch with a new task id and the same attempt', async () => {
    const { machine, dispatched } = scriptedMachine({
      worker: (input, call) => (call === 0 ? { kind: 'exited', exitCode: 0, signal: null, completion: { kind: 'missing' } } : completed(input, { verdict: 'PASS' })),
    });
    const snap = await settle(createActor(machine, { input: runInput() }).start());
    expect(stateOf(snap)).toBe('ready_for_manual_review');
    expect(dispatched.slice(0, 2).map((d) => [d.task.task_id, d.task.attempt, d.task.retry])).toEqual([['t1-implementer', 1, 0], ['t2-implementer', 1, 1]]);
  });

  it('enters the fix loop on FAIL and hands the findings to the fixer', async () => {
    const { machine, dispatched } = scriptedMachine({ worker: (input) => completed(input, { verdict: 'PASS' }), verdicts: ['FAIL', 'PASS'] });
    const snap = await settle(createActor(machine, { input: runInput() }).start());
    expect(stateOf(snap)).toBe('ready_for_manual_review');
    const fixer = dispatched.find((d) => d.task.role === 'fixer')!;
    expect(fixer.task).toMatchObject({ attempt: 1, epoch: 2 });
    expect(fixer.findings).toEqual([{ severity: 'error', message: 'test failed' }]);
    expect(snap.context.fix_attempts).toBe(1);
  });

  it('ends fix_budget_exhausted after exactly max_fix_attempts fixes', async () => {
    const { machine, dispatched } = scriptedMachine({ worker: (input) => completed(input), verdicts: ['FAIL'] });
    const snap = await settle(createActor(machine, { input: runInput({ max_fix_attempts: 2 }) }).start());
    expect(stateOf(snap)).toBe('blocked_needs_human');
    expect(snap.context.blocker.code).toBe('fix_budget_exhausted');
    expect(dispatched.filter((d) => d.task.role === 'fixer')).toHaveLength(2);
  });

  it('ends blocked_lock_conflict when the lease is held', async () => {
    const { machine, dispatched } = scriptedMachine({ worker: (input) => completed(input), lease: { granted: false, holder: 'other', message: 'held by other', at: 1000 } });
    const snap = await settle(createActor(machine, { input: runInput() }).start());
    expect(stateOf(snap)).toBe('blocked_lock_conflict');
    expect(snap.context.blocker).toMatchObject({ code: 'lock_conflict', message: 'held by other' });
    expect(dispatched).toHaveLength(0);
  });

  it('waits for a held lease up to lease_wait_ms from when the conflict was seen, then runs once it is granted', async () => {
    const { machine, dispatched } = scriptedMachine({
      worker: (input) => completed(input, input.task.role === 'reviewer' ? { verdict: 'PASS' } : {}),
      lease: { granted: false, holder: 'other', message: 'held by other', at: 5000 },
      laterLease: { granted: true },
    });
    const actor = createActor(machine, { input: runInput({ lease_wait_ms: 250 }) });
    const seen: unknown[] = [];
    actor.subscribe((s) => seen.push(s.value));
    const snap = await settle(actor.start());
    expect(seen).toContainEqual({ waiting_for_lock: 'waiting' });
    expect(snap.context.lease_wait_until).toBe(5250);
    expect(stateOf(snap)).toBe('ready_for_manual_review');
    expect(dispatched.length).toBeGreaterThan(0);
  });

  it('ends blocked_lock_conflict naming the holder when the wait runs out', async () => {
    const held = { granted: false as const, holder: 'other', message: 'surface:/r#src is leased to run other', at: 1 };
    const { machine } = scriptedMachine({ worker: (input) => completed(input), lease: held });
    const snap = await settle(createActor(machine, { input: runInput({ lease_wait_ms: 10 }) }).start());
    expect(stateOf(snap)).toBe('blocked_lock_conflict');
    expect(snap.context.blocker.message).toContain('leased to run other');
    expect(snap.context.blocker.message).toContain('lease.wait_ms = 10 ms');
  });

  it('a github-pr run whose repo is not allowed is refused before any worker starts', async () => {
    const { machine, dispatched } = scriptedMachine({ worker: (input) => completed(input) });
    const snap = await settle(createActor(machine, { input: runInput({ handoff: { kind: 'github-pr', allowed_repos: ['someone/else'] } }) }).start());
    expect(stateOf(snap)).toBe('blocked_needs_human');
    expect(snap.context.blocker).toMatchObject({ code: 'policy_denied' });
    expect(snap.context.blocker.message).toContain('handoff.allowed_repos');
    expect(dispatched).toHaveLength(0);
  });

  it('an effect that throws ends the run with a blocker naming the stage, not an actor error', async () => {
    const { machine } = scriptedMachine({ worker: (input) => completed(input, input.task.role === 'reviewer' ? { verdict: 'PASS' } : {}) });
    const failing = machine.provide({ actors: { performHandoff: fromPromise<HandoffRecord, { run_id: string; epoch: number }>(async () => { throw new Error('push rejected'); }) } });
    const snap = await settle(createActor(failing, { input: runInput() }).start());
    expect(stateOf(snap)).toBe('blocked_needs_human');
    expect(snap.context.blocker).toMatchObject({ code: 'adapter_unavailable', message: 'handing off failed: push rejected', epoch: 1 });
  });

  it('cancels from any non-terminal state into blocked_needs_human / cancelled', async () => {
    const { machine } = scriptedMachine({ worker: () => new Promise(() => {}) as never });
    const actor = createActor(machine, { input: runInput() }).start();
    await new Promise((r) => setTimeout(r, 10));
    actor.send({ type: 'run.cancel', reason: 'operator asked' });
    const snap = await settle(actor);
    expect(stateOf(snap)).toBe('blocked_needs_human');
    expect(snap.context.blocker).toMatchObject({ code: 'cancelled', message: 'operator asked' });
  });
});

describe('run machine persistence round trip', () => {
  it('restores a run mid-dispatch: the string-keyed child is restored and its dispatch re-run with the saved input', async () => {
    let release: (() => void) | null = null;
    const first = scriptedMachine({ worker: () => new Promise((resolve) => { release = () => resolve(undefined as never); }) as never });
    const actor = createActor(first.machine, { input: runInput() }).start();
    await new Promise((r) => setTimeout(r, 10));
    const saved = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    actor.stop();
    expect(release).not.toBeNull();
    expect(saved.children['task:t1-implementer'].src).toBe('workerTask');

    const second = scriptedMachine({ worker: (input) => completed(input, { verdict: 'PASS' }) });
    const restored = createActor(second.machine, { snapshot: saved, input: runInput() }).start();
    const snap = await settle(restored);
    expect(stateOf(snap)).toBe('ready_for_manual_review');
    expect(second.dispatched[0]!.task.task_id).toBe('t1-implementer');
  });
});
