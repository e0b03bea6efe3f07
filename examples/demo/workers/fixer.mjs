// Demo fixer: reads the failed gate's findings and corrects the off-by-one in pageOf for real.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { complete, readTask } from './protocol.mjs';

const FILE = 'src/widgets.mjs';
const task = readTask();
const findings = task.findings ?? [];

// The verification finding carries the tail of the `node --test` output: failure count and locations.
const lines = findings.flatMap((f) => f.message.split('\n'));
const failing = Number(lines.map((l) => /^# fail (\d+)/.exec(l)?.[1]).find(Boolean) ?? 0);
const where = lines.map((l) => /location: '(.+?)'/.exec(l)?.[1]).filter(Boolean).map((p) => relative(process.cwd(), p));
console.log(`fixer: ${findings.length} finding(s); ${failing} failing test(s) reported${where.length ? ` at ${where.join(', ')}` : ''}`);

const source = readFileSync(FILE, 'utf8');
if (findings.length === 0) {
  complete({ status: 'blocked', summary: 'no findings were handed over, so there is nothing to fix' });
} else if (!source.includes('const start = page * size;')) {
  complete({ status: 'blocked', summary: `the failure (${failing} failing test(s)) is not the off-by-one this fixer knows how to fix` });
} else {
  writeFileSync(FILE, source.replace('const start = page * size;', 'const start = (page - 1) * size;'));
  complete({
    summary: `Pages are 1-based, so pageOf now starts at (page - 1) * size; this addresses the ${failing} failing test(s)${where.length ? ` (${where.join(', ')})` : ''}.`,
    artifacts: [FILE],
  });
}
