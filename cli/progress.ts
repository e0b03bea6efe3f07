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
    case 'workspace.ready': return describeWorkspace(e);
    case 'workspace.setup': return `  setup ${String(e.index)}: ${String(e.command)}`;
    default: return null;
  }
}

function describeWorkspace(e: Record<string, unknown>): string | null {
  const continued = e.continued as { ahead: number; behind: number; base: string } | undefined;
  if (continued === undefined) return e.reused === true ? null : `  worktree ${String(e.path)} on new branch ${String(e.branch)}`;
  const counts = continued.ahead < 0 ? `base ${continued.base} not found` : `${continued.ahead} ahead / ${continued.behind} behind ${continued.base}`;
  return `  branch ${String(e.branch)} exists, ${counts}: continuing it`;
}
