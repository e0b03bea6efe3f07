// What the board says about a run, read straight from a real registry.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFacts } from '../../inspector/run-facts.ts';
import { DirectoryRegistry } from '../../persistence/directory-registry.ts';
import { buran, makeSandbox, ROOT, writeConfig, writePacket } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';

const CLAUDE = join(ROOT, 'test', 'fixtures', 'agents', 'claude');

describe('run facts', () => {
  it("cost is the run's own running total when its snapshot keeps one, else the sum of the journal's worker costs", async () => {
    chmodSync(CLAUDE, 0o755);
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const agent = { preset: 'claude', program: CLAUDE };
    const config = sb.path('agent.json');
    writeFileSync(config, JSON.stringify({ workers: { implementer: agent, reviewer: { ...agent, env: ['STANDIN_MODE_REVIEWER'] } }, verification: { allowed_commands: ['node check.mjs'] }, limits: { max_fix_attempts: 0 } }));
    const run = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'costly'], { env: { ...r.env, STANDIN_MODE_REVIEWER: 'review_pass' } });
    expect(run.code, run.stderr).toBe(0);

    // Two agent tasks at $0.0123 each, as their worker.finished entries say.
    const fromJournal = await runFacts(new DirectoryRegistry(sb.registry), 'costly', []);
    expect(fromJournal).toMatchObject({ state: 'ready_for_manual_review', terminal: true, driven: false, cost_usd: 0.0246, current: null, blocker: null });
    expect(fromJournal.elapsed_ms).toBe(Date.parse(fromJournal.updated_at!) - Date.parse(fromJournal.created_at!));

    // A run machine that keeps `cost_usd` in its context is believed over the journal.
    const snapshotPath = join(sb.registry, 'runs', 'costly', 'snapshot.json');
    const envelope = JSON.parse(readFileSync(snapshotPath, 'utf8'));
    envelope.snapshot.context.cost_usd = 0.75;
    writeFileSync(snapshotPath, JSON.stringify(envelope));
    expect((await runFacts(new DirectoryRegistry(sb.registry), 'costly', [])).cost_usd).toBe(0.75);
  });

  it('a run whose records fail validation is a quarantined row, not an error', async () => {
    const sb = makeSandbox();
    const stopped = await buran(['run', writePacket(sb), '--config', writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'broken', '--until', 'running']);
    expect(stopped.code).toBe(6);
    writeFileSync(join(sb.registry, 'runs', 'broken', 'snapshot.json'), '{ not json');
    const facts = await runFacts(new DirectoryRegistry(sb.registry), 'broken', []);
    expect(facts).toMatchObject({ state: 'quarantined', terminal: true, blocker: { code: 'registry_corrupt' }, next_safe_action: { kind: 'inspect_quarantine' } });
  });
});
