import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { ensureRegistryRoot } from './registry-root.ts';
import type { z } from '../schemas/zod.ts';
import { fsyncDir, writeJsonDurable } from './durable-file.ts';
import { RegistryCorruptError } from './errors.ts';
import { readRecordFile } from './record-read.ts';

/**
 * Reads a registry record's text, or null when it does not exist. Anything there that is not a
 * plain file (a folder, a FIFO that would block the read forever, a symlink pointing who knows
 * where) is RegistryCorruptError naming the file: the run is quarantined, never read through it.
 */
export async function readRecordText(path: string): Promise<string | null> {
  return readRecordFile(path)?.text ?? null;
}

/**
 * Reads a JSON record this program wrote (atomically: never torn), or null when absent. Text that
 * does not parse, or a value `valid` refuses, was damaged by someone else: RegistryCorruptError.
 */
export async function readJsonRecord<T>(path: string, valid: (value: unknown) => value is T, what: string): Promise<T | null> {
  const text = await readRecordText(path);
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RegistryCorruptError(path, `not valid JSON (${(error as Error).message})`);
  }
  if (!valid(value)) throw new RegistryCorruptError(path, `not a ${what}`);
  return value;
}

/** Parses a registry record's text against its schema; anything else is RegistryCorruptError naming the file. */
export function parseRecord<S extends z.ZodMiniType>(path: string, text: string, schema: S): z.infer<S> {
  return checkRecord(path, parseJson(path, text), schema);
}

/** parseRecord with the schema loaded only when a record is read (a reading command need not load every schema up front). */
export async function parseRecordLoading<S extends z.ZodMiniType>(path: string, text: string, schema: () => Promise<S>): Promise<z.infer<S>> {
  return checkRecord(path, parseJson(path, text), await schema());
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RegistryCorruptError(path, `not valid JSON (${(error as Error).message})`);
  }
}

function checkRecord<S extends z.ZodMiniType>(path: string, raw: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new RegistryCorruptError(path, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/**
 * Creates `parent/name` holding these JSON files, all or nothing: they are written into a hidden
 * staging folder that is renamed into place, so a crash never leaves a half-made record.
 * `taken` is thrown when the folder exists already (checked before, and by the rename itself).
 */
export async function createRecordFolder(parent: string, name: string, files: Array<[string, unknown]>, taken: () => Error): Promise<void> {
  const dir = join(parent, name);
  await ensureRegistryRoot(dirname(parent));
  await mkdir(parent, { recursive: true });
  if (existsSync(dir)) throw taken();
  const staging = join(parent, `.new-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging);
  try {
    for (const [file, value] of files) await writeJsonDurable(join(staging, file), value);
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw taken();
    throw error;
  }
  await fsyncDir(parent);
}
