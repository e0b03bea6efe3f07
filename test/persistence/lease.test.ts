import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import {
  acquireLeases, allLeases, leasesHeldBy, releaseLeases, renewLeases, type HolderIsLive, type Lease,
} from '../../persistence/lease.ts';
import { claimsFor, conflictsWith, normalizeSurface, type LeaseClaim } from '../../persistence/lease-resources.ts';
import { ROOT } from '../helpers/sandbox.ts';
import { makeTempDir } from '../helpers/temp.ts';

// CONTRACT 8 leases: the conflict rules, the claims of a run, and the all-or-nothing table.

const ex = (resource: string): LeaseClaim => ({ resource, mode: 'exclusive' });
const sh = (resource: string): LeaseClaim => ({ resource, mode: 'shared' });
const registry = () => makeTempDir('buran-lease-');
const T0 = new Date('2030-01-01T00:00:00.000Z');
const TTL = 60_000;
const alwaysLive: HolderIsLive = async () => true;
/** The lease module leaves liveness to its caller; this one honours expiry (as actors/leases.ts does). */
const liveUntilExpiry: HolderIsLive = async (lease, now) => Date.parse(lease.expires_at) > now.getTime();

describe('conflictsWith', () => {
  const table: Array<[string, LeaseClaim, LeaseClaim, boolean]> = [
    ['same resource, exclusive/exclusive', ex('workspace:/w'), ex('workspace:/w'), true],
    ['same resource, shared/shared', sh('repo:/r'), sh('repo:/r'), false],
    ['same resource, shared/exclusive', sh('repo:/r'), ex('repo:/r'), true],
    ['same resource, exclusive/shared', ex('repo:/r'), sh('repo:/r'), true],
    ['different resources of one kind', ex('workspace:/w1'), ex('workspace:/w2'), false],
    ['a folder surface and a file under it', ex('surface:/r#src'), ex('surface:/r#src/a.ts'), true],
    ['a file and the folder surface over it', ex('surface:/r#src/a.ts'), ex('surface:/r#src'), true],
    ['a name prefix that is not a folder', ex('surface:/r#src/a'), ex('surface:/r#src/ab.ts'), false],
    ['sibling surfaces', ex('surface:/r#src'), ex('surface:/r#test'), false],
    ['the whole repo and a file', ex('surface:/r#'), ex('surface:/r#deep/down/x.ts'), true],
    ['a file and the whole repo', ex('surface:/r#README.md'), ex('surface:/r#'), true],
    ['the whole repo twice', ex('surface:/r#'), ex('surface:/r#'), true],
    ['one path in different repos', ex('surface:/r1#src'), ex('surface:/r2#src'), false],
    ['the whole repo of different repos', ex('surface:/r1#'), ex('surface:/r2#'), false],
    ['surfaces that are both shared', sh('surface:/r#src'), sh('surface:/r#src/a.ts'), false],
    ['a surface and a non-surface resource', ex('surface:/r#'), ex('repo:/r'), false],
    ['one folder in another letter case', ex('surface:/r#Src'), ex('surface:/r#src/a.ts'), true],
    ['one file in another letter case', ex('surface:/r#README.md'), ex('surface:/r#readme.md'), true],
  ];
  it.each(table)('%s', (_name, a, b, expected) => {
    expect(conflictsWith(a, b)).toBe(expected);
  });

  it('is symmetric (property)', () => {
    const repo = fc.constantFrom('/r1', '/r2', '/a#b');
    const path = fc.array(fc.constantFrom('src', 'a', 'ab', 'a.ts', 'ab.ts', 'x'), { maxLength: 3 }).map((p) => p.join('/'));
    const resource = fc.oneof(
      fc.tuple(repo, path).map(([r, p]) => `surface:${r}#${p}`),
      repo.map((r) => `repo:${r}`),
      repo.map((r) => `workspace:${r}`),
      fc.tuple(repo, fc.constantFrom('main', 'feat')).map(([r, b]) => `branch:${r}#${b}`),
    );
    const claim = fc.record({ resource, mode: fc.constantFrom('exclusive' as const, 'shared' as const) });
    fc.assert(fc.property(claim, claim, (a, b) => conflictsWith(a, b) === conflictsWith(b, a)), { numRuns: 2000 });
  });
});

describe('normalizeSurface', () => {
  it.each([
    ['./src//a/', 'src/a'],
    ['src/a.ts', 'src/a.ts'],
    ['src\\win\\path', 'src/win/path'],
    ['.', ''],
    ['/', ''],
    ['./', ''],
    ['', ''],
    ['src/../lib/x', 'lib/x'],
    ['src/a/../../lib/./x/', 'lib/x'],
    ['a/..', ''],
    // Refused by the packet check (validate: conflict_surface.N leaves the repository); claimed as the whole repo if it ever got here.
    ['..', ''],
    ['src/../../etc', ''],
  ])('%j → %j', (entry, expected) => {
    expect(normalizeSurface(entry)).toBe(expected);
  });

  it('surfaces that name overlapping paths conflict however they are written', () => {
    const claimsOf = (surface: string[]) => claimsFor({ workspace: '/w', repo: null, workspaceIsCheckout: false, intendedBranch: 'b', conflictSurface: surface });
    const conflict = (a: string, b: string) => claimsOf([a]).filter((c) => c.resource.startsWith('surface:'))
      .some((x) => claimsOf([b]).filter((c) => c.resource.startsWith('surface:')).some((y) => conflictsWith(x, y)));
    expect(conflict('src/../lib/x', 'lib/')).toBe(true);
    expect(conflict('./lib//x/y', 'lib/x')).toBe(true);
    expect(conflict('LIB', 'lib/x')).toBe(true);
    expect(conflict('src/../lib', 'src')).toBe(false);
  });
});

describe('claimsFor', () => {
  it('a worktree run: its workspace alone, the source repo shared, its branch alone, surfaces keyed by the repo', () => {
    const claims = claimsFor({
      workspace: '/reg/worktrees/r1', repo: '/src/repo', workspaceIsCheckout: true, intendedBranch: 'buran/t1',
      conflictSurface: ['./src//', 'docs/a.md', 'src'],
    });
    expect(claims).toEqual([
      ex('workspace:/reg/worktrees/r1'),
      sh('repo:/src/repo'),
      ex('branch:/src/repo#buran/t1'),
      ex('surface:/src/repo#src'),
      ex('surface:/src/repo#docs/a.md'),
    ]);
  });

  it('two worktree runs of one repo on different branches and surfaces do not conflict; on one branch they do', () => {
    const place = (ws: string, branch: string, surface: string[]) =>
      claimsFor({ workspace: ws, repo: '/src/repo', workspaceIsCheckout: true, intendedBranch: branch, conflictSurface: surface });
    const conflict = (a: LeaseClaim[], b: LeaseClaim[]) => a.some((x) => b.some((y) => conflictsWith(x, y)));
    expect(conflict(place('/w/1', 'b1', ['src/a']), place('/w/2', 'b2', ['src/ab.ts']))).toBe(false);
    expect(conflict(place('/w/1', 'b1', []), place('/w/2', 'b1', []))).toBe(true);
    expect(conflict(place('/w/1', 'b1', ['src']), place('/w/2', 'b2', ['src/x.ts']))).toBe(true);
  });

  it('a run in a checkout as it is holds the checkout alone (and keeps worktree runs of it out)', () => {
    const claims = claimsFor({ workspace: '/src/repo', repo: null, workspaceIsCheckout: true, intendedBranch: 'buran/t1', conflictSurface: ['src'] });
    expect(claims).toEqual([ex('workspace:/src/repo'), ex('repo:/src/repo'), ex('surface:/src/repo#src')]);
    const worktreeRun = claimsFor({ workspace: '/w/1', repo: '/src/repo', workspaceIsCheckout: true, intendedBranch: 'b', conflictSurface: [] });
    expect(claims.some((a) => worktreeRun.some((b) => conflictsWith(a, b)))).toBe(true);
  });

  it('a plain folder (not a checkout) claims only its workspace and surfaces', () => {
    expect(claimsFor({ workspace: '/plain', repo: null, workspaceIsCheckout: false, intendedBranch: 'b', conflictSurface: [] })).toEqual([ex('workspace:/plain')]);
  });
});

describe('acquireLeases / renewLeases / releaseLeases', () => {
  it('is all or nothing: when one of three claims conflicts, none is written', async () => {
    const root = registry();
    expect((await acquireLeases(root, 'holder', [ex('branch:/r#b')], TTL, T0, alwaysLive)).granted).toBe(true);
    const before = await allLeases(root);

    const outcome = await acquireLeases(root, 'late', [ex('workspace:/w2'), sh('repo:/r'), ex('branch:/r#b')], TTL, T0, alwaysLive);
    expect(outcome.granted).toBe(false);
    if (outcome.granted) return;
    expect(outcome.holder).toMatchObject({ run_id: 'holder', resource: 'branch:/r#b' });
    expect(outcome.wanted).toEqual(ex('branch:/r#b'));
    expect(await allLeases(root)).toEqual(before);
    expect(await leasesHeldBy(root, 'late')).toEqual([]);

    // The same three claims once the branch is free: all three are taken.
    await releaseLeases(root, 'holder');
    const retry = await acquireLeases(root, 'late', [ex('workspace:/w2'), sh('repo:/r'), ex('branch:/r#b')], TTL, T0, alwaysLive);
    expect(retry.granted).toBe(true);
    expect((await leasesHeldBy(root, 'late')).map((l) => l.resource).sort()).toEqual(['branch:/r#b', 'repo:/r', 'workspace:/w2']);
  });

  it('grants shared claims to several runs at once', async () => {
    const root = registry();
    expect((await acquireLeases(root, 'a', [sh('repo:/r')], TTL, T0, alwaysLive)).granted).toBe(true);
    expect((await acquireLeases(root, 'b', [sh('repo:/r')], TTL, T0, alwaysLive)).granted).toBe(true);
    expect((await acquireLeases(root, 'c', [ex('repo:/r')], TTL, T0, alwaysLive)).granted).toBe(false);
    expect((await allLeases(root)).map((l) => l.run_id).sort()).toEqual(['a', 'b']);
  });

  it('drops an expired holder and grants the claim', async () => {
    const root = registry();
    await acquireLeases(root, 'old', [ex('workspace:/w'), ex('surface:/r#src')], 1_000, T0, liveUntilExpiry);
    const soon = new Date(T0.getTime() + 500);
    expect((await acquireLeases(root, 'new', [ex('workspace:/w')], TTL, soon, liveUntilExpiry)).granted).toBe(false);

    const later = new Date(T0.getTime() + 1_000);
    const outcome = await acquireLeases(root, 'new', [ex('workspace:/w')], TTL, later, liveUntilExpiry);
    expect(outcome.granted).toBe(true);
    // Every claim of the dead holder is gone, not just the one that was in the way.
    const table = await allLeases(root);
    expect(table.map((l) => [l.run_id, l.resource])).toEqual([['new', 'workspace:/w']]);
    expect(table[0]!.expires_at).toBe(new Date(later.getTime() + TTL).toISOString());
  });

  it('drops a holder whose run is no longer live (holderIsLive false), before its expiry', async () => {
    const root = registry();
    await acquireLeases(root, 'finished', [ex('branch:/r#b')], TTL, T0, alwaysLive);
    await acquireLeases(root, 'running', [ex('branch:/r#other')], TTL, T0, alwaysLive);
    const liveness: HolderIsLive = async (lease) => lease.run_id !== 'finished';
    const outcome = await acquireLeases(root, 'next', [ex('branch:/r#b')], TTL, T0, liveness);
    expect(outcome.granted).toBe(true);
    expect((await allLeases(root)).map((l) => l.run_id).sort()).toEqual(['next', 'running']);
    // A live holder in the way still refuses.
    expect((await acquireLeases(root, 'third', [ex('branch:/r#other')], TTL, T0, liveness)).granted).toBe(false);
  });

  it('a run re-acquiring renews its own claims (no conflict with itself, no duplicates)', async () => {
    const root = registry();
    const claims = [ex('workspace:/w'), ex('surface:/r#src')];
    await acquireLeases(root, 'me', claims, TTL, T0, alwaysLive);
    const later = new Date(T0.getTime() + 30_000);
    const again = await acquireLeases(root, 'me', claims, TTL, later, () => { throw new Error('a run is never asked about itself'); });
    expect(again.granted).toBe(true);
    const mine = await leasesHeldBy(root, 'me');
    expect(mine).toHaveLength(2);
    for (const lease of mine) expect(lease.expires_at).toBe(new Date(later.getTime() + TTL).toISOString());
  });

  it('renewLeases extends only that run\'s expires_at', async () => {
    const root = registry();
    await acquireLeases(root, 'me', [ex('workspace:/w'), sh('repo:/r')], TTL, T0, alwaysLive);
    await acquireLeases(root, 'other', [ex('workspace:/o')], TTL, T0, alwaysLive);
    const later = new Date(T0.getTime() + 45_000);
    expect(await renewLeases(root, 'me', TTL, later)).toBe(2);
    const byRun = (run: string) => allLeases(root).then((all) => all.filter((l) => l.run_id === run));
    for (const lease of await byRun('me')) {
      expect(lease.expires_at).toBe(new Date(later.getTime() + TTL).toISOString());
      expect(lease.acquired_at).toBe(T0.toISOString());
    }
    expect((await byRun('other'))[0]!.expires_at).toBe(new Date(T0.getTime() + TTL).toISOString());
    expect(await renewLeases(root, 'nobody', TTL, later)).toBe(0);
  });

  it('releaseLeases removes only that run\'s claims', async () => {
    const root = registry();
    await acquireLeases(root, 'a', [ex('workspace:/a'), sh('repo:/r')], TTL, T0, alwaysLive);
    await acquireLeases(root, 'b', [ex('workspace:/b'), sh('repo:/r')], TTL, T0, alwaysLive);
    expect(await releaseLeases(root, 'a')).toBe(2);
    expect((await allLeases(root)).map((l) => [l.run_id, l.resource])).toEqual([['b', 'workspace:/b'], ['b', 'repo:/r']]);
    expect(await releaseLeases(root, 'a')).toBe(0);
    expect(await leasesHeldBy(root, 'a')).toEqual([]);
  });

  it('many acquisitions from one process at once still see each other (in-process queue)', async () => {
    const root = registry();
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => acquireLeases(root, `run-${i}`, [ex('workspace:/one')], TTL, T0, alwaysLive)));
    expect(outcomes.filter((o) => o.granted)).toHaveLength(1);
    expect(await allLeases(root)).toHaveLength(1);
  });
});

// A child process: waits for the start time, tries one exclusive claim, prints the outcome.
const CHILD = `
import { acquireLeases } from ${JSON.stringify(pathToFileURL(resolve(ROOT, 'persistence', 'lease.ts')).href)};
const [root, runId, resource, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
const outcome = await acquireLeases(root, runId, [{ resource, mode: 'exclusive' }], 3_600_000, new Date(), async () => true);
process.stdout.write(JSON.stringify({ runId, granted: outcome.granted }));
`;

function runChild(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('across processes', () => {
  it('six processes racing for one exclusive resource: exactly one is granted, the table holds one claim, valid JSON', async () => {
    for (let round = 0; round < 3; round++) {
      const root = registry();
      const script = join(root, 'child.mts');
      writeFileSync(script, CHILD);
      const startAt = String(Date.now() + 2_500);
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => runChild(script, [root, `racer-${i}`, 'workspace:/contended', startAt])));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const outcomes = results.map((r) => JSON.parse(r.stdout) as { runId: string; granted: boolean });
      const winners = outcomes.filter((o) => o.granted);
      expect(winners, JSON.stringify(outcomes)).toHaveLength(1);

      const raw = readFileSync(join(root, 'leases', 'table.json'), 'utf8');
      const table = (JSON.parse(raw) as { leases: Lease[] }).leases;
      expect(table).toHaveLength(1);
      expect(table[0]).toMatchObject({ run_id: winners[0]!.runId, resource: 'workspace:/contended', mode: 'exclusive' });
      // The mutex file is gone and no temp file was left behind.
      expect(existsSync(join(root, 'leases', 'table.lock'))).toBe(false);
      expect(readdirSync(join(root, 'leases')).sort()).toEqual(['table.json']);
    }
  }, 60_000);
});
