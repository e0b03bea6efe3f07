import { describe, expect, it } from 'vitest';
import { redact, secretValues } from '../../adapters/redact.ts';

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
