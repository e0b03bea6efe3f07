import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { buran, eventsOf, makeSandbox, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

/** A run's observable end: what the crash tests compare. */
export interface Ending {
  state: string;
  blocker: string | null;
  completions: Record<string, number>;
  starts: Record<string, number>;
  lastSeq: number;
}

/** The two paths the crash tests kill at every step: happy, and one fix round. */
export const SCENARIOS = {
  happy: { workers: { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, check: '0' },
  fixLoop: { workers: { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'], args: { fixer: ['--touch', 'fixed.txt'] } }, check: 'needs-fix' },
} as const;

/** A sandbox set up for a scenario, with its run id fixed. */
export function prepare(name: keyof typeof SCENARIOS): { sb: Sandbox; config: string; packet: string } {
  const sb = makeSandbox();
  const scenario = SCENARIOS[name];
  writeFileSync(`${sb.workspace}/check-exit.txt`, scenario.check);
  return { sb, config: writeConfig(sb, scenario.workers as never), packet: writePacket(sb) };
}

/** Reads how the run ended and checks the journal tells one unbroken story. */
export async function ending(sb: Sandbox, runId: string): Promise<Ending> {
  const status = await statusOf(sb, runId);
  const events = await eventsOf(sb, runId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  let at: string | null = null;
  for (const e of events.filter((x) => x.type === 'run.created' || x.type === 'run.transition')) {
    expect(e.from, `seq ${e.seq}`).toBe(at);
    at = e.to;
  }
  const count = (pick: (t: any) => boolean) =>
    Object.fromEntries(['implementer', 'fixer', 'reviewer'].map((role) => [role, status.tasks.filter((t: any) => t.role === role && pick(t)).length]));
  return {
    state: status.state,
    blocker: status.blocker?.code ?? null,
    completions: count((t) => t.status === 'completed'),
    starts: Object.fromEntries(['implementer', 'fixer', 'reviewer'].map((role) => [role, sb.calls(role).length])),
    lastSeq: events.length,
  };
}

/** Runs once uninterrupted: the reference ending. */
export async function reference(name: keyof typeof SCENARIOS): Promise<Ending> {
  const { sb, config, packet } = prepare(name);
  const run = await runIn(sb, config, packet, ['--run-id', 'ref']);
  expect(run.code, run.stderr).toBe(0);
  return ending(sb, 'ref');
}

/** Runs with the driver SIGKILLed at a fault point, resumes until terminal, returns the ending. */
export async function crashAndResume(name: keyof typeof SCENARIOS, fault: string): Promise<Ending> {
  const { sb, config, packet } = prepare(name);
  const first = await runIn(sb, config, packet, ['--run-id', 'crash'], { BURAN_FAULT_KILL: fault });
  // The fault fired: the driver died of SIGKILL at that write (it never got to finish or fail on its own).
  expect(first.signal, `${fault}: exit ${first.code}\n${first.stderr}`).toBe('SIGKILL');
  const resumed = await buran(['resume', 'crash', '--registry', sb.registry]);
  expect(resumed.code, `${fault}: ${resumed.stderr}`).toBe(0);
  return ending(sb, 'crash');
}
