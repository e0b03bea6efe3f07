import { statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Registry, RunOwner, RunSession, RunSummary } from './port.ts';
import { runLayout, type RunLayout } from './layout.ts';
import { createRunRecord, ensureRegistry, findRun, listRunIds, readRunMeta } from './registry.ts';
import { readJournal, openJournal } from './journal.ts';
import { readSnapshot } from './snapshot-file.ts';
import { readForStatusFromFiles } from './status-read.ts';
import { acquireRunLock, readLockHolder } from './run-lock.ts';
import { readJsonRecord } from './record-file.ts';
import { writeJsonDurable } from './durable-file.ts';
import { RegistryCorruptError } from './errors.ts';
import { quarantineRun, readQuarantine, refuseIfQuarantined } from './quarantine.ts';
import { cancelRequested, readCancelRequest, requestCancel } from './cancel-request.ts';
import { linkRetry, readRetries } from './retry-links.ts';
import { acquireLeases, allLeases, leasesHeldBy, releaseLeases, renewLeases } from './lease.ts';
import { hostName } from './host.ts';
import { ensureRegistryRoot } from './registry-root.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The directory registry, the embedded default: one folder per run (`runs/<id>/`: run.json,
 * packet.json, journal.jsonl, snapshot.json, its effect records as `<key>.json`), a lease table,
 * batches. One host drives a run at a time (the run's lock file: pid and start time).
 */
export class DirectoryRegistry implements Registry {
  readonly kind = 'directory' as const;
  readonly location: string;

  readonly workRoot: string;

  constructor(readonly root: string) {
    this.location = resolve(root);
    this.workRoot = this.location;
  }

  recordName(runId: string, record: 'meta' | 'packet' | 'snapshot' | 'journal' | 'lock'): string {
    return this.layout(runId)[record];
  }

  /** Where a run's files are (the directory registry keeps the run's host files there too). */
  layout(runId: string): RunLayout {
    return runLayout(this.root, runId);
  }

  async createRun(meta: Parameters<Registry['createRun']>[0], packet: Record<string, unknown>): Promise<void> {
    await ensureRegistry(this.root);
    await createRunRecord(this.root, meta, packet);
  }

  async assertRun(runId: string): Promise<void> {
    await findRun(this.root, runId);
  }

  async readMeta(runId: string) {
    return readRunMeta(await findRun(this.root, runId));
  }

  async readPacket(runId: string): Promise<Record<string, unknown>> {
    const layout = await findRun(this.root, runId);
    const packet = await readJsonRecord(layout.packet, isObject, 'packet (an object)');
    if (packet === null) throw new RegistryCorruptError(layout.packet, 'missing');
    return packet;
  }

  async listRuns(query: { state?: string; limit?: number } = {}): Promise<RunSummary[]> {
    return (await import('./run-summaries.ts')).listSummaries(this.root, query);
  }

  runIds(): Promise<string[]> {
    return listRunIds(this.root);
  }

  async readSnapshot(runId: string) {
    return readSnapshot((await findRun(this.root, runId)).snapshot);
  }

  async readJournal(runId: string, options: { after?: number; whileWritten?: boolean } = {}) {
    const path = (await findRun(this.root, runId)).journal;
    const after = options.after ?? 0;
    // A reader that polls (the board, `logs -f`) asks for what is new: a journal whose size and
    // time are as they were when it last ended at `after` is not read again.
    const info = statSync(path, { throwIfNoEntry: false });
    const stamp = info ? `${info.size}:${info.mtimeMs}` : 'none';
    const seen = this.journalStamps.get(path);
    if (after > 0 && seen !== undefined && seen.stamp === stamp && seen.lastSeq === after) return [];
    // Every entry against its type's shape: a reader goes on to use its fields (status folds
    // through readForStatus, which refuses what it cannot use).
    const entries = await readJournal(path, { whileWritten: options.whileWritten, full: true });
    this.journalStamps.set(path, { stamp, lastSeq: entries.length });
    return after > 0 ? entries.slice(after) : entries;
  }

  /** Through the run's status-cache.json (see status-read.ts). */
  async readForStatus(runId: string) {
    return readForStatusFromFiles(await findRun(this.root, runId), runId);
  }

  private readonly journalStamps = new Map<string, { stamp: string; lastSeq: number }>();

  async readOwner(runId: string): Promise<RunOwner | null> {
    const holder = await readLockHolder((await findRun(this.root, runId)).lock);
    return holder === null ? null : { host: hostName(), pid: holder.pid, start: holder.start };
  }

  async openRun(runId: string): Promise<RunSession> {
    const layout = await findRun(this.root, runId);
    await refuseIfQuarantined(layout);
    // Registries made before the root had its .gitignore get it now (it keeps them out of git).
    await ensureRegistryRoot(this.root);
    const lock = await acquireRunLock(layout.lock, runId);
    try {
      // The snapshot store (lowdb, the record schemas) is loaded by a driver, not by every reader.
      const { openSnapshotStore } = await import('./snapshot-store.ts');
      const store = await openSnapshotStore(layout.snapshot);
      const journal = await openJournal(layout.journal);
      return {
        runId,
        existing: journal.existing,
        get snapshot() { return store.current; },
        get lastSeq() { return journal.lastSeq; },
        append: (drafts, now) => journal.append(drafts, now),
        saveSnapshot: (envelope) => store.save(envelope),
        // A stat, no read, until there is a request.
        cancelReason: async () => (cancelRequested(layout) ? ((await readCancelRequest(layout))?.reason ?? 'cancelled') : null),
        release: async () => {
          await journal.close();
          await lock.release();
        },
      };
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  async readEffect<T>(runId: string, key: string, accept: (value: unknown) => value is T, what: string): Promise<T | null> {
    return readJsonRecord(this.effectPath(runId, key), accept, what);
  }

  async writeEffect(runId: string, key: string, value: unknown): Promise<void> {
    await writeJsonDurable(this.effectPath(runId, key), value);
  }

  async removeEffect(runId: string, key: string): Promise<void> {
    await rm(this.effectPath(runId, key), { force: true });
  }

  async effectKeys(runId: string, prefix: string): Promise<string[]> {
    const dir = this.layout(runId).dir;
    const base = join(dir, prefix);
    // A prefix names a folder (`tasks/`) or the start of a name in one (`epochs/1/run`).
    const folder = prefix.endsWith('/') ? base : dirname(base);
    const names = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
    return names
      .filter((name) => name.endsWith('.json'))
      .map((name) => relative(dir, join(folder, name)).slice(0, -'.json'.length).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix));
  }

  /** `runs/<id>/<key>.json`: the layout records had before the port (so older registries read as they are). */
  effectPath(runId: string, key: string): string {
    return join(this.layout(runId).dir, `${key}.json`);
  }

  async requestCancel(runId: string, reason: string) { await requestCancel(await findRun(this.root, runId), reason); }
  async readCancelRequest(runId: string) { return readCancelRequest(await findRun(this.root, runId)); }
  async linkRetry(fromRunId: string, toRunId: string) { await linkRetry(await findRun(this.root, fromRunId), toRunId); }
  async readRetries(runId: string) { return readRetries(await findRun(this.root, runId)); }
  async quarantine(runId: string, error: RegistryCorruptError) { await quarantineRun(this.layout(runId), error); }
  async readQuarantine(runId: string) { return readQuarantine(await findRun(this.root, runId)); }

  acquireLeases(...args: Parameters<Registry['acquireLeases']>) { return acquireLeases(this.root, ...args); }
  renewLeases(runId: string, ttlMs: number, now: Date) { return renewLeases(this.root, runId, ttlMs, now); }
  releaseLeases(runId: string) { return releaseLeases(this.root, runId); }
  leasesHeldBy(runId: string) { return leasesHeldBy(this.root, runId); }
  allLeases() { return allLeases(this.root); }

  // Batches (their records hold a config, checked with its schema) are loaded when a batch is used.
  async createBatch(...args: Parameters<Registry['createBatch']>) {
    await ensureRegistry(this.root);
    await (await batches()).createBatch(this.root, ...args);
  }
  async readBatch(batchId: string) { return (await batches()).readBatch(this.root, batchId); }
  async appendBatchProgress(...args: Parameters<Registry['appendBatchProgress']>) { return (await batches()).appendBatchProgress(this.root, ...args); }
  async readBatchProgress(batchId: string) { return (await batches()).readBatchProgress(this.root, batchId); }

  async close(): Promise<void> {}
}

const batches = () => import('./batch-store.ts');

/** The folder of a run's registry, from the folder of the run (the directory registry's layout). */
export const registryOfRunDir = (runDir: string) => dirname(dirname(runDir));
