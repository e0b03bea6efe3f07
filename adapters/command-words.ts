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
        if (c === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) { word += line[i + 1]; i += 2; continue; }
        word += c;
        i++;
      }
      if (!closed) return { ok: false, message: `unterminated double quote in ${JSON.stringify(line)}` };
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 < line.length) word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
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
