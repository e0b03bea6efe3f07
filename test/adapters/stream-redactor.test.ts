// The log relay's redaction: the same result as redacting the whole output at once, whatever the
// chunks, in bounded memory, with private key blocks dropped across chunks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redact } from '../../adapters/redact.ts';
import { MAX_PENDING_CHARS, StreamRedactor } from '../../adapters/stream-redactor.ts';

const SECRET = 'planted-secret-4f9a8e7d6c';

function streamed(text: string, cuts: number[], secrets: string[]): string {
  const r = new StreamRedactor(secrets);
  const bytes = Buffer.from(text);
  let out = '';
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const end = Math.min(bytes.length, cut);
    if (end <= at) continue;
    out += r.push(bytes.subarray(at, end));
    at = end;
  }
  out += r.push(bytes.subarray(at));
  return out + r.end();
}

describe('StreamRedactor', () => {
  it('gives what redacting the whole text gives, however the output is cut into chunks (even inside a secret or a UTF-8 character)', () => {
    const piece = fc.constantFrom('line\n', `token ${SECRET} `, 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', ' DB_PASSWORD=hunter2hunter2', 'é€😀', '\n', 'postgres://u:pw12345@h/db ', 'x');
    const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
    fc.assert(fc.property(text, fc.array(fc.nat({ max: 400 }), { maxLength: 12 }), (t, cuts) => {
      expect(streamed(t, cuts, [SECRET])).toBe(redact(t, [SECRET]));
    }), { numRuns: 400 });
  });

  it('holds at most a bounded amount of an endless line, and never lets a secret through at a cut', () => {
    const r = new StreamRedactor([SECRET]);
    let out = '';
    const chunk = Buffer.from(`${'y'.repeat(9000)} ${SECRET} `);
    for (let i = 0; i < 2000; i++) {
      out += r.push(chunk);
      expect((r as unknown as { pending: string }).pending.length).toBeLessThanOrEqual(MAX_PENDING_CHARS + chunk.length);
    }
    out += r.end();
    expect(out).not.toContain(SECRET);
    expect(out.split('[REDACTED]').length - 1).toBe(2000);
    expect(out.length).toBeGreaterThan(18_000_000);
  });

  it('drops a private key block from BEGIN to END across chunks, and goes on after it', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7Yn3kqLEAKED\nAAAABBBBCCCCDDDD==\n-----END RSA PRIVATE KEY-----\n';
    const text = `before\n${key}after\n`;
    for (let cut = 1; cut < text.length; cut += 7) {
      const out = streamed(text, [cut], []);
      expect(out, `cut at ${cut}`).not.toMatch(/MIIEow|AAAABBBB/);
      expect(out).toContain('before\n');
      expect(out).toContain('after\n');
    }
  });

  it('a mention of BEGIN PRIVATE KEY without a key does not swallow the output after it', () => {
    const out = streamed('error: expected -----BEGIN PRIVATE KEY----- in key.pem\nthe test failed: 3 != 2\n', [20], []);
    expect(out).toContain('the test failed: 3 != 2');
  });
});
