// Demo implementer: writes pageOf in the workspace for real, with an off-by-one bug the tests catch.
import { readFileSync, writeFileSync } from 'node:fs';
import { complete, readTask } from './protocol.mjs';

const FILE = 'src/widgets.mjs';
const STUB = "  throw new Error('pageOf is not implemented yet');";
const task = readTask();
console.log(`implementer: ${task.packet.scope.goal}`);

const source = readFileSync(FILE, 'utf8');
if (!source.includes(STUB)) {
  complete({ status: 'blocked', summary: `${FILE} has no pageOf stub to replace; a human should look at it` });
} else {
  // The deliberate mistake: pages are 1-based, but the start index treats them as 0-based.
  const body = ['  const start = page * size;', '  return items.slice(start, start + size);'].join('\n');
  writeFileSync(FILE, source.replace(STUB, body));
  complete({ summary: `Implemented pageOf in ${FILE} as a slice of the items.`, artifacts: [FILE] });
}
