import { normalizeSurfacePath } from '../schemas/packet-refs.ts';

/** What a run claims: a named resource, held alone or shared with other sharers. */
export interface LeaseClaim {
  resource: string;
  mode: 'exclusive' | 'shared';
}

/**
 * Resource names: `workspace:<abs path>`, `repo:<abs path>`, `branch:<repo>#<name>`,
 * `surface:<repo>#<path>`. Two claims conflict when they name the same resource (unless
 * both are shared), or when both are surfaces of one repo and one path contains the other:
 * `src/` conflicts with `src/a.ts`, `src/a` does not conflict with `src/ab.ts`.
 */
export function conflictsWith(a: LeaseClaim, b: LeaseClaim): boolean {
  if (a.mode === 'shared' && b.mode === 'shared') return false;
  if (a.resource === b.resource) return true;
  // Surfaces compare by path (prefix-aware, case-insensitive); other resources by name only.
  const sa = surfaceOf(a.resource);
  const sb = surfaceOf(b.resource);
  if (sa === null || sb === null || sa.repo !== sb.repo) return false;
  return contains(sa.path, sb.path) || contains(sb.path, sa.path);
}

function surfaceOf(resource: string): { repo: string; path: string } | null {
  if (!resource.startsWith('surface:')) return null;
  const hash = resource.lastIndexOf('#');
  return { repo: resource.slice('surface:'.length, hash), path: resource.slice(hash + 1) };
}

// Letter case is ignored: on a case-insensitive file system (macOS, Windows) `Src/a` and `src/a`
// are the same files, and a false conflict costs only a turn in the queue.
function contains(outer: string, inner: string): boolean {
  const o = outer.toLowerCase();
  const i = inner.toLowerCase();
  return o === '' || i === o || i.startsWith(`${o}/`);
}

/**
 * A conflict_surface entry as a repo-relative path: `./src//a/` and `src/x/../a` → `src/a`; `.`, `/`
 * → the whole repo. An entry whose `..` leave the repository is refused by the packet check; here it
 * claims the whole repository, the one claim that covers wherever it pointed.
 */
export function normalizeSurface(entry: string): string {
  const normal = normalizeSurfacePath(entry);
  return normal.ok ? normal.path : '';
}

/** Where a run works, as leasing needs to know it. */
export interface WorkPlace {
  /** The folder the workers run in. */
  workspace: string;
  /** The checkout a worktree was made from (--repo), or null when the workspace is used as is. */
  repo: string | null;
  /** The workspace is a git checkout's top folder (its `.git` is there). */
  workspaceIsCheckout: boolean;
  intendedBranch: string;
  conflictSurface: string[];
}

/**
 * The claims of one run. A worktree run shares its source checkout with other worktree
 * runs (they only read it and add worktrees) and holds its branch and surfaces alone; a run
 * working in a checkout as it is holds that checkout alone, which keeps worktree runs of it
 * waiting (their base moves under them otherwise).
 */
export function claimsFor(place: WorkPlace): LeaseClaim[] {
  const repoKey = place.repo ?? place.workspace;
  const claims: LeaseClaim[] = [{ resource: `workspace:${place.workspace}`, mode: 'exclusive' }];
  if (place.repo !== null) {
    claims.push({ resource: `repo:${place.repo}`, mode: 'shared' });
    if (place.intendedBranch !== '') claims.push({ resource: `branch:${place.repo}#${place.intendedBranch}`, mode: 'exclusive' });
  } else if (place.workspaceIsCheckout) {
    claims.push({ resource: `repo:${place.workspace}`, mode: 'exclusive' });
  }
  const surfaces = new Set(place.conflictSurface.map(normalizeSurface));
  for (const path of surfaces) claims.push({ resource: `surface:${repoKey}#${path}`, mode: 'exclusive' });
  return claims;
}
