// The driver's lifecycle as a pure reducer: which stop wins, which steps count, when it is done.
import { describe, expect, it } from 'vitest';
import { DRIVING, isFailure, nextPhase, stoppedFor, type DriverEvent, type DriverPhase } from '../../machines/driver-rules.ts';

const run = (events: DriverEvent[], policy: { until?: string; maxSteps?: number } = {}): DriverPhase =>
  events.reduce((phase, event) => nextPhase(phase, event, policy), DRIVING);
const step = (to: string, fresh = true): DriverEvent => ({ type: 'step', to, fresh });

describe('driver lifecycle', () => {
  it('counts only fresh steps: steps replayed from the journal never use up --max-steps', () => {
    const replayed = run([step('queued', false), step('running.dispatching', false), step('verification.checking', false)], { maxSteps: 2 });
    expect(replayed).toEqual({ kind: 'driving', steps: 0 });
    expect(run([step('queued', false), step('running.dispatching'), step('verification.checking')], { maxSteps: 2 }))
      .toEqual({ kind: 'stopping', reason: 'max_steps' });
  });

  it('stops at the step that enters the --until state (any substate of it), not before', () => {
    expect(run([step('queued'), step('running.preparing')], { until: 'verification' })).toEqual({ kind: 'driving', steps: 2 });
    expect(run([step('queued'), step('verification.checking')], { until: 'verification' })).toEqual({ kind: 'stopping', reason: 'until' });
  });

  it('a step into a terminal state is never a stop: the run ends there and is reported finished', () => {
    const phase = run([step('handoff_ready.handing_off'), step('ready_for_manual_review'), { type: 'done' }], { maxSteps: 2, until: 'ready_for_manual_review' });
    expect(phase).toEqual({ kind: 'finished' });
    expect(stoppedFor(phase)).toBeNull();
  });

  it('the first stop or halt wins: an interrupt after --until, a halt after a stop, a done after a halt change nothing', () => {
    const stopped = run([step('verification.checking'), { type: 'interrupt' }, { type: 'halt', cause: 'registry', error: new Error('disk full') }, { type: 'done' }], { until: 'verification' });
    expect(stopped).toEqual({ kind: 'stopping', reason: 'until' });
    const error = new Error('seq 4 contradicts');
    const halted = run([{ type: 'halt', cause: 'contradiction', error }, { type: 'interrupt' }, { type: 'done' }, step('queued')]);
    expect(halted).toEqual({ kind: 'halting', cause: 'contradiction', error });
    expect(stoppedFor(halted)).toBeNull();
  });

  it('an interrupt is a resumable stop; an actor error is a failure only while driving (after a stop it is the stop aborting an effect)', () => {
    const interrupted = run([step('queued'), { type: 'interrupt' }]);
    expect(stoppedFor(interrupted)).toBe('interrupted');
    expect(isFailure(interrupted)).toBe(false);
    expect(isFailure(run([step('queued')]))).toBe(true);
  });
});
