import { describe, expect, it } from 'vitest';
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
