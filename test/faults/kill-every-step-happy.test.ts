import { describe, expect, it } from 'vitest';
import { crashAndResume, reference } from './crash-harness.ts';

// The driver is SIGKILLed right after each journal write (before the snapshot that follows it),
// and after every third snapshot save (the window after a save is the ordinary resume case);
// `resume` must reach the same end having started no worker twice.
describe('SIGKILL at every step: happy path', () => {
  it('resumes to the same terminal state, a contiguous journal, the same completions and worker starts', { timeout: 300_000 }, async () => {
    const ref = await reference('happy');
    expect(ref.state).toBe('ready_for_manual_review');
    for (const phase of ['journal', 'snapshot']) {
      for (let seq = 1; seq < ref.lastSeq; seq += phase === 'journal' ? 1 : 3) {
        const got = await crashAndResume('happy', `${phase}:${seq}`);
        expect({ fault: `${phase}:${seq}`, ...got, lastSeq: 0 }).toEqual({ fault: `${phase}:${seq}`, ...ref, lastSeq: 0 });
      }
    }
  });
});
