import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { splitCommandWords } from '../../adapters/command-words.ts';

describe('splitCommandWords', () => {
  it.each([
    ['npm test', ['npm', 'test']],
    ['  node   --test  ', ['node', '--test']],
    [`node -e 'console.log("a b")'`, ['node', '-e', 'console.log("a b")']],
    [`echo "a \\"quoted\\" $HOME"`, ['echo', 'a "quoted" $HOME']],
    [`printf a\\ b`, ['printf', 'a b']],
    [`x ''`, ['x', '']],
    ['a && b', ['a', '&&', 'b']],
  ])('splits %s as a POSIX shell would, expanding nothing', (line, words) => {
    expect(splitCommandWords(line)).toEqual({ ok: true, words });
  });

  it.each([[`echo 'open`], [`echo "open`], ['   ']])('rejects %j with a message', (line) => {
    const result = splitCommandWords(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
  });
});

describe('splitCommandWords agrees with /bin/sh', () => {
  /** How sh itself splits the line: `set --` with the line as written (no expansion characters in it). */
  const shWords = (line: string): string[] => {
    const out = execFileSync('/bin/sh', ['-c', `set -- ${line}\nfor w in "$@"; do printf '%s\\0' "$w"; done`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\0').slice(0, -1);
  };

  it.each([
    ['a\u00a0b c'],            // a no-break space is part of a word, not a separator
    ['a\u2003b'],              // so is any other Unicode space
    ['npm \\\nrun test'],      // backslash-newline joins the lines
    ['a\\\nb'],                // … even inside a word
    ['"x\\\ny" z'],            // … and inside double quotes
    ["'x\\\ny'"],              // but not inside single quotes
    ['a\tb  c'],               // tab and space separate
  ])('%j', (line) => {
    expect(splitCommandWords(line)).toEqual({ ok: true, words: shWords(line) });
  });

  it('on random lines of words, blanks, quotes and backslashes', () => {
    const alphabet = ['a', 'b', ' ', '\t', '\u00a0', '\\ ', '\\a', '"', "'", '\\\n'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let compared = 0;
    for (let i = 0; i < 300; i++) {
      const line = Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      const ours = splitCommandWords(line);
      let theirs: string[] | null;
      try { theirs = shWords(line); } catch { theirs = null; }
      // sh refuses what we refuse (unterminated quotes); where both split, they agree.
      if (!ours.ok || theirs === null) continue;
      if (theirs.length === 0) continue;
      expect(ours.words, JSON.stringify(line)).toEqual(theirs);
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });
});
