const SECRET_NAME = /(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION)/i;

/** What a redacted secret becomes. */
export const REDACTED = '[REDACTED]';

// Shapes of secrets that give themselves away, each replaced whole (or, with a first group, all
// but that group: `Bearer [REDACTED]`). The values must not contain quotes, commas or brackets, so
// redacting JSON text (a completion) leaves it JSON.
const TOKEN_SHAPES: RegExp[] = [
  // A private key block, to its END line (or to the end of the text when it is cut off).
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/g,
  // Authorization: Basic dXNlcjpwYXNz (or any scheme), in a header, a curl argument or JSON.
  /(\bAuthorization["']?\s*[:=]\s*["']?(?:Basic|Token|Digest|Bearer)?\s*)[A-Za-z0-9._~+/=:-]{8,}/gi,
  // A password in a URL: scheme://user:password@host (anchored on "://": the scheme is looked behind).
  /(:\/\/(?<=\b[a-z][a-z0-9+.-]{0,30}:\/\/)[^\s:/@"'<>]{0,256}:)[^\s@/"'<>]{1,256}(?=@)/gi,
  // npm's _authToken / _auth / _password lines (.npmrc).
  /(\b_(?:authToken|auth|password)\s*=\s*["']?)[^\s"']+/g,
  // AWS secret access keys are shapeless 40 characters: caught by the name they are given.
  /(\baws_?secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}\b/gi,
  // NAME=value / "name": "value" where the name says secret (API_KEY, DB_PASSWORD, client_secret…);
  // the value needs a letter, so a number (a count of tokens, say) stays.
  // Every repetition is bounded: a worker's text must not make this quadratic (a 1 MiB completion
  // of "a-a-a-…" once took minutes).
  // (The match starts at the word that says secret; what the name has before it is looked behind.)
  /((?:secret|passw(?:or)?d|token|api_?key|private_?key|access_?key|credential)(?<=\b[A-Za-z0-9_]{0,40}(?:secret|passw(?:or)?d|token|api_?key|private_?key|access_?key|credential))[A-Za-z0-9_]{0,40}["']?[ \t]{0,8}[:=][ \t]{0,8}["']?)(?=[^\s"',;}\])]{0,512}[A-Za-z])[^\s"',;}\])]{6,}/gi,
];

// A value passed by name that is a plain word (`production`, `success`, `sonnet`) is a setting, not
// a secret: hiding it would cut that word out of every log, and break an agent's JSON stream.
const PLAIN_WORD = /^[A-Za-z_-]*$/;

/**
 * Secret values of this environment: those of variables whose names look secret (6 characters or
 * more), and those of `names` whatever they are called (the variables passed to workers and gh by
 * name, e.g. DB_URL: CONTRACT 3 says their values are secrets) unless the value is a plain word or
 * shorter than 8. A multi-line value is also hidden line by line (output is redacted line by line).
 */
export function secretValues(env: NodeJS.ProcessEnv, names: Iterable<string> = []): string[] {
  const named = new Set(names);
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') continue;
    const byName = SECRET_NAME.test(name) && value.length >= 6;
    const passed = named.has(name) && value.length >= 8 && !PLAIN_WORD.test(value);
    if (!byName && !passed) continue;
    values.add(value);
    if (value.includes('\n')) for (const line of value.split('\n')) if (line.trim().length >= 8) values.add(line);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

// The name rule is the costly one; a text without any of its words (most output) skips it.
const SECRET_WORD = /secret|passw|token|api_?key|private_?key|access_?key|credential/i;
const NAME_RULE = TOKEN_SHAPES.length - 1;

/** Replaces secret values and secret-shaped strings with [REDACTED]. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  const named = SECRET_WORD.test(out);
  TOKEN_SHAPES.forEach((shape, i) => {
    if (i === NAME_RULE && !named) return;
    out = out.replace(shape, (_match, prefix) => (typeof prefix === 'string' ? `${prefix}${REDACTED}` : REDACTED));
  });
  return out;
}

/**
 * What in `text` looks like a secret, each described without its value: the value of a secret
 * variable, or a token of a known shape (its first characters only). The pre-commit scan uses it.
 */
export function findSecrets(text: string, secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    if (secret.length >= 8 && text.includes(secret)) found.push('the value of a secret environment variable');
  }
  for (const shape of TOKEN_SHAPES) {
    const match = new RegExp(shape.source, shape.flags.replace('g', '')).exec(text);
    if (match !== null) found.push(`a token shaped like ${match[0].slice(0, 4)}…`);
  }
  return found;
}

/** Every string in a JSON-like value redacted (objects and arrays rebuilt; other values as they are). */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}

/**
 * False when redactDeep would change nothing in `value` (so a large report need not be rebuilt
 * string by string: that was ~35 ms of `status` on a long run). The strings are joined by
 * newlines and each secret and each shape is looked for once in the whole: whatever matches
 * inside one string matches in the joined text too (no shape's \b, lookaround or $ needs more
 * than the string it matched in), so a false here is certain; a true only means "redact".
 */
export function mayHoldSecrets(value: unknown, secrets: readonly string[]): boolean {
  const strings: string[] = [];
  collectStrings(value, strings);
  const text = strings.join('\n');
  return secrets.some((secret) => text.includes(secret)) || TOKEN_SHAPES.some((shape) => {
    // The shapes are global: test() moves lastIndex, which must be where replace() expects it.
    shape.lastIndex = 0;
    const found = shape.test(text);
    shape.lastIndex = 0;
    return found;
  });
}

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, into);
}

/** The paths (`a.b.0`) of every string in a JSON-like value that holds a secret value or shape. */
export function secretPaths(value: unknown, secrets: readonly string[], path = ''): string[] {
  if (typeof value === 'string') return redact(value, secrets) === value ? [] : [path || '(root)'];
  if (Array.isArray(value)) return value.flatMap((v, i) => secretPaths(v, secrets, path ? `${path}.${i}` : String(i)));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => secretPaths(v, secrets, path ? `${path}.${k}` : k));
  }
  return [];
}
