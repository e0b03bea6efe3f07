import { isAbsolute, resolve } from 'node:path';
import { normalizeSurface, type LeaseClaim, type WorkPlace } from './lease-resources.ts';

/**
 * Lease keys that mean the same thing on every host of a fleet (CONTRACT 9). A branch or a surface
 * belongs to a repository, which every host knows by its remote, not by where its own clone lies:
 * `git@github.com:Acme/Widgets.git`, `https://token@github.com/acme/widgets/` and the packet's
 * `scm_target.repo: "acme/widgets"` are all `github.com/acme/widgets`. A workspace or a checkout is
 * a folder of one host's disk: its claims carry the host.
 */

const DEFAULT_PORTS: Record<string, string> = { ssh: '22', 'git+ssh': '22', 'ssh+git': '22', git: '9418', http: '80', https: '443' };
const SCP_LIKE = /^(?:[^@/\s]+@)?(\[[^\]]+\]|[^:/\s]+):(?!\/\/)(.*)$/;

/**
 * A git remote URL as a repository identity: host (lower case, without user, password or default port)
 * and path, without a trailing `.git` or `/`; network identities are compared in lower case (a false
 * conflict costs a turn in the queue, a missed one a broken merge). A remote that is a folder (a path,
 * or file://) is `file://` and its absolute path, relative paths taken from `baseDir` as git does.
 * Null for an empty or unreadable URL.
 */
export function normalizeRemoteUrl(url: string, baseDir = '/'): string | null {
  const text = url.trim();
  if (text === '') return null;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'file') return fileIdentity(decodeURIComponent(text.slice('file://'.length)), baseDir);
  if (scheme !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return null;
    }
    const port = parsed.port !== '' && parsed.port !== DEFAULT_PORTS[scheme] ? `:${parsed.port}` : '';
    return networkIdentity(`${parsed.hostname}${port}`, decodeURIComponent(parsed.pathname));
  }
  const scp = SCP_LIKE.exec(text);
  // `host:path` (scp syntax) unless the part before the colon holds a slash (then it is a path).
  if (scp !== null) return networkIdentity(scp[1]!, scp[2]!);
  return fileIdentity(text, baseDir);
}

function networkIdentity(host: string, path: string): string | null {
  const cleanPath = trimRepoPath(path);
  if (host === '' || cleanPath === '') return null;
  return `${host}/${cleanPath}`.toLowerCase();
}

function fileIdentity(path: string, baseDir: string): string | null {
  if (path === '') return null;
  const absolute = isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
  const trimmed = trimRepoPath(absolute);
  return `file:///${trimmed}`;
}

function trimRepoPath(path: string): string {
  return path.replace(/[?#].*$/, '').replace(/\/+/g, '/').replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').replace(/\/+$/, '');
}

/**
 * The repository's identity: its `origin` remote, normalised; else the packet's `scm_target.repo`
 * ("owner/name", a GitHub repository: the identity its GitHub remote would have); else null (the
 * repository is known to this host only).
 */
export function repositoryIdentity(source: { originUrl: string | null; scmRepo: string | null; baseDir?: string }): string | null {
  if (source.originUrl !== null) {
    const fromRemote = normalizeRemoteUrl(source.originUrl, source.baseDir);
    if (fromRemote !== null) return fromRemote;
  }
  const repo = source.scmRepo?.trim().replace(/\.git$/i, '') ?? '';
  return /^[^/\s#]+\/[^/\s#]+$/.test(repo) ? `github.com/${repo}`.toLowerCase() : null;
}

/**
 * The claims of one run of a fleet: as claimsFor (lease-resources.ts), with branch and surface claims
 * keyed by the repository's identity, so runs of one repository on two hosts take turns, and workspace
 * and checkout claims keyed by the host and its path (folders of different hosts never conflict).
 * Without an identity, the repository's claims are the host's alone.
 */
export function fleetClaimsFor(place: WorkPlace, where: { hostId: string; repository: string | null }): LeaseClaim[] {
  const local = (path: string) => `${where.hostId}:${path}`;
  const checkout = place.repo ?? place.workspace;
  const repository = where.repository ?? local(checkout);
  const claims: LeaseClaim[] = [{ resource: `workspace:${local(place.workspace)}`, mode: 'exclusive' }];
  if (place.repo !== null) {
    claims.push({ resource: `repo:${local(place.repo)}`, mode: 'shared' });
    if (place.intendedBranch !== '') claims.push({ resource: `branch:${repository}#${place.intendedBranch}`, mode: 'exclusive' });
  } else if (place.workspaceIsCheckout) {
    claims.push({ resource: `repo:${local(place.workspace)}`, mode: 'exclusive' });
  }
  for (const path of new Set(place.conflictSurface.map(normalizeSurface))) claims.push({ resource: `surface:${repository}#${path}`, mode: 'exclusive' });
  return claims;
}
