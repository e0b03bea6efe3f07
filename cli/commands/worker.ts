import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { driveRun } from '../../actors/drive-run.ts';
import { checkoutRoot } from '../../adapters/worktree.ts';
import { TERMINAL_STATES } from '../../machines/states.ts';
import { RunOwnershipLostError } from '../../persistence/errors.ts';
import { isValidRunId } from '../../persistence/layout.ts';
import { isDatabaseUrl, openRegistry } from '../../persistence/open-registry.ts';
import type { Claim, Listener, PgRegistry } from '../../persistence/pg/index.ts';
import { UsageError } from '../errors.ts';
import { loadConfig } from '../load-config.ts';
import type { Output } from '../output.ts';

export interface WorkerFlags {
  registry: string;
  hostId?: string;
  concurrency?: number;
  repo?: string;
  config?: string;
  cwd: string;
  json: boolean;
}

/** One thing a runner host did, as a line (or a JSON line with --json). */
type WorkerEvent =
  | { event: 'started'; host: string; repo: string; concurrency: number; dead_after_ms: number }
  | { event: 'claimed'; run_id: string; kind: Claim['kind'] }
  | { event: 'ended'; run_id: string; state: string; blocker: string | null; cost_usd: number }
  | { event: 'parked'; run_id: string; state: string }
  | { event: 'lost'; run_id: string; message: string }
  | { event: 'failed'; run_id: string; message: string }
  | { event: 'claim_failed'; message: string }
  | { event: 'stopping'; reason: string }
  | { event: 'stopped'; host: string };

/**
 * `buran worker`: a runner host of a fleet (CONTRACT 9). It claims queued runs (and runs of hosts
 * that stopped heartbeating) from the shared registry, at most N at once, and drives each in a
 * worktree of its own clone. SIGINT/SIGTERM: it claims nothing more, stops what it drives (workers
 * stopped, runs resumable) and puts those runs back in the queue for the next host. Runs until
 * stopped; exit 0 then, 5 when it loses the registry.
 */
export async function workerCommand(flags: WorkerFlags, output: Output): Promise<number> {
  if (!isDatabaseUrl(flags.registry)) {
    throw new UsageError('buran worker takes runs from a shared registry: give --registry postgres://… (or set BURAN_REGISTRY)');
  }
  const host = flags.hostId ?? (process.env.BURAN_HOST_ID || hostname());
  if (!isValidRunId(host)) throw new UsageError(`--host-id ${JSON.stringify(host)}: use 1-100 letters, digits, ".", "-" or "_", starting with a letter or digit`);
  const concurrency = flags.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency ${concurrency}: needs a whole number from 1 to 256`);
  const repoDir = resolve(flags.cwd, flags.repo ?? '.');
  const repo = await checkoutRoot(repoDir).catch(() => {
    throw new UsageError(`${flags.repo === undefined ? 'the current folder' : `--repo ${repoDir}`} is not a git checkout: give buran worker --repo DIR, a clone of the repository the runs work on`);
  });
  const { config } = await loadConfig(flags.config, flags.cwd);
  const deadAfterMs = config.fleet.dead_after_ms;
  // Every record this process writes (dispatches, running commands, the processes' environment) names this host.
  process.env.BURAN_HOST_ID = host;
  const registry = (await openRegistry(flags.registry, { hostId: host, deadAfterMs })) as PgRegistry;
  const say = (event: WorkerEvent) => output.out(flags.json ? JSON.stringify(event) : words(event));
  try {
    return await new Runner(registry, { host, repo, concurrency, deadAfterMs }, say).serve();
  } finally {
    await registry.close();
  }
}

interface RunnerSettings {
  host: string;
  repo: string;
  concurrency: number;
  deadAfterMs: number;
}

class Runner {
  private readonly active = new Map<string, Promise<void>>();
  private readonly stop = new AbortController();
  private wake: () => void = () => {};
  private lostRegistry = false;
  private lastClaimError: string | null = null;

  constructor(private readonly registry: PgRegistry, private readonly settings: RunnerSettings, private readonly say: (event: WorkerEvent) => void) {}

  async serve(): Promise<number> {
    const { host, repo, concurrency, deadAfterMs } = this.settings;
    const onSignal = (signal: string) => this.halt(`${signal}: claiming nothing more; the runs driven here are stopped and queued again`);
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    // New runs wake the host at once; takeovers (no one announces a death) are found by polling.
    const listener: Listener | null = await this.registry.listen([this.registry.channels.queue], () => this.wake()).catch(() => null);
    const watchdog = setInterval(() => this.checkHeartbeat(), Math.max(50, Math.floor(deadAfterMs / 10)));
    this.say({ event: 'started', host, repo, concurrency, dead_after_ms: deadAfterMs });
    const pollMs = Math.max(100, Math.min(2000, Math.floor(deadAfterMs / 4)));
    try {
      while (!this.stop.signal.aborted) {
        if (this.active.size < concurrency) {
          const claim = await this.registry.claimNext().catch((error: unknown) => {
            // Said once per distinct failure, then tried again at every poll.
            const message = error instanceof Error ? error.message : String(error);
            if (message !== this.lastClaimError) this.say({ event: 'claim_failed', message });
            this.lastClaimError = message;
            return null;
          });
          if (claim !== null) this.lastClaimError = null;
          if (claim !== null && !this.stop.signal.aborted) {
            this.start(claim);
            continue;
          }
        }
        await this.pause(pollMs);
      }
      await Promise.allSettled([...this.active.values()]);
    } finally {
      clearInterval(watchdog);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      await listener?.close().catch(() => {});
    }
    this.say({ event: 'stopped', host });
    return this.lostRegistry ? 5 : 0;
  }

  private start(claim: Claim): void {
    this.say({ event: 'claimed', run_id: claim.run_id, kind: claim.kind });
    const work = this.drive(claim).finally(() => {
      this.active.delete(claim.run_id);
      this.wake();
    });
    this.active.set(claim.run_id, work);
  }

  private async drive(claim: Claim): Promise<void> {
    const runId = claim.run_id;
    try {
      const result = await driveRun({
        registry: this.registry, runId, interrupt: this.stop.signal, reopen: false,
        placement: { host: this.settings.host, repo: this.settings.repo, claim: claim.kind },
        killGraceMs: Number(process.env.BURAN_KILL_GRACE_MS ?? 2000),
      });
      if (result.stopped !== null && !result.terminal) {
        // Released by the drive: queued again unless someone else took it meanwhile.
        const parked = await this.registry.park(runId, [...TERMINAL_STATES]).catch((error: unknown) => error as Error);
        if (parked instanceof Error) {
          // Not queued again: it waits for a person (`buran resume` queues it), and this says so.
          this.say({ event: 'failed', run_id: runId, message: `stopped in ${result.state} but not queued again: ${parked.message}` });
          return;
        }
        this.say({ event: 'parked', run_id: runId, state: result.state });
        return;
      }
      this.say({ event: 'ended', run_id: runId, state: result.state, blocker: result.blocker?.code ?? null, cost_usd: result.cost_usd });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof RunOwnershipLostError) {
        this.say({ event: 'lost', run_id: runId, message });
        return;
      }
      await this.registry.letGoOfClaim(runId).catch(() => {});
      this.say({ event: 'failed', run_id: runId, message });
    }
  }

  /** A host that cannot reach the registry stops its workers before the others declare it dead and take its runs over. */
  private checkHeartbeat(): void {
    const last = this.registry.owner.lastBeatAt;
    if (last === null || this.stop.signal.aborted) return;
    if (Date.now() - last.getTime() > this.settings.deadAfterMs * 0.6) {
      this.lostRegistry = true;
      this.halt(`no heartbeat reached the registry for ${Date.now() - last.getTime()} ms: stopping the runs driven here before another host takes them over`);
    }
  }

  private halt(reason: string): void {
    if (this.stop.signal.aborted) return;
    this.say({ event: 'stopping', reason });
    this.stop.abort();
    this.wake();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function words(event: WorkerEvent): string {
  switch (event.event) {
    case 'started': return `runner host ${event.host}: taking runs for ${event.repo}, ${event.concurrency} at once (a host silent for ${event.dead_after_ms} ms is taken over)`;
    case 'claimed': return `${event.run_id}: ${event.kind === 'takeover' ? 'taken over from a host that stopped heartbeating' : 'claimed'}`;
    case 'ended': return `${event.run_id}: ${event.state}${event.blocker ? ` (${event.blocker})` : ''}`;
    case 'parked': return `${event.run_id}: stopped in ${event.state} and queued again for another host`;
    case 'lost': return `${event.run_id}: taken over by another host; its workers here were stopped (${event.message})`;
    case 'failed': return `${event.run_id}: not driven further here: ${event.message} (see buran status ${event.run_id})`;
    case 'claim_failed': return `could not claim a run (trying again): ${event.message}`;
    case 'stopping': return `stopping: ${event.reason}`;
    case 'stopped': return `runner host ${event.host} stopped`;
  }
}
