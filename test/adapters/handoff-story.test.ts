import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commitMessage, type GitHandoffContext } from '../../adapters/handoff-git-branch.ts';
import { bareStory, type HandoffStory } from '../../adapters/handoff-story.ts';
import { COMMIT_BOUNDS, findingLines, SUMMARY_BOUNDS } from '../../adapters/handoff-story-text.ts';
import { readPacket } from '../../schemas/packet.ts';
import { scratchRecords } from '../helpers/records.ts';
import { PACKET } from '../helpers/sandbox.ts';

const { plan } = readPacket(JSON.parse(readFileSync(PACKET, 'utf8')));
const ctx = (story: HandoffStory): GitHandoffContext => ({
  records: scratchRecords(), handoffDir: '/nowhere', workspace: '/nowhere', plan, runId: 'r-9', epoch: story.passed.epoch, secrets: [], story, remote: 'origin', gh: 'gh', env: {},
});

describe('commit message', () => {
  it('stays bounded however long the story: capped findings, first lines only, long lists cut; trailers last', () => {
    const finding = (i: number) => ({ severity: 'error', message: `finding ${i}: ${'x'.repeat(500)}\nsecond line ${i}`, path: `src/f${i}.js` });
    const story: HandoffStory = {
      ...bareStory(40),
      passed: { epoch: 40, commands: [{ command: 'npm test', exit_code: 0 }] },
      review: { task_id: 't80-reviewer', summary: `${'long review '.repeat(100)}\nmore`, findings: [] },
      work: Array.from({ length: 40 }, (_, i) => ({ task_id: `t${i + 1}-fixer`, role: 'fixer' as const, epoch: i + 1, summary: `fixed ${i}\n${'detail '.repeat(200)}` })),
      fixes: Array.from({ length: 39 }, (_, i) => ({ epoch: i + 1, gate: 'review' as const, task_id: `t${i}-reviewer`, findings: Array.from({ length: 10 }, (_, j) => finding(j)), fixed_by: `t${i + 2}-fixer` })),
    };
    const message = commitMessage(ctx(story));
    const lines = message.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(202);
    expect(message.length).toBeLessThan(12_000);
    expect(message).not.toContain('second line');
    expect(message).toContain('  … and 7 more finding(s)');
    expect(message).toContain('- … and 27 more');
    expect(message.match(/^- Epoch \d+: review failed/gm)).toHaveLength(12);
    expect(lines.slice(-2)).toEqual(['Buran-Run: r-9', 'Buran-Epoch: 40']);
    expect(lines[lines.length - 3]).toBe('');
  });

  it('a run with no failed gate says so, and one with no reviewer leaves the review out', () => {
    const message = commitMessage(ctx({ ...bareStory(1), passed: { epoch: 1, commands: [{ command: 'node check.mjs', exit_code: 0 }] },
      work: [{ task_id: 't1-implementer', role: 'implementer', epoch: 1, summary: 'did it' }] }));
    expect(message).toContain('Fix history:\nNo gate failed.');
    expect(message).not.toContain('Review (');
    expect(message).toContain('Work:\n- t1-implementer (implementer): did it');
  });
});

describe('a finding in the summary', () => {
  it('drops terminal colours and starts its excerpt near the first line that looks like a failure', () => {
    const log = ['> pretest', ...Array.from({ length: 30 }, (_, i) => `build line ${i}`), '\x1b[31m FAIL \x1b[39m Date "invalid dates"', '  Expected values to be strictly equal', ...Array.from({ length: 40 }, (_, i) => `trace ${i}`)];
    const lines = findingLines({ severity: 'error', message: `verification command "npm test" failed with exit code 1\n${log.join('\n')}`, path: 'src/x.js' }, SUMMARY_BOUNDS);
    expect(lines[0]).toBe('[error] src/x.js: verification command "npm test" failed with exit code 1');
    expect(lines[1]).toBe('… 29 line(s) before');
    expect(lines.slice(2, 6)).toEqual(['build line 28', 'build line 29', ' FAIL  Date "invalid dates"', '  Expected values to be strictly equal']);
    expect(lines).toHaveLength(1 + 1 + 19 + 1);
    expect(lines[lines.length - 1]).toBe('… 25 more line(s)');
    expect(lines.join('\n')).not.toContain('\x1b');
    // A commit body takes the first line only, and no local path.
    expect(findingLines({ severity: 'error', message: 'boom\nmore', path: '/registry/runs/x/command-1.log' }, COMMIT_BOUNDS)).toEqual(['[error] boom']);
  });
});
