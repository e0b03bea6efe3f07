// Shared by the demo workers: read the task Buran hands over, write the completion it expects (CONTRACT 4).
import { readFileSync, writeFileSync } from 'node:fs';

/** The task file: packet, role, attempt and, for a fixer/reviewer, the findings of the failed gate. */
export function readTask() {
  return JSON.parse(readFileSync(process.env.BURAN_TASK_FILE, 'utf8'));
}

/** Writes the completion JSON for the current task id. */
export function complete(fields) {
  const completion = { task_id: process.env.BURAN_TASK_ID, status: 'completed', artifacts: [], ...fields };
  writeFileSync(process.env.BURAN_COMPLETION_FILE, JSON.stringify(completion, null, 2));
  console.log(`${process.env.BURAN_TASK_ROLE}: ${completion.status}${completion.verdict ? ` ${completion.verdict}` : ''}: ${completion.summary}`);
}
