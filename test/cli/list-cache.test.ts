// `buran list` keeps a cache of its rows at the registry root (list-cache.json). These tests show
// it is only ever a cache: every change to a run's records shows at once, a damaged or foreign
// cache is ignored and rebuilt, a read-only registry lists without one, and the run folders are
// never written.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFleet } from '../helpers/fleet.ts';
import { buran, makeSandbox, runIn, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { listReadOnly as readOnly } from '../helpers/read-only-registry.ts';

const CACHE = 'list-cache.json';

interface Row {
  run_id: string;
  state: string;
  updated_at: string | null;
  blocker: string | null;
  cost_usd: number;
}

/**
 * A registry of `count` runs made from one real finished run: its folder copied under new ids,
 * each with a snapshot of its own (state, time and cost), as the bench does.
 */
async function registryOf(count: number): Promise<{ sb: Sandbox; template: Record<string, any>; seedDir: string }> {
  const sb = makeSandbox();
  const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
  const seed = await runIn(sb, config, writePacket(sb), ['--run-id', 'seed']);
  expect(seed.code, seed.stderr).toBe(0);
  const seedDir = join(sb.registry, 'runs', 'seed');
  const template = JSON.parse(readFileSync(join(seedDir, 'snapshot.json'), 'utf8'));
  const setup = { sb, template, seedDir };
  for (let i = 0; i < count; i++) addRun(setup, `r${i}`, STATES[i % STATES.length]!, i);
  return setup;
}

const STATES = ['ready_for_manual_review', 'blocked_needs_human', 'failed_execution'];

const runDir = (sb: Sandbox, id: string) => join(sb.registry, 'runs', id);

function snapshotText(template: Record<string, any>, id: string, state: string, minute: number, cost = 0.01): string {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  const context = { ...template.snapshot.context, run_id: id, cost_usd: cost };
  return JSON.stringify({ ...template, run_id: id, state, updated_at: at, snapshot: { ...template.snapshot, context } });
}

function addRun(setup: { sb: Sandbox; template: Record<string, any>; seedDir: string }, id: string, state: string, minute: number): void {
  const dir = runDir(setup.sb, id);
  cpSync(setup.seedDir, dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), readFileSync(join(dir, 'run.json'), 'utf8').replaceAll('"seed"', JSON.stringify(id)));
  writeFileSync(join(dir, 'snapshot.json'), snapshotText(setup.template, id, state, minute));
}

async function listJson(sb: Sandbox, ...args: string[]): Promise<Row[]> {
  const result = await buran(['list', '--json', '--registry', sb.registry, ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const rowOf = (rows: Row[], id: string) => rows.find((r) => r.run_id === id);

function cacheFile(sb: Sandbox): { format: string; version: number; runs: unknown[] } {
  return JSON.parse(readFileSync(join(sb.registry, CACHE), 'utf8'));
}

/** Run ids the cache holds (its flat array: id, then eight fields). */
function cachedIds(sb: Sandbox): string[] {
  const { runs } = cacheFile(sb);
  return runs.filter((_, i) => i % 9 === 0) as string[];
}

/** Every file under a folder with its size and modification time (what a write would change). */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const info = statSync(join(dir, name));
    out[name] = `${info.size}:${info.mtimeMs}:${info.ino}`;
  }
  return out;
}

describe('the list cache', () => {
  it('is built by the first list, then answers for every run whose snapshot is the file it read', async () => {
    const { sb } = await registryOf(4);
    const runsBefore = fingerprint(join(sb.registry, 'runs'));
    expect(existsSync(join(sb.registry, CACHE))).toBe(false);

    const first = await listJson(sb);
    expect(first.map((r) => r.run_id)).toEqual(['seed', 'r3', 'r2', 'r1', 'r0']);
    expect(rowOf(first, 'r1')).toMatchObject({ state: 'blocked_needs_human', updated_at: '2026-01-01T00:01:00.000Z', cost_usd: 0.01 });
    expect(cacheFile(sb)).toMatchObject({ format: 'buran list cache', version: 1 });
    expect(cachedIds(sb).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'seed']);
    // Nothing in a run's folder changed: the cache lives at the registry root, beside the .gitignore.
    expect(fingerprint(join(sb.registry, 'runs'))).toEqual(runsBefore);
    expect(readFileSync(join(sb.registry, '.gitignore'), 'utf8')).toMatch(/^\*$/m);

    // Proof the second list reads the cache and not the snapshot: a row changed in the cache
    // alone (its snapshot untouched) is what list shows.
    const cache = cacheFile(sb);
    const at = cache.runs.indexOf('r1');
    cache.runs[at + 5] = 'failed_execution';
    writeFileSync(join(sb.registry, CACHE), JSON.stringify(cache));
    expect(rowOf(await listJson(sb), 'r1')?.state).toBe('failed_execution');
    expect(fingerprint(join(sb.registry, 'runs'))).toEqual(runsBefore);
  }, 60_000);

  it('shows a run whose snapshot changed after the cache was written as it is now: rewritten in place (same size) or replaced', async () => {
    const { sb, template } = await registryOf(3);
    await listJson(sb);
    expect(cachedIds(sb)).toContain('r0');
    const snapshot = join(runDir(sb, 'r0'), 'snapshot.json');

    // Rewritten in place to the same length: only the file's times tell it changed.
    const sameSize = snapshotText(template, 'r0', 'ready_for_manual_review', 9, 0.07);
    expect(sameSize.length).toBe(readFileSync(snapshot, 'utf8').length);
    writeFileSync(snapshot, sameSize);
    expect(rowOf(await listJson(sb), 'r0')).toMatchObject({ state: 'ready_for_manual_review', updated_at: '2026-01-01T00:09:00.000Z', cost_usd: 0.07 });

    // Replaced by a rename, as the driver saves it.
    const temp = join(runDir(sb, 'r0'), '.snapshot.json.test.tmp');
    writeFileSync(temp, snapshotText(template, 'r0', 'failed_execution', 50, 0.5));
    renameSync(temp, snapshot);
    const rows = await listJson(sb);
    expect(rows.map((r) => r.run_id)).toEqual(['seed', 'r0', 'r2', 'r1']);
    expect(rowOf(rows, 'r0')).toMatchObject({ state: 'failed_execution', updated_at: '2026-01-01T00:50:00.000Z', cost_usd: 0.5 });
    // The cache now holds the new row.
    const { runs } = cacheFile(sb);
    expect(runs[runs.indexOf('r0') + 5]).toBe('failed_execution');
    expect(await listJson(sb)).toEqual(rows);
  }, 60_000);

  it('drops removed runs and shows added ones', async () => {
    const setup = await registryOf(3);
    const { sb } = setup;
    await listJson(sb);
    rmSync(runDir(sb, 'r1'), { recursive: true });
    addRun(setup, 'late', 'blocked_needs_human', 30);

    const rows = await listJson(sb);
    expect(rows.map((r) => r.run_id)).toEqual(['seed', 'late', 'r2', 'r0']);
    expect(cachedIds(sb).sort()).toEqual(['late', 'r0', 'r2', 'seed']);
  }, 60_000);

  it.each([
    ['cut off', (text: string) => text.slice(0, text.length / 2)],
    ['not JSON', () => 'garbage\n'],
    ['another format', () => JSON.stringify({ format: 'something else', version: 1, runs: [] })],
    ['a newer version', (text: string) => text.replace('"version":1', '"version":99')],
    ['entries of the wrong types', (text: string) => {
      const cache = JSON.parse(text);
      cache.runs = cache.runs.map((v: unknown, i: number) => (i % 9 === 5 ? 42 : i % 9 === 8 ? 'free' : v));
      return JSON.stringify(cache);
    }],
    ['an object where entries belong', () => JSON.stringify({ format: 'buran list cache', version: 1, runs: { r0: [1, 2, 3] } })],
  ])('a damaged or foreign cache (%s) is ignored and rebuilt, never an error', async (_kind, damage) => {
    const { sb } = await registryOf(3);
    const truth = await listJson(sb);
    const path = join(sb.registry, CACHE);
    writeFileSync(path, damage(readFileSync(path, 'utf8')));

    const human = await buran(['list', '--registry', sb.registry]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toBe('');
    expect(await listJson(sb)).toEqual(truth);
    expect(cachedIds(sb).sort()).toEqual(['r0', 'r1', 'r2', 'seed']);
    expect(existsSync(join(sb.registry, 'runs', 'r0', 'quarantine.json'))).toBe(false);
  }, 60_000);

  it('a cache path that cannot be written (a folder is in its place) only means no cache', async () => {
    const { sb } = await registryOf(2);
    const truth = await listJson(sb);
    rmSync(join(sb.registry, CACHE));
    mkdirSync(join(sb.registry, CACHE));
    expect(await listJson(sb)).toEqual(truth);
    expect(await listJson(sb, '--limit', '1')).toEqual(truth.slice(0, 1));
    // No temp file is left behind.
    expect(readdirSync(sb.registry).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('a FIFO or a symlink where the cache belongs is no cache: list neither hangs nor follows it, and puts a cache there', async () => {
    const { sb } = await registryOf(2);
    const truth = await listJson(sb);
    const path = join(sb.registry, CACHE);
    rmSync(path);
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    expect(await listJson(sb)).toEqual(truth);
    expect(statSync(path).isFile()).toBe(true);

    // A link to a file that reads as a valid cache of other rows: not followed, replaced.
    const elsewhere = sb.path('elsewhere.json');
    const cache = cacheFile(sb);
    cache.runs[cache.runs.indexOf('r1') + 5] = 'failed_execution';
    writeFileSync(elsewhere, JSON.stringify(cache));
    rmSync(path);
    symlinkSync(elsewhere, path);
    expect(await listJson(sb)).toEqual(truth);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(elsewhere, 'utf8'))).toEqual(cache);
  }, 60_000);

  it('--state, --limit and --json give from the cache exactly what they give without it', async () => {
    const { sb } = await registryOf(7);
    // The seed run's own time is "just now" or "5s ago", as the clock goes: compared as one word.
    const same = (text: string) => text.replace(/just now|\d+[smhd] ago/g, 'recently').replace(/ +/g, ' ');
    for (const args of [[], ['--json'], ['--state', 'failed_execution'], ['--limit', '3'], ['--json', '--state', 'blocked_needs_human', '--limit', '2'], ['--state', 'queued']]) {
      rmSync(join(sb.registry, CACHE), { force: true });
      const uncached = await buran(['list', '--registry', sb.registry, ...args]);
      expect(existsSync(join(sb.registry, CACHE))).toBe(true);
      const cached = await buran(['list', '--registry', sb.registry, ...args]);
      expect(cached.code).toBe(0);
      expect({ args, stdout: same(cached.stdout) }).toEqual({ args, stdout: same(uncached.stdout) });
    }
    const limited = await listJson(sb, '--state', 'failed_execution', '--limit', '2');
    expect(limited.map((r) => r.run_id)).toEqual(['r5', 'r2']);
  }, 60_000);

  it('shows a run quarantined after the cache was written as quarantined: by its marker, or by a damaged snapshot', async () => {
    const { sb } = await registryOf(3);
    await listJson(sb);
    writeFileSync(join(runDir(sb, 'r0'), 'quarantine.json'), JSON.stringify({ at: '2026-01-01T00:00:00Z', file: 'x', reason: 'test' }));
    writeFileSync(join(runDir(sb, 'r1'), 'snapshot.json'), '{"schema_version":');

    const rows = await listJson(sb);
    expect(rowOf(rows, 'r0')).toMatchObject({ state: 'quarantined', blocker: 'registry_corrupt', updated_at: null });
    expect(rowOf(rows, 'r1')).toMatchObject({ state: 'quarantined', blocker: 'registry_corrupt', updated_at: null });
    expect(rowOf(rows, 'r2')?.state).toBe('failed_execution');
    // Again, from whatever the cache now holds.
    expect(await listJson(sb)).toEqual(rows);
    expect(await listJson(sb, '--state', 'quarantined')).toHaveLength(2);
    // list never writes a marker: the damaged snapshot's run folder holds none.
    expect(existsSync(join(runDir(sb, 'r1'), 'quarantine.json'))).toBe(false);
  }, 60_000);

  it('shows a run without a snapshot where its journal says, and a snapshot that comes back as it is', async () => {
    const { sb, template } = await registryOf(2);
    await listJson(sb);
    const snapshot = join(runDir(sb, 'r0'), 'snapshot.json');
    rmSync(snapshot);

    const rows = await listJson(sb);
    // The copied journal is the seed run's: it ended ready_for_manual_review, at its own time.
    const journal = readFileSync(join(runDir(sb, 'r0'), 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = journal.filter((e) => e.type === 'run.transition').at(-1);
    expect(rowOf(rows, 'r0')).toMatchObject({ state: last.to.split('.')[0], updated_at: last.at, cost_usd: 0 });
    expect(cachedIds(sb)).not.toContain('r0');

    writeFileSync(snapshot, snapshotText(template, 'r0', 'blocked_needs_human', 0));
    expect(rowOf(await listJson(sb), 'r0')?.state).toBe('blocked_needs_human');
  }, 60_000);

  it('on a read-only registry: lists without a cache (an old one is still checked run by run), --limit included', async () => {
    const { sb, template } = await registryOf(4);
    const truth = await listJson(sb);
    const cacheBefore = readFileSync(join(sb.registry, CACHE), 'utf8');
    // Changed after the cache was written: the read-only listing must show it, not the cached row.
    writeFileSync(join(runDir(sb, 'r3'), 'snapshot.json'), snapshotText(template, 'r3', 'failed_execution', 40));
    const expected = truth.map((r) => (r.run_id === 'r3' ? { ...r, state: 'failed_execution', updated_at: '2026-01-01T00:40:00.000Z' } : r));
    expect(expected.map((r) => r.run_id)).toEqual(['seed', 'r3', 'r2', 'r1', 'r0']);

    const seen = readOnly(sb, [['--json'], ['--json', '--limit', '2'], ['--json', '--state', 'failed_execution']]);
    for (const s of seen) expect(s.code, s.stderr).toBe(0);
    const parse = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
    expect(parse(seen[0]!.stdout)).toEqual(expected);
    expect(parse(seen[1]!.stdout)).toEqual(expected.slice(0, 2));
    expect(parse(seen[2]!.stdout).map((r) => r.run_id)).toEqual(['r3', 'r2']);
    // Nothing was written: the old cache is as it was, no temp file left.
    expect(readFileSync(join(sb.registry, CACHE), 'utf8')).toBe(cacheBefore);
    expect(readdirSync(sb.registry).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});

describe('list on a PostgreSQL registry', () => {
  it('lists through the database registry as before: every run, --state, --limit, --json; no cache file anywhere', async () => {
    const fleet = await makeFleet();
    const first = await fleet.submit('t-a');
    const second = await fleet.submit('t-b');
    const rows = (await fleet.buran(['list', '--json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
    expect(rows.map((r) => r.run_id).sort()).toEqual([first, second].sort());
    expect(rows.every((r) => r.state === 'queued')).toBe(true);
    expect((await fleet.buran(['list', '--json', '--state', 'queued', '--limit', '1'])).stdout.trim().split('\n')).toHaveLength(1);
    const human = await fleet.buran(['list', '--state', 'failed_execution']);
    expect(human).toMatchObject({ code: 0 });
    expect(human.stdout).toMatch(/^no failed_execution runs in postgres:/);
    expect(readdirSync(fleet.dir, { recursive: true }).filter((n) => String(n).endsWith(CACHE))).toEqual([]);
  }, 120_000);
});
