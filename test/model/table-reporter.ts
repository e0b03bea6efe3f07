// Vitest reporter for `npm run test:model`: prints each machine's states, transitions, covered and paths, from the coverage tests' meta.
import type { Reporter, TestCase } from 'vitest/node';

/** One machine's row, set on the coverage test's meta by the model tests. */
export interface ModelRow {
  machine: string;
  states: number;
  reached: number;
  transitions: number;
  covered: number;
  paths: number;
}

declare module 'vitest' {
  interface TaskMeta {
    model?: ModelRow;
  }
}

export default class ModelTableReporter implements Reporter {
  private rows: ModelRow[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const row = testCase.meta().model;
    if (row) this.rows.push(row);
  }

  onTestRunEnd(): void {
    if (this.rows.length === 0) return;
    const header = ['machine', 'states', 'transitions', 'covered', 'paths'];
    const body = this.rows
      .sort((a, b) => a.machine.localeCompare(b.machine))
      .map((r) => [r.machine, `${r.reached}/${r.states}`, String(r.transitions), `${r.covered}/${r.transitions}`, String(r.paths)]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
    process.stdout.write(`\nModel-based coverage (states reached/total, transitions of machineGraph(), covered, generated paths)\n${out.join('\n')}\n\n`);
  }
}
