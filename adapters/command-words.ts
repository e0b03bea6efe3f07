// A POSIX shell splits on its default IFS only: space, tab, newline. A no-break space (U+00A0)
// or any other Unicode space is part of a word there, so it is here.
const BLANK = new Set([' ', '\t', '\n']);

/** Splits a command line into words as a POSIX shell would, without expanding anything. */
export function splitCommandWords(line: string): { ok: true; words: string[] } | { ok: false; message: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) return { ok: false, message: `unterminated single quote in ${JSON.stringify(line)}` };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const c = line[i]!;
        if (c === '"') { closed = true; i++; break; }
        // Inside double quotes a backslash escapes only " \ $ ` and newline; backslash-newline is a line continuation (removed).
        if (c === '\\' && line[i + 1] === '\n') { i += 2; continue; }
        if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) { word += line[i + 1]; i += 2; continue; }
        word += c;
        i++;
      }
      if (!closed) return { ok: false, message: `unterminated double quote in ${JSON.stringify(line)}` };
      inWord = true;
    } else if (ch === '\\') {
      // Backslash-newline joins lines and is removed; any other escaped character is itself.
      if (line[i + 1] === '\n') { i += 2; continue; }
      if (i + 1 < line.length) word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (BLANK.has(ch)) {
      if (inWord) { words.push(word); word = ''; inWord = false; }
      i++;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) return { ok: false, message: 'the command is empty' };
  return { ok: true, words };
}
