import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type Config } from '../schemas/config.ts';
import { UsageError } from './errors.ts';
import { readDocument } from './read-document.ts';
import { intakeSecrets, refuseSecretsInConfig } from './secret-check.ts';

/** Loads --config FILE, else ./buran.config.json if present, else the defaults (no workers). */
export async function loadConfig(flag: string | undefined, cwd: string): Promise<{ config: Config; source: string | null }> {
  const path = flag !== undefined ? resolve(cwd, flag) : resolve(cwd, 'buran.config.json');
  if (flag === undefined && !existsSync(path)) return { config: parseOrThrow({}, '(defaults)'), source: null };
  return { config: parseOrThrow(await readDocument(path, 'config'), path), source: path };
}

function parseOrThrow(raw: unknown, source: string): Config {
  const result = parseConfig(raw);
  if (!result.ok) throw new UsageError(`config ${source} is invalid`, result.errors);
  refuseSecretsInConfig(result.value, source, intakeSecrets(result.value));
  return result.value;
}
