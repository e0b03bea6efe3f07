import { describe, expect, test } from 'vitest';
import { conflictsWith, type WorkPlace } from '../../persistence/lease-resources.ts';
import { fleetClaimsFor, normalizeRemoteUrl, repositoryIdentity } from '../../persistence/repository-identity.ts';

describe('normalizeRemoteUrl', () => {
  test.each([
    ['git@github.com:Acme/Widgets.git', 'github.com/acme/widgets'],
    ['https://github.com/acme/widgets', 'github.com/acme/widgets'],
    ['https://x-access-token:ghp_secret@github.com/acme/widgets.git/', 'github.com/acme/widgets'],
    ['ssh://git@github.com:22/acme/widgets.git', 'github.com/acme/widgets'],
    ['ssh://git@GitHub.com/acme/widgets', 'github.com/acme/widgets'],
    ['git+ssh://git@github.com/acme/widgets.git', 'github.com/acme/widgets'],
    ['https://github.com:443/acme/widgets?x=1#frag', 'github.com/acme/widgets'],
    ['ssh://git@git.example.com:2222/team/app.git', 'git.example.com:2222/team/app'],
    ['git://git.example.com/team//app.git', 'git.example.com/team/app'],
    ['gitlab.example.com:group/sub/app.git', 'gitlab.example.com/group/sub/app'],
    ['  https://github.com/acme/widgets\n', 'github.com/acme/widgets'],
  ])('%s is %s', (url, identity) => {
    expect(normalizeRemoteUrl(url)).toBe(identity);
  });

  test('a credential in the URL never reaches the identity', () => {
    expect(normalizeRemoteUrl('https://user:hunter2@example.com/a/b.git')).not.toContain('hunter2');
    expect(normalizeRemoteUrl('https://user:hunter2@example.com/a/b.git')).not.toContain('user');
  });

  test('a remote that is a folder is file:// and its absolute path (relative ones from the checkout), case kept', () => {
    expect(normalizeRemoteUrl('/srv/Git/widgets.git/')).toBe('file:///srv/Git/widgets');
    expect(normalizeRemoteUrl('file:///srv/Git/widgets.git')).toBe('file:///srv/Git/widgets');
    expect(normalizeRemoteUrl('../origin.git', '/home/a/clone')).toBe('file:///home/a/origin');
    expect(normalizeRemoteUrl('./up/../origin', '/home/b')).toBe('file:///home/b/origin');
  });

  test('two hosts whose clones lie in different folders agree on the identity of their shared origin', () => {
    expect(normalizeRemoteUrl('../../../origin.git', '/hosts/a/work/clone')).toBe(normalizeRemoteUrl('/hosts/origin.git', '/hosts/b/clone'));
  });

  test('nothing to name a repository by is null', () => {
    expect(normalizeRemoteUrl('')).toBeNull();
    expect(normalizeRemoteUrl('   ')).toBeNull();
    expect(normalizeRemoteUrl('https://github.com/')).toBeNull();
    expect(normalizeRemoteUrl('https://[bad')).toBeNull();
  });
});

describe('repositoryIdentity', () => {
  test('the origin remote first; the packet\'s scm_target.repo (a GitHub owner/name) when there is none', () => {
    expect(repositoryIdentity({ originUrl: 'git@github.com:acme/widgets.git', scmRepo: 'other/thing' })).toBe('github.com/acme/widgets');
    expect(repositoryIdentity({ originUrl: null, scmRepo: 'Acme/Widgets' })).toBe('github.com/acme/widgets');
    expect(repositoryIdentity({ originUrl: '', scmRepo: 'acme/widgets.git' })).toBe('github.com/acme/widgets');
  });

  test('a clone of a GitHub repository and a packet naming it agree', () => {
    expect(repositoryIdentity({ originUrl: 'https://github.com/acme/widgets.git', scmRepo: null }))
      .toBe(repositoryIdentity({ originUrl: null, scmRepo: 'acme/widgets' }));
  });

  test('neither a remote nor an owner/name: no identity', () => {
    expect(repositoryIdentity({ originUrl: null, scmRepo: null })).toBeNull();
    expect(repositoryIdentity({ originUrl: null, scmRepo: 'just-a-name' })).toBeNull();
    expect(repositoryIdentity({ originUrl: null, scmRepo: 'a/b/c' })).toBeNull();
  });
});

describe('fleetClaimsFor', () => {
  const place = (over: Partial<WorkPlace> = {}): WorkPlace => ({
    workspace: '/var/buran/worktrees/r1', repo: '/var/buran/clone', workspaceIsCheckout: true,
    intendedBranch: 'buran/t1', conflictSurface: ['src/', './docs//a.md'], ...over,
  });
  const repository = 'github.com/acme/widgets';

  test('branch and surfaces by repository identity; workspace and checkout by host and path', () => {
    expect(fleetClaimsFor(place(), { hostId: 'h1', repository })).toEqual([
      { resource: 'workspace:h1:/var/buran/worktrees/r1', mode: 'exclusive' },
      { resource: 'repo:h1:/var/buran/clone', mode: 'shared' },
      { resource: 'branch:github.com/acme/widgets#buran/t1', mode: 'exclusive' },
      { resource: 'surface:github.com/acme/widgets#src', mode: 'exclusive' },
      { resource: 'surface:github.com/acme/widgets#docs/a.md', mode: 'exclusive' },
    ]);
  });

  const conflict = (a: ReturnType<typeof fleetClaimsFor>, b: ReturnType<typeof fleetClaimsFor>) => a.some((x) => b.some((y) => conflictsWith(x, y)));

  test('two hosts with the same folders but different repositories do not conflict; one repository on two hosts does', () => {
    const h1 = fleetClaimsFor(place({ intendedBranch: 'buran/a', conflictSurface: ['src/a'] }), { hostId: 'h1', repository });
    const h2SameRepo = fleetClaimsFor(place({ intendedBranch: 'buran/b', conflictSurface: ['src'] }), { hostId: 'h2', repository });
    const h2OtherRepo = fleetClaimsFor(place({ intendedBranch: 'buran/b', conflictSurface: ['src'] }), { hostId: 'h2', repository: 'github.com/acme/other' });
    expect(conflict(h1, h2SameRepo)).toBe(true);
    expect(conflict(h1, h2OtherRepo)).toBe(false);
    const sameBranch = fleetClaimsFor(place({ intendedBranch: 'buran/a', conflictSurface: [] }), { hostId: 'h2', repository });
    expect(conflict(h1, sameBranch)).toBe(true);
  });

  test('a run working in a checkout as it is holds that host\'s checkout alone, and no other host\'s', () => {
    const asIs = fleetClaimsFor(place({ repo: null, workspace: '/w', conflictSurface: [] }), { hostId: 'h1', repository });
    expect(asIs).toEqual([{ resource: 'workspace:h1:/w', mode: 'exclusive' }, { resource: 'repo:h1:/w', mode: 'exclusive' }]);
    const elsewhere = fleetClaimsFor(place({ repo: '/w', workspace: '/w2', conflictSurface: [] }), { hostId: 'h2', repository });
    expect(conflict(asIs, elsewhere)).toBe(false);
  });

  test('without an identity the repository\'s claims are the host\'s own', () => {
    const claims = fleetClaimsFor(place({ conflictSurface: ['src'] }), { hostId: 'h1', repository: null });
    expect(claims.map((c) => c.resource)).toContain('surface:h1:/var/buran/clone#src');
    expect(claims.map((c) => c.resource)).toContain('branch:h1:/var/buran/clone#buran/t1');
  });
});
