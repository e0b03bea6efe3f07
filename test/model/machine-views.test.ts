// In-process tests of machines/ views the CLI prints: the statechart graph, its Mermaid and SCXML text, and next_safe_action.
import { describe, expect, it } from 'vitest';
import { machineGraph, toMermaid, toScxml } from '../../machines/graph.ts';
import { NO_FACTS, nextSafeAction } from '../../machines/next-safe-action.ts';
import { runMachine } from '../../machines/run-machine.ts';
import { RUN_STATES, TERMINAL_STATES } from '../../machines/states.ts';
import type { BlockerCode } from '../../machines/types.ts';
import { edgeName } from './model-kit.ts';

const flat = (id: string) => (id === 'run' ? 'any_active_state' : id.replace(/^run\./, '').replace(/\./g, '_'));

describe('machineGraph / toMermaid / toScxml', () => {
  it('the graph has every CONTRACT state in order, with types, descriptions and invoked actor names', () => {
    const graph = machineGraph(runMachine);
    expect(graph.root.children.map((c) => c.key)).toEqual([...RUN_STATES]);
    expect(graph.root.children.filter((c) => c.type === 'final').map((c) => c.key).sort()).toEqual([...TERMINAL_STATES].sort());
    const byKey = Object.fromEntries(graph.root.children.map((c) => [c.key, c]));
    expect(byKey.packet_received!.invokes).toEqual(['recordIntake']);
    expect(byKey.running!.type).toBe('compound');
    expect(byKey.running!.children.map((c) => c.key)).toEqual(['preparing', 'setting_up', 'dispatching', 'agent_pause', 'awaiting']);
    expect(byKey.running!.children.find((c) => c.key === 'setting_up')!.invokes).toEqual(['setUpWorkspace']);
    expect(byKey.handoff_ready!.children.find((c) => c.key === 'scanning')!.invokes).toEqual(['scanChange']);
    expect(byKey.fix_loop!.children.find((c) => c.key === 'agent_pause')!.invokes).toEqual(['awaitAgentPause']);
    expect(byKey.verification!.children.find((c) => c.key === 'running_commands')!.invokes).toEqual(['runVerification']);
    expect(byKey.queued!.description).toMatch(/workspace/);
    expect(byKey.ready_for_manual_review!.description).toBeNull();
  });

  it('edges carry their event and guard names, combinators included', () => {
    const graph = machineGraph(runMachine);
    const names = graph.edges.map(edgeName);
    expect(names).toContain('run → run.blocked_needs_human on run.cancel');
    expect(names).toContain('run.waiting_for_lock.acquiring → run.running on xstate.done.actor.lease [leaseGranted]');
    expect(names).toContain('run.verification.checking → run.blocked_needs_human on always [!evidenceForEpoch]');
    expect(names).toContain('run.internal_review.awaiting → run.fix_loop on task.settled [taskAccepted & verdictFail & fixBudgetLeft]');
    expect(names).toContain('run.running.dispatching → run.blocked_needs_human on always [roleUnavailable]');
    expect(names).toContain('run.queued → run.waiting_for_lock on xstate.done.actor.workspace');
  });

  it('Mermaid: one line per edge with its label, compound states as blocks with their initial state, finals to [*]', () => {
    const graph = machineGraph(runMachine);
    const mermaid = toMermaid(graph).split('\n');
    expect(mermaid[0]).toBe('stateDiagram-v2');
    expect(mermaid[1]).toBe('  [*] --> packet_received');
    for (const e of graph.edges) {
      const label = (e.guard ? `${e.event} [${e.guard}]` : e.event).replace(/:/g, '∶');
      expect(mermaid, edgeName(e)).toContain(`  ${flat(e.source)} --> ${flat(e.target)} : ${label}`);
    }
    expect(mermaid).toContain('  state running {');
    expect(mermaid).toContain('    [*] --> running_preparing');
    expect(mermaid).toContain('  state handoff_ready {');
    expect(mermaid).toContain('    [*] --> handoff_ready_checking');
    for (const t of TERMINAL_STATES) expect(mermaid).toContain(`  ${t} --> [*]`);
    expect(mermaid.filter((l) => l.trim() === '}').length).toBe(mermaid.filter((l) => /^\s*state \w+ \{$/.test(l)).length);
    const compound = graph.root.children.filter((c) => c.children.length > 0).length;
    expect(mermaid.length).toBe(2 + graph.edges.length + TERMINAL_STATES.size + compound * 3);
  });

  it('SCXML: every state and final in one <state id="run">, every edge a <transition> with event/cond, invokes, comments', () => {
    const graph = machineGraph(runMachine);
    const lines = toScxml(graph).split('\n');
    expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
    expect(lines[1]).toBe('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" name="run" initial="run">');
    expect(lines[2]).toBe('  <state id="run" initial="run.packet_received">');
    expect(lines.at(-1)).toBe('</scxml>');
    expect(lines).toContain('    <state id="run.running" initial="run.running.preparing">');
    expect(lines).toContain('      <state id="run.running.awaiting">');
    for (const t of TERMINAL_STATES) expect(lines).toContain(`    <final id="run.${t}">`);
    expect(lines).toContain('      <invoke type="xstate" src="recordIntake"/>');
    expect(lines).toContain('      <!-- The workspace is prepared: a git worktree of its own when the run has a repo. -->');
    expect(lines).toContain('    <transition event="run.cancel" target="run.blocked_needs_human"/>');
    expect(lines).toContain('        <transition event="xstate.done.actor.lease" cond="leaseGranted" target="run.running"/>');
    expect(lines).toContain('        <transition cond="!evidenceForEpoch" target="run.blocked_needs_human"/>');
    expect(lines).toContain('        <transition target="run.verification.running_commands"/>');
    expect(lines.filter((l) => l.trim().startsWith('<transition')).length).toBe(graph.edges.length);
    const opened = lines.filter((l) => /^\s*<(state|final|parallel) /.test(l)).length;
    expect(lines.filter((l) => /^\s*<\/(state|final|parallel)>$/.test(l)).length).toBe(opened);
  });

  it('SCXML escapes markup in names and keeps comments well formed; parallel states get their own tag', () => {
    const node = (id: string, type: string, children: any[] = [], description: string | null = null) =>
      ({ id, key: id, type, description, invokes: [], children });
    const root = node('m', 'compound', [node('a<&>"', 'parallel', [], 'one -- two'), node('b', 'atomic')]);
    const text = toScxml({ root, edges: [{ source: 'a<&>"', target: 'b', event: 'e<"x">', guard: 'g&h' }] });
    expect(text).toContain('<parallel id="a&lt;&amp;&gt;&quot;">');
    expect(text).toContain('<!-- one - - two -->');
    expect(text).toContain('<transition event="e&lt;&quot;x&quot;&gt;" cond="g&amp;h" target="b"/>');
    expect(text).toContain('<state id="m" initial="a&lt;&amp;&gt;&quot;">');
    expect(text).toContain('<state id="b">');
  });

  it('a colon in a label is replaced so Mermaid does not cut it', () => {
    const graph = machineGraph(runMachine);
    const text = toMermaid({ root: { ...graph.root, children: [] }, edges: [{ source: 'run.a', target: 'run.b', event: 'x:y', guard: 'g:h' }] });
    expect(text.split('\n')).toEqual(['stateDiagram-v2', '  a --> b : x∶y [g∶h]']);
  });
});

describe('nextSafeAction', () => {
  const blocker = (code: BlockerCode, message = `m-${code}`) => ({ code, message });

  const facts = { ...NO_FACTS, registryFlag: " --registry '/r e g'", configSource: '/c/buran.config.json', packetSource: '/p/packet.json', placeFlag: ' --repo /repo' };

  it('a run that is not terminal is resumed with its id (and the registry, when it is not the default one)', () => {
    expect(nextSafeAction('r9', 'verification', null, false)).toEqual({
      kind: 'resume', command: 'buran resume r9', reason: 'the run stopped in verification and can continue from there',
    });
    expect(nextSafeAction('r9', 'verification', null, false, facts).command).toBe("buran resume r9 --registry '/r e g'");
  });

  it('each ending gets the CONTRACT 5 kind, a command that works as written, and the reason carries the blocker where it helps', () => {
    expect(nextSafeAction('r', 'ready_for_manual_review', null, true).kind).toBe('manual_review');
    expect(nextSafeAction('r', 'blocked_plan_insufficient', blocker('plan_insufficient'), true, facts)).toMatchObject({
      kind: 'run', command: "buran validate /p/packet.json --registry '/r e g' && buran run /p/packet.json --config /c/buran.config.json --repo /repo --registry '/r e g'",
    });
    expect(nextSafeAction('r', 'blocked_plan_insufficient', blocker('plan_insufficient'), true).command).toBeUndefined();
    expect(nextSafeAction('r', 'blocked_lock_conflict', { ...blocker('lock_conflict', 'held by r0'), run_ref: 'r0' }, true)).toMatchObject({
      kind: 'retry', command: 'buran retry r', reason: expect.stringMatching(/^held by r0; retry once the other run has finished \(buran status r0\)/),
    });
    expect(nextSafeAction('r', 'blocked_needs_human', { ...blocker('lock_conflict', 'branch held'), run_ref: 'r0', stage: 'preflight' }, true)).toMatchObject({
      kind: 'clean', command: 'buran clean r0', reason: expect.stringContaining('then buran retry r'),
    });
    expect(nextSafeAction('r', 'blocked_lock_conflict', null, true).kind).toBe('manual_review');
    for (const code of ['adapter_unavailable', 'policy_denied', 'workspace_setup_failed', 'verification_blocked'] as const) {
      expect(nextSafeAction('r', 'blocked_needs_human', blocker(code), true, facts)).toMatchObject({
        kind: 'retry', command: "buran retry r --config /c/buran.config.json --registry '/r e g'", reason: expect.stringMatching(new RegExp(`^${code}: fix the config`)),
      });
      expect(nextSafeAction('r', 'blocked_needs_human', blocker(code), true, { ...facts, worktreeKept: true })).toMatchObject({
        kind: 'clean', command: "buran clean r --registry '/r e g'", reason: expect.stringContaining("buran retry r --config /c/buran.config.json --registry '/r e g'"),
      });
    }
    expect(nextSafeAction('r', 'blocked_needs_human', { ...blocker('adapter_unavailable'), stage: 'handing off' }, true).kind).toBe('manual_review');
    expect(nextSafeAction('r', 'blocked_needs_human', blocker('secret_in_change'), true).kind).toBe('manual_review');
    expect(nextSafeAction('r', 'blocked_needs_human', blocker('policy_denied'), true, { ...facts, retriedBy: ['r2'] })).toMatchObject({
      kind: 'none', reason: expect.stringContaining('retried as run r2'),
    });
    expect(nextSafeAction('r', 'quarantined', blocker('registry_corrupt'), true)).toMatchObject({ kind: 'inspect_quarantine', reason: expect.stringMatching(/failed validation/) });
    expect(nextSafeAction('r', 'blocked_needs_human', blocker('cancelled'), true)).toEqual({ kind: 'none', reason: 'the run was cancelled on purpose' });
    expect(nextSafeAction('r', 'blocked_needs_human', blocker('fix_budget_exhausted'), true)).toMatchObject({ kind: 'manual_review', reason: expect.stringContaining('(fix_budget_exhausted)') });
    expect(nextSafeAction('r', 'failed_execution', null, true).reason).toContain('(failed_execution)');
  });

});
