// Demo reviewer: reads the change with git, checks its scope, and exercises pageOf itself.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { complete, readTask } from './protocol.mjs';

const FILE = 'src/widgets.mjs';
const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
const task = readTask();
const findings = [];

// Scope: only the file the packet names may change (tracked edits and new files alike).
const changed = [...git('diff', '--name-only', 'HEAD'), ...git('ls-files', '--others', '--exclude-standard')];
for (const path of changed.filter((p) => p !== FILE)) {
  findings.push({ severity: 'error', message: `${path} changed, but the packet only allows ${FILE}`, path });
}

// Behaviour: a fresh import of the workspace's module (the query string defeats the module cache).
const { pageOf } = await import(`${pathToFileURL(resolve(FILE)).href}?review=${Date.now()}`);
const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const cases = [[1, 3, ['a', 'b', 'c']], [2, 3, ['d', 'e', 'f']], [3, 3, ['g']], [4, 3, []], [1, 10, items]];
for (const [page, size, want] of cases) {
  let got;
  try { got = pageOf(items, page, size); } catch (error) { got = `throws ${error.message}`; }
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    findings.push({ severity: 'error', message: `pageOf(items, ${page}, ${size}) gave ${JSON.stringify(got)}, want ${JSON.stringify(want)}`, path: FILE });
  }
}

const criteria = task.packet.review.criteria.length;
complete(findings.length === 0
  ? { verdict: 'PASS', summary: `Checked ${criteria} review criteria: only ${FILE} changed and pageOf is right on ${cases.length} cases.`, artifacts: changed }
  : { verdict: 'FAIL', summary: `${findings.length} problem(s) found in the change.`, findings, artifacts: changed });
