import { readFile, writeFile } from 'node:fs/promises';

const SECRET_NAME = /(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION)/i;
// Shapes of well-known tokens: GitHub, Anthropic/OpenAI, AWS, Slack, bearer headers, JWTs.
const TOKEN_SHAPES = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/g,
];

/** Values of this environment's variables whose names look secret (long enough to be worth hiding). */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string' && value.length >= 6)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length);
}

/** Replaces secret values and token-shaped strings with [REDACTED]. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[REDACTED]');
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, (match, prefix) => (typeof prefix === 'string' ? `${prefix}[REDACTED]` : '[REDACTED]'));
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

/** Rewrites a log file without its secrets (workers write logs straight into the registry). */
export async function redactFile(path: string, secrets: readonly string[]): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return;
  const clean = redact(text, secrets);
  if (clean !== text) await writeFile(path, clean);
}
