import { describe, expect, it } from 'vitest';
import { findingsIn } from '../../adapters/change-scan.ts';

const TOKEN = `ghp_${'x'.repeat(36)}`;

describe('findingsIn (the added lines of a -U0 diff)', () => {
  it('names each added line holding a token or a secret value by file and new line number', () => {
    const diff = [
      'diff --git a/a.js b/a.js', 'index 1..2 100644', '--- a/a.js', '+++ b/a.js',
      '@@ -3,0 +4,2 @@', '+const ok = 1;', `+const t = "${TOKEN}";`,
      '@@ -10 +12 @@', '-old', '+password = "s3cret-value-123"',
      'diff --git a/new file.txt b/new file.txt', 'new file mode 100644', '--- /dev/null', '+++ b/new file.txt',
      '@@ -0,0 +1 @@', `+bearer: Bearer ${'y'.repeat(30)}`,
    ].join('\n');
    expect(findingsIn(diff, ['s3cret-value-123'])).toEqual([
      { path: 'a.js', line: 5, what: 'a token shaped like ghp_…' },
      { path: 'a.js', line: 12, what: 'the value of a secret environment variable' },
      { path: 'new file.txt', line: 1, what: 'a token shaped like Bear…' },
    ]);
  });

  it('a content line that looks like a header is content; removed lines are not scanned', () => {
    const diff = ['--- a/x.md', '+++ b/x.md', '@@ -1,1 +1,2 @@', `-${TOKEN}`, '+++ not a header', `++ ${TOKEN}`].join('\n');
    expect(findingsIn(diff, [])).toEqual([{ path: 'x.md', line: 2, what: 'a token shaped like ghp_…' }]);
  });
});
