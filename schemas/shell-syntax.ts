/**
 * Verification commands run without a shell (CONTRACT 2): `npx ava && echo done` would pass `&&`,
 * `echo` and `done` to ava as arguments. This finds the shell syntax a command holds outside
 * quotes (and command substitution inside double quotes, where a shell would still run it).
 */
export function shellSyntaxIn(command: string): string | null {
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    const next = command[i + 1];
    if (quote === "'") {
      if (ch === "'") quote = null;
      continue;
    }
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '`') return '`';
    if (ch === '$' && next === '(') return '$(';
    if (quote === '"') {
      if (ch === '"') quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      continue;
    }
    if ((ch === '&' || ch === '|') && next === ch) return `${ch}${ch}`;
    if (ch === '|' || ch === ';' || ch === '>' || ch === '<' || ch === '&') return ch;
  }
  return null;
}

/** The error for a command holding shell syntax, naming the field and the fix. */
export function shellSyntaxError(field: string, command: string, syntax: string): string {
  const fix = syntax === '&&' || syntax === ';'
    ? 'list each part as its own command (they run in order and stop at the first that fails)'
    : 'put the pipeline or redirection in a script in the repository and list that script';
  return `${field}: ${JSON.stringify(command)} holds shell syntax (${syntax}), but commands run without a shell: ${fix}`;
}
