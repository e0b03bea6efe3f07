import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mayHoldSecrets, redact, redactDeep, secretValues } from '../../adapters/redact.ts';

describe('redaction', () => {
  it('hides values of variables whose names look secret, and token-shaped strings', () => {
    const secrets = secretValues({ GITHUB_TOKEN: 'tok-123456789', API_KEY: 'k3y-value-long', HOME: '/root', SHORT_KEY: 'abc' });
    expect(secrets).toEqual(expect.arrayContaining(['tok-123456789', 'k3y-value-long']));
    expect(secrets).not.toContain('/root');
    expect(secrets).not.toContain('abc');
    const text = 'using tok-123456789 and ghp_abcdefghijklmnopqrstuvwxyz0123456789 and sk-ant-abcdefghijklmnopqrstuvwx, Authorization: Bearer abcdefghijklmnopqrstuvwxyz';
    const clean = redact(text, secrets);
    expect(clean).not.toMatch(/tok-123456789|ghp_|sk-ant|abcdefghijklmnopqrstuvwxyz/);
    expect(clean).toContain('Bearer [REDACTED]');
  });
});

describe('secret shapes (issue 16)', () => {
  const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7Yn3kq\nZZZsecretlines\n-----END RSA PRIVATE KEY-----';
  it.each([
    ['a PEM private key block', `key:\n${PEM}\nafter`, ['MIIEowIBAAKCAQEA7Yn3kq', 'ZZZsecretlines'], ['after']],
    ['a PEM block cut off before its END line', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA', ['b3BlbnNzaC1rZXktdjEAAAAA'], []],
    ['a password in a URL', 'connect postgres://app:s3cr3t-pa55@db.internal:5432/app', ['s3cr3t-pa55'], ['postgres://app:', '@db.internal:5432/app']],
    ['an npm _authToken', '//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789', ['abcdefghijklmnopqrstuvwxyz0123456789'], ['_authToken=']],
    ['an npm token alone', 'token npm_abcdefghijklmnopqrstuvwxyz0123456789 here', ['npm_abcdefghijklmnopqrstuvwxyz0123456789'], []],
    ['a Google API key', 'key=AIzaSyA1234567890abcdefghijklmnopqrstuv', ['AIzaSyA1234567890abcdefghijklmnopqrstuv'], []],
    ['an AWS secret access key', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], ['aws_secret_access_key = ']],
    ['an AWS temporary key id', 'ASIAIOSFODNN7EXAMPLE', ['ASIAIOSFODNN7EXAMPLE'], []],
    ['Authorization: Basic', 'curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA=="', ['dXNlcjpwYXNzd29yZA=='], ['Authorization: Basic ']],
    ['a secret-named assignment', 'DB_PASSWORD=hunter2hunter2 and "client_secret": "abc123def456"', ['hunter2hunter2', 'abc123def456'], ['DB_PASSWORD=']],
  ])('%s', (_name, text, gone, kept) => {
    const clean = redact(text, []);
    for (const g of gone) expect(clean).not.toContain(g);
    for (const k of kept) expect(clean).toContain(k);
    expect(clean).toContain('[REDACTED]');
  });

  it('leaves counts and ordinary words alone', () => {
    for (const text of ['max_tokens: 4096', 'tokens used=123456', 'the password policy is documented', 'Bearer of news']) {
      expect(redact(text, [])).toBe(text);
    }
  });

  it('hides the value of a variable passed by name whatever it is called (DB_URL), line by line when it has several', () => {
    const env = { DB_URL: 'mysql://root@10.0.0.5/prod', PLAIN: 'not-a-secret-value', MULTI: 'first-line-of-secret\nsecond-line-of-secret' };
    const secrets = secretValues(env, ['DB_URL', 'MULTI']);
    expect(secrets).toEqual(expect.arrayContaining(['mysql://root@10.0.0.5/prod', 'first-line-of-secret', 'second-line-of-secret']));
    expect(secrets).not.toContain('not-a-secret-value');
    expect(redact('using mysql://root@10.0.0.5/prod now', secrets)).toBe('using [REDACTED] now');
  });

  it('redacted JSON stays JSON (a completion is redacted before it is parsed)', () => {
    const values = fc.constantFrom(
      'DB_PASSWORD=hunter2hunter2', 'postgres://u:pa55word@h/db', 'Authorization: Basic dXNlcjpwYXNz', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'token: abcdef123456', 'plain text', 'AIzaSyA1234567890abcdefghijklmnopqrstuv', '{"api_key": "k3yk3yk3y"}', 'x,y]}',
    );
    const doc = fc.dictionary(fc.constantFrom('summary', 'token', 'password', 'api_key', 'tokens', 'note'), fc.oneof(values, fc.integer(), fc.array(values, { maxLength: 3 })));
    fc.assert(fc.property(doc, (d) => {
      const text = JSON.stringify(d);
      expect(() => JSON.parse(redact(text, ['k3yk3yk3y']))).not.toThrow();
    }), { numRuns: 500 });
  });
});

describe('redaction cost on hostile text', () => {
  // Runs in linear time: each of these made a backtracking pattern quadratic (minutes on 1 MiB).
  it.each([
    ['dotted words', 'a.'.repeat(200_000)],
    ['dashed words', 'a-'.repeat(200_000)],
    ['one long word', 'token'.repeat(100_000)],
    ['a long scheme', `${'a'.repeat(300_000)}://`],
    ['many name=value starts', 'secret='.repeat(100_000)],
    ['many BEGIN lines', '-----BEGIN PRIVATE KEY-----\n'.repeat(20_000)],
  ])('%s', (_name, text) => {
    expect(typeof redact(text, ['planted-secret-value'])).toBe('string');
  });
});

describe('mayHoldSecrets (whether a report needs redacting at all)', () => {
  const SHAPED = [
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'postgres://u:pa55word@h/db', 'Authorization: Basic dXNlcjpwYXNz', 'DB_PASSWORD=hunter2hunter2',
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA', 'AIzaSyA1234567890abcdefghijklmnopqrstuv', 'Bearer abcdefghijklmnopqrstuvwxyz', 'k3y-value-long',
  ];
  const plain = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('task t1', 'a/b/c', 'https://github.com/acme/widgets/pull/3', 'tokens used=12', 'max_tokens: 4096'));
  const piece = fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: fc.constantFrom(...SHAPED) }, { weight: 1, arbitrary: fc.tuple(plain, fc.constantFrom(...SHAPED), plain).map((p) => p.join('')) });
  const doc = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, piece, fc.integer(), fc.constant(null), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 })),
  })).node;

  it('is false only when redactDeep changes nothing', () => {
    fc.assert(fc.property(doc, (value) => {
      if (!mayHoldSecrets(value, ['k3y-value-long'])) expect(redactDeep(value, ['k3y-value-long'])).toEqual(value);
    }), { numRuns: 2000 });
  });

  it('is true for a secret value or shape in any string, however deep; false for a report with none', () => {
    for (const s of SHAPED) expect(mayHoldSecrets({ a: [{ b: `x ${s} y` }] }, ['k3y-value-long']), s).toBe(true);
    expect(mayHoldSecrets({ run_id: 'r1', logs: [{ path: '/tmp/r1/tasks/t1/output.log' }], n: 3 }, ['k3y-value-long'])).toBe(false);
  });
});
