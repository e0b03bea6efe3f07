// Runs the shipped demo (examples/demo/run-demo.mjs) as a user would and checks it ends where the README says.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, ROOT } from '../helpers/sandbox.ts';
import { makeTempDir } from '../helpers/temp.ts';

function runDemo(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'examples', 'demo', 'run-demo.mjs')], { cwd: ROOT, env: { ...process.env, BURAN_DEMO_DIR: dir } },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

describe('examples/demo', () => {
  it('reaches ready_for_manual_review through exactly one real fix round', async () => {
    const dir = join(makeTempDir('buran-demo-test-'), 'demo');
    const result = await runDemo(dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^state: ready_for_manual_review$/m);
    const runId = /run id:\s+(\S+)/.exec(result.stdout)?.[1] ?? '';
    expect(runId).not.toBe('');

    const registry = join(dir, 'registry');
    const status = await buran(['status', runId, '--json', '--registry', registry]);
    expect(status.code, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout);
    expect(view).toMatchObject({ run_id: runId, state: 'ready_for_manual_review', terminal: true, epoch: 2, blocker: null });
    expect(view.tasks.map((t: any) => [t.role, t.status, t.verdict, t.epoch])).toEqual([
      ['implementer', 'completed', null, 1],
      ['fixer', 'completed', null, 2],
      ['reviewer', 'completed', 'PASS', 2],
    ]);
    expect(view.budgets.find((b: any) => b.name === 'fix_attempts')).toMatchObject({ used: 1, limit: 3 });
    expect(view.verification).toMatchObject({ epoch: 2, verdict: 'PASS' });

    // The first verification really failed on the implementer's off-by-one; the fixed code passed the second.
    const events = await buran(['events', runId, '--json', '--registry', registry]);
    const gates = events.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'xstate.done.actor.verification');
    expect(gates.map((e) => [e.epoch, e.verdict])).toEqual([[1, 'FAIL'], [2, 'PASS']]);

    // The handoff patch holds the real, corrected change and nothing else.
    const { patch_path: patchPath, summary_path: summaryPath } = view.handoff;
    expect(existsSync(patchPath)).toBe(true);
    expect(existsSync(summaryPath)).toBe(true);
    const patch = readFileSync(patchPath, 'utf8');
    expect(patch).toContain('+++ b/src/widgets.mjs');
    expect(patch).toContain('+  const start = (page - 1) * size;');
    expect(patch).toContain("-  throw new Error('pageOf is not implemented yet');");
    expect(patch).not.toContain('+  const start = page * size;');
    expect(patch.match(/^diff --git /gm)).toHaveLength(1);
    expect(result.stdout).toContain(patchPath);
  });
});
