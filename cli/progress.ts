import type { JournalEntry } from '../persistence/records.ts';

/** Live progress lines for a TTY: state changes and which worker runs, with elapsed time. */
export function progressPrinter(write: (line: string) => void, started = Date.now()): (entry: JournalEntry) => void {
  return (entry) => {
    const elapsed = `+${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(8);
    const line = describe(entry);
    if (line !== null) write(`${elapsed}  ${line}`);
  };
}

function describe(entry: JournalEntry): string | null {
  const e = entry as JournalEntry & Record<string, unknown>;
  switch (e.type) {
    case 'run.created': return `run ${String(e.to)}`;
    case 'run.transition': {
      const from = String(e.from).split('.')[0];
      const to = String(e.to).split('.')[0];
      return from === to ? null : `${from} → ${to}`;
    }
    case 'worker.started': return `  ${String(e.role)} ${String(e.task_id)} started (pid ${String(e.pid)})`;
    case 'worker.adopted': return `  ${String(e.task_id)} adopted (pid ${String(e.pid)})`;
    case 'worker.finished': return `  ${String(e.task_id)} finished: ${String(e.kind)}${e.exit_code !== undefined ? ` ${String(e.exit_code)}` : ''}`;
    case 'verification.command': return `  verification ${String(e.index)}: ${String(e.command)}`;
    default: return null;
  }
}
