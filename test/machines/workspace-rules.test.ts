import { describe, expect, it } from 'vitest';
import { verificationExit } from '../../machines/workspace-rules.ts';

describe('verificationExit: the code is not the environment', () => {
  it('0 passes; 126/127 and the words of a missing tool are not_found; any other failure is a FAIL for the fixer', () => {
    expect(verificationExit(0)).toBe('passed');
    expect(verificationExit(127)).toBe('not_found');
    expect(verificationExit(126)).toBe('not_found');
    expect(verificationExit(1, 'npm error npx canceled due to missing packages and no YES option: ["xo@2.0.2"]')).toBe('not_found');
    expect(verificationExit(1, '> xo && ava\nsh: 1: xo: not found')).toBe('not_found');
    expect(verificationExit(1, 'bash: ava: command not found')).toBe('not_found');
    expect(verificationExit(1, '  ✖ 2 tests failed\n  expected 3, got 2')).toBe('failed');
    expect(verificationExit(1, 'the word not found inside a test name: "user not found" returns 404')).toBe('failed');
    expect(verificationExit(null)).toBe('failed');
  });
});
