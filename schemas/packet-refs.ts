// Checks on the packet's names that reach git and the lease table: branch names and conflict
// surfaces. Pure: `validate` reports them before any run exists.

/** Why `name` is not a branch name git accepts (`git check-ref-format --branch`), or null. */
export function branchNameProblem(name: string): string | null {
  if (name.startsWith('-')) return 'starts with "-" (git would read it as an option)';
  if (name === 'HEAD') return 'is "HEAD", which git reserves for the current commit';
  if (name.startsWith('/') || name.endsWith('/')) return 'starts or ends with "/"';
  if (name.endsWith('.')) return 'ends with "."';
  if (name.includes('..')) return 'holds ".."';
  if (name.includes('@{')) return 'holds "@{"';
  const bad = /[\x00-\x20\x7f~^:?*[\\]/.exec(name);
  if (bad) return `holds ${JSON.stringify(bad[0])} (no spaces, control characters or ~ ^ : ? * [ \\)`;
  for (const part of name.split('/')) {
    if (part === '') return 'holds an empty part ("//")';
    if (part.startsWith('.')) return `has a part starting with "." (${JSON.stringify(part)})`;
    if (part.endsWith('.lock')) return `has a part ending with ".lock" (${JSON.stringify(part)})`;
  }
  return null;
}

/** A branch name made from free text (a task id): every run of characters git refuses becomes "-". */
export function branchSlug(text: string): string {
  const slug = text
      .replace(/[\x00-\x20\x7f~^:?*[\\/@{}]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/(^[-.]+)|([-.]+$)/g, '')
    .replace(/\.lock$/i, '-lock');
  return slug === '' ? 'run' : slug;
}

/** A conflict_surface entry as a repository-relative path, or `escapes` when its `..` leave the repository. */
export type SurfacePath = { ok: true; path: string } | { ok: false; escapes: true };

/**
 * Normalises a conflict_surface entry the way a path resolves inside the repository: `\` is `/`,
 * `.` and empty parts go, `a/..` cancels, a leading `/` means the repository's top. So
 * `./src//a/` and `src/x/../a` are both `src/a`, and `.` or `/` is the whole repository (`''`).
 */
export function normalizeSurfacePath(entry: string): SurfacePath {
  const parts: string[] = [];
  for (const part of entry.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return { ok: false, escapes: true };
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return { ok: true, path: parts.join('/') };
}

/** One problem per branch name or surface the packet names that git or the lease table cannot use. */
export function refProblems(names: {
  intendedBranch: { value: string; field: string } | null;
  baseBranch: { value: string; field: string } | null;
  conflictSurface: string[];
}): Array<{ item: string; message: string }> {
  const problems: Array<{ item: string; message: string }> = [];
  for (const branch of [names.intendedBranch, names.baseBranch]) {
    if (branch === null) continue;
    const problem = branchNameProblem(branch.value);
    if (problem !== null) {
      problems.push({ item: branch.field, message: `${branch.field} ${JSON.stringify(branch.value)} is not a valid git branch name: it ${problem}` });
    }
  }
  names.conflictSurface.forEach((entry, index) => {
    if (!normalizeSurfacePath(entry).ok) {
      problems.push({
        item: `conflict_surface.${index}`,
        message: `conflict_surface.${index} ${JSON.stringify(entry)} leaves the repository (its ".." go above the top): name paths inside the repository`,
      });
    }
  });
  return problems;
}
