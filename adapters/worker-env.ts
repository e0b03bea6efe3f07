const PASSED_THROUGH = ['PATH', 'HOME', 'USER', 'SHELL', 'TERM', 'TMPDIR', 'LANG'];

/** CONTRACT 4's environment: the allowlist, LC_*, the worker's own names, then Buran's variables. */
export function buildChildEnv(
  source: NodeJS.ProcessEnv, extraNames: readonly string[], buranVars: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (PASSED_THROUGH.includes(name) || name.startsWith('LC_') || extraNames.includes(name)) env[name] = value;
  }
  return { ...env, ...buranVars };
}
