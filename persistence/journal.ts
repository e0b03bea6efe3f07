import { closeSync, fdatasync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { readRecordText } from './record-file.ts';
import { RegistryCorruptError } from './errors.ts';
import { isJournalEntryType, JOURNAL_ENTRY_TYPES } from './journal-entry-types.ts';
import type { JournalDraft, JournalEntry } from './journal-entries.ts';

export type { JournalDraft } from './journal-entries.ts';

const flushData = promisify(fdatasync);

/** Append-only, fsync'd event journal of one run, with contiguous sequence numbers. */
export interface Journal {
  readonly lastSeq: number;
  /** The entries the journal held when it was opened. */
  readonly existing: readonly JournalEntry[];
  /** Numbers, writes and fsyncs a batch; resolves once it is durable. */
  append(drafts: JournalDraft[], now: Date): Promise<JournalEntry[]>;
  close(): Promise<void>;
}

/**
 * Reads every line; a bad line, an entry type the journal does not know, or a gap in the numbers
 * is corruption. `full` checks every entry against its type's shape (what a driver, `status`,
 * `events` and the inspector rely on: they use the fields); without it, the envelope and the type
 * only (list's summary of a changed run, which reads no field a malformed entry could break).
 */
export async function readJournal(path: string, options: { whileWritten?: boolean; full?: boolean } = {}): Promise<JournalEntry[]> {
  let text = await readRecordText(path);
  if (text === null) return [];
  // A reader following a live run may catch an append half-way: it reads up to the last full line.
  if (options.whileWritten) text = text.slice(0, text.lastIndexOf('\n') + 1);
  const entries: JournalEntry[] = [];
  await eachJournalEntry(path, text, 0, options.full === true, (entry) => { entries.push(entry); });
  return entries;
}

/**
 * Checks the lines of `text` as readJournal does and hands on each entry, in order. `after` is
 * how many lines of the journal came before `text` (their entries numbered 1 to `after`): lines
 * are named and numbered on from there.
 */
export async function eachJournalEntry(
  path: string, text: string, after: number, fullCheck: boolean, each: (entry: JournalEntry) => boolean | void,
): Promise<void> {
  // The entry shapes (zod) are loaded only for a full check or to say what is wrong with a line:
  // a reader of a sound journal never builds them.
  const full = fullCheck ? await entrySchema() : null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const number = after + i + 1;
    if (line === '') {
      if (i === lines.length - 1) break;
      throw new RegistryCorruptError(path, `line ${number} is empty`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new RegistryCorruptError(path, `line ${number} is not valid JSON`);
    }
    // The hot loop of status: a direct check of the envelope and the type costs a fraction of a
    // schema parse per line on a long journal.
    if (!hasEnvelope(raw) || (full !== null && !full.safeParse(raw).success)) throw await entryProblem(path, number, raw, full);
    if (raw.seq !== number) throw new RegistryCorruptError(path, `line ${number} has seq ${raw.seq}, expected ${number}`);
    // A reader that finds an entry it cannot use (a field its shape requires is not there) has
    // found corruption the light check let through: the shape says what is wrong.
    if (each(raw) === false) throw await entryProblem(path, number, raw, full);
  }
}

async function entryProblem(path: string, number: number, raw: unknown, full: Awaited<ReturnType<typeof entrySchema>> | null): Promise<RegistryCorruptError> {
  const parsed = (full ?? (await entrySchema())).safeParse(raw);
  const issue = parsed.success ? 'invalid entry' : parsed.error.issues.map((x) => `${x.path.join('.') || 'entry'}: ${x.message}`)[0];
  return new RegistryCorruptError(path, `line ${number}: ${issue}`);
}

const entrySchema = async () => (await import('./journal-entries.ts')).JournalEntrySchema;

/**
 * What decides whether a line is read (the line checks and the known entry types), as text: a
 * cache of what was read from a journal keeps it, so a build that reads lines otherwise reads
 * the journal again.
 */
export const lineRules = (): string => [eachJournalEntry, hasEnvelope, ...JOURNAL_ENTRY_TYPES].map(String).join('\n');

function hasEnvelope(raw: unknown): raw is JournalEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const e = raw as Record<string, unknown>;
  return Number.isInteger(e.seq) && (e.seq as number) >= 1 && typeof e.at === 'string' && isJournalEntryType(e.type);
}

/** Opens the journal for appending after validating what it holds. */
export async function openJournal(path: string): Promise<Journal> {
  const existing = await readJournal(path, { full: true });
  let lastSeq = existing.length;
  // Appends in place; only the flush leaves the thread (see durable-file.ts).
  const fd = openSync(path, 'a');
  return {
    existing,
    get lastSeq() {
      return lastSeq;
    },
    async append(drafts, now) {
      if (drafts.length === 0) return [];
      const at = now.toISOString();
      const first = lastSeq + 1;
      // seq and at lead the entry and a draft cannot change them.
      const entries = drafts.map((d, i) => Object.assign({ seq: first + i, at }, d, { seq: first + i, at }) as JournalEntry);
      const size = fstatSync(fd).size;
      try {
        const bytes = Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
        for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
        await flushData(fd);
      } catch (error) {
        // A write cut short (a full disk) must not leave half a line: the journal goes back to
        // where it ended, so a later resume reads it whole.
        try { ftruncateSync(fd, size); } catch { /* reported by the error itself */ }
        throw error;
      }
      lastSeq += entries.length;
      return entries;
    },
    close: async () => closeSync(fd),
  };
}
