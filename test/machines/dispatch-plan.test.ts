import { describe, expect, test } from 'vitest';
import { MAX_UNRECORDED_STARTS, planDispatch } from '../../machines/dispatch-plan.ts';

const intent = (fields: Partial<{ process: { pid: number } | null; interrupted: boolean; starts: number; host: string }> = {}) =>
  ({ process: { pid: 42 }, interrupted: false, ...fields });

describe('planDispatch', () => {
  test('no intent: start', () => {
    expect(planDispatch({ intent: null, live: false, completionFound: false, host: 'h1' })).toEqual({ kind: 'start', unrecordedStarts: 0 });
  });

  test('a live worker of this host is adopted; a completion is ingested', () => {
    expect(planDispatch({ intent: intent({ host: 'h1' }), live: true, completionFound: false, host: 'h1' }).kind).toBe('adopt');
    expect(planDispatch({ intent: intent(), live: false, completionFound: true, host: 'h1' }).kind).toBe('ingest');
  });

  test("another host's dispatch is started again here, whatever this host sees under its pid", () => {
    for (const live of [true, false]) {
      for (const completionFound of [true, false]) {
        expect(planDispatch({ intent: intent({ host: 'h1' }), live, completionFound, host: 'h2' })).toEqual({ kind: 'restart_here', previousHost: 'h1' });
      }
    }
  });

  test('records without a host were written here (earlier versions)', () => {
    expect(planDispatch({ intent: intent(), live: false, completionFound: false, host: 'h2' }).kind).toBe('lost');
  });

  test('starts no driver lived to record: started again until the bound, then lost', () => {
    expect(planDispatch({ intent: intent({ process: null, starts: 1 }), live: false, completionFound: false, host: 'h' })).toEqual({ kind: 'start', unrecordedStarts: 1 });
    expect(planDispatch({ intent: intent({ process: null, starts: MAX_UNRECORDED_STARTS }), live: false, completionFound: false, host: 'h' }).kind).toBe('lost');
  });

  test('a dispatch stopped on purpose starts afresh', () => {
    expect(planDispatch({ intent: intent({ interrupted: true }), live: false, completionFound: false, host: 'h' })).toEqual({ kind: 'start', unrecordedStarts: 0 });
  });
});
