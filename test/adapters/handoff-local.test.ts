import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handoffLocal } from '../../adapters/handoff-local.ts';
import { bareStory } from '../../adapters/handoff-story.ts';
import { readPacket } from '../../schemas/packet.ts';
import { PACKET } from '../helpers/sandbox.ts';
import { makeTempDir } from '../helpers/temp.ts';
import { scratchRecords } from '../helpers/records.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });

function repoWithChange(): string {
  const repo = makeTempDir('buran-handoff-');
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'a.txt'), 'one\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'init');
  writeFileSync(join(repo, 'a.txt'), 'two\n');
  writeFileSync(join(repo, 'new.txt'), 'brand new\n');
  return repo;
}

describe('local handoff', () => {
  it('writes a patch with tracked and untracked changes, leaves the index alone, and is idempotent', async () => {
    const repo = repoWithChange();
    const handoffDir = join(makeTempDir('buran-handoff-out-'), 'handoff');
    const { plan } = readPacket(JSON.parse(readFileSync(PACKET, 'utf8')));
    const ctx = { records: scratchRecords(), handoffDir, workspace: repo, plan, runId: 'r1', epoch: 2, secrets: [], story: bareStory(2) };
    const record = await handoffLocal(ctx);
    expect(record).toMatchObject({ kind: 'local', files_changed: 2, target: { repo: 'acme/widgets', intended_branch: 'buran/fixture-1', base_branch: 'main' } });
    const patch = readFileSync(record.patch_path!, 'utf8');
    expect(patch).toContain('+two');
    expect(patch).toContain('+brand new');
    expect(git(repo, 'status', '--porcelain')).toBe(' M a.txt\n?? new.txt\n');
    expect(readFileSync(record.summary_path, 'utf8')).toContain('buran/fixture-1');

    const patched = makeTempDir('buran-handoff-apply-');
    git(patched, 'init', '-q');
    writeFileSync(join(patched, 'a.txt'), 'one\n');
    git(patched, 'apply', record.patch_path!);
    expect(readFileSync(join(patched, 'new.txt'), 'utf8')).toBe('brand new\n');

    writeFileSync(join(repo, 'later.txt'), 'after the handoff\n');
    expect(await handoffLocal(ctx)).toEqual(record);
  });

  it('writes a summary but no patch when the workspace is not a git repo', async () => {
    const dir = makeTempDir('buran-handoff-plain-');
    const { plan } = readPacket(JSON.parse(readFileSync(PACKET, 'utf8')));
    const record = await handoffLocal({ records: scratchRecords(), handoffDir: join(dir, 'out'), workspace: dir, plan, runId: 'r1', epoch: 1, secrets: [], story: bareStory(1) });
    expect(record.patch_path).toBeNull();
    expect(readFileSync(record.summary_path, 'utf8')).toContain('fixture-1');
  });
});
