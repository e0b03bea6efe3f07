import type { BatchEvent } from '../actors/batch-runner.ts';
import { redactOutput, type Output } from './output.ts';
import { isBlocked } from '../machines/states.ts';

interface Active {
  state: string;
  worker: string;
  since: number;
}

/**
 * What a batch shows while it runs: on a TTY a block of one line per active run (id, state,
 * worker, elapsed) under a totals line, redrawn at most 10 times a second; otherwise one plain
 * line when a run starts and one when it ends. Everything goes to stderr; stdout is for results.
 */
export class BatchView {
  private readonly active = new Map<string, Active>();
  private readonly counts = { ready: 0, blocked: 0, failed: 0, other: 0 };
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();

  constructor(private readonly output: Output, private readonly total: number, private readonly live: boolean, private readonly quiet: boolean) {
    if (live) this.timer = setInterval(() => this.draw(), 100);
    this.timer?.unref();
  }

  readonly onEvent = (event: BatchEvent): void => {
    switch (event.kind) {
      case 'started':
        this.active.set(event.run_id, { state: 'starting', worker: '-', since: Date.now() });
        if (!this.live && !this.quiet) this.output.err(`started  ${event.run_id}`);
        break;
      case 'entry': {
        const run = this.active.get(event.run_id);
        const e = event.entry as Record<string, unknown>;
        if (!run) break;
        if (e.type === 'run.transition' || e.type === 'run.created') run.state = String(e.to).split('.')[0]!;
        if (e.type === 'worker.started') run.worker = `${String(e.role)} (pid ${String(e.pid)})`;
        if (e.type === 'worker.finished') run.worker = '-';
        break;
      }
      case 'finished': {
        this.active.delete(event.run_id);
        const bucket = event.state === 'ready_for_manual_review' ? 'ready' : event.state === 'failed_execution' ? 'failed' : isBlocked(event.state) ? 'blocked' : 'other';
        this.counts[bucket]++;
        if (!this.live && !this.quiet) this.output.err(`finished ${event.run_id}  ${event.state}${event.blocker ? `  ${event.blocker}` : ''}`);
        break;
      }
      case 'budget_spent':
        if (!this.quiet) this.output.err(`batch budget spent ($${event.spent.toFixed(4)} of $${event.max}): no new run is started`);
        break;
    }
  };

  /** Stops redrawing and leaves the last frame in place. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.live) this.draw();
  }

  private totals(): string {
    const done = this.counts.ready + this.counts.blocked + this.counts.failed + this.counts.other;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    return `batch ${done}/${this.total} done  ready ${this.counts.ready}  blocked ${this.counts.blocked}  failed ${this.counts.failed}`
      + `${this.counts.other ? `  stopped/other ${this.counts.other}` : ''}  active ${this.active.size}  ${elapsed}s`;
  }

  private draw(): void {
    const now = Date.now();
    const lines = [this.totals(), ...[...this.active.entries()].map(([id, run]) =>
      `  ${id}  ${run.state.padEnd(16)} ${run.worker.padEnd(26)} ${((now - run.since) / 1000).toFixed(1)}s`)];
    // Move up over the previous frame, rewrite it, and clear what is left below.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    process.stderr.write(`${up}${lines.map((l) => `\x1b[2K${redactOutput(l)}`).join('\n')}\n\x1b[J`);
    this.drawn = lines.length;
  }
}
