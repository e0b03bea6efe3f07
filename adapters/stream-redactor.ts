import { StringDecoder } from 'node:string_decoder';
import { REDACTED, redact } from './redact.ts';

/** A line longer than this is redacted and written in pieces, so memory stays bounded whatever a worker prints. */
export const MAX_PENDING_CHARS = 64 * 1024;
/** How much of an over-long line is held back (at least the longest secret): a secret is never cut in two. */
const HOLD_CHARS = 4 * 1024;
/** A private key longer than this many lines is not a key: the block ends and output goes on. */
const MAX_KEY_LINES = 200;

const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
// What the inside of a PEM block looks like: base64 lines, blank lines, "Name: value" headers.
const KEY_BODY = /^\s*(?:[A-Za-z0-9+/=]*|[A-Za-z-]+:.*)\s*$/;

/**
 * Redacts output as it streams (the log relay), in bounded memory: text is redacted a line at a
 * time (a line can hold a secret whole), an over-long line in pieces cut where no secret or token
 * spans the cut, and a private key block is dropped from its BEGIN line to its END line across
 * any number of chunks. Same rules as `redact`.
 */
export class StreamRedactor {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private keyLines = -1;
  private readonly hold: number;

  constructor(private readonly secrets: readonly string[]) {
    this.hold = Math.max(HOLD_CHARS, ...secrets.map((s) => s.length));
  }

  /** Takes a chunk of raw output; returns the redacted text that is ready to be written. */
  push(chunk: Buffer): string {
    this.pending += this.decoder.write(chunk);
    let out = '';
    const lastNewline = this.pending.lastIndexOf('\n');
    if (lastNewline !== -1) {
      out += this.lines(this.pending.slice(0, lastNewline + 1));
      this.pending = this.pending.slice(lastNewline + 1);
    }
    if (this.pending.length > MAX_PENDING_CHARS) {
      const cut = this.safeCut(this.pending);
      out += this.lines(this.pending.slice(0, cut));
      this.pending = this.pending.slice(cut);
    }
    return out;
  }

  /** The end of the stream: whatever is left, redacted. */
  end(): string {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest === '' ? '' : this.lines(rest);
  }

  // Complete lines (or a safe piece of one); private key blocks are tracked across calls.
  private lines(text: string): string {
    if (this.keyLines === -1 && !text.includes('PRIVATE KEY')) return redact(text, this.secrets);
    let out = '';
    for (const line of text.split(/(?<=\n)/)) {
      if (this.keyLines >= 0) {
        if (KEY_END.test(line)) { this.keyLines = -1; continue; }
        if (this.keyLines < MAX_KEY_LINES && KEY_BODY.test(line)) { this.keyLines++; continue; }
        this.keyLines = -1;
      }
      const begin = KEY_BEGIN.exec(line);
      if (begin !== null && !KEY_END.test(line.slice(begin.index))) {
        out += `${redact(line.slice(0, begin.index), this.secrets)}${REDACTED}${line.endsWith('\n') ? '\n' : ''}`;
        this.keyLines = 0;
        continue;
      }
      out += redact(line, this.secrets);
    }
    return out;
  }

  // Where an over-long line may be cut: before the held-back tail, preferably at a blank, and
  // never inside a secret value or a token shape that the text there holds.
  private safeCut(text: string): number {
    let cut = Math.max(1, text.length - this.hold);
    const blank = Math.max(text.lastIndexOf(' ', cut), text.lastIndexOf('\t', cut));
    if (blank > cut / 2) cut = blank + 1;
    for (const secret of this.secrets) {
      for (let at = text.indexOf(secret, Math.max(0, cut - secret.length + 1)); at !== -1 && at < cut; at = text.indexOf(secret, at + 1)) {
        if (at + secret.length > cut) cut = at;
      }
    }
    const masked = redact(text.slice(0, cut), this.secrets);
    // A token that reaches the cut may go on past it: cut before the last redaction that touches the end.
    if (masked.endsWith(REDACTED)) {
      const lastBlank = Math.max(text.lastIndexOf(' ', cut - 1), text.lastIndexOf('\t', cut - 1));
      if (lastBlank > 0) cut = lastBlank + 1;
    }
    return Math.max(1, cut);
  }
}
