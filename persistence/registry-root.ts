import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// A `.gitignore` holding `*` makes git ignore the folder it is in, itself included: a registry
// inside a workspace (the default `./.buran` of a run started in the repo) is then invisible to
// the workers' `git status`, to the handoff's `git add -A`, to the patch and to every commit,
// and leaves no untracked `.buran/` in the user's checkout. Nothing in the user's repo changes.
const IGNORE_ALL = '# Buran registry: run records, logs and worktrees; never part of the work.\n*\n';

/** Creates the registry's root folder (if need be) with the `.gitignore` that keeps it out of git. */
export async function ensureRegistryRoot(root: string): Promise<void> {
  const ignore = join(root, '.gitignore');
  if (existsSync(ignore)) return;
  await mkdir(root, { recursive: true });
  await writeFile(ignore, IGNORE_ALL, { flag: 'w' });
}
