/** Columns aligned under a header, two spaces apart; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  // Loops, not map and spread: `list` lays out 10,000 rows.
  const widths = header.map((h) => h.length);
  for (const row of rows) {
    for (let i = 0; i < widths.length; i++) {
      const length = (row[i] ?? '').length;
      if (length > widths[i]!) widths[i] = length;
    }
  }
  const line = (cells: string[]) => {
    let text = '';
    for (let i = 0; i < cells.length; i++) text += i === cells.length - 1 ? cells[i] : `${cells[i]!.padEnd(widths[i]!)}  `;
    return text.trimEnd();
  };
  const lines = [line(header)];
  for (const row of rows) lines.push(line(row));
  return lines;
}

/** "just now", "42s ago", "3m ago", "5h ago", "2d ago"; a date past a month. */
export function relativeTime(iso: string | null, now = Date.now()): string {
  if (iso === null) return '-';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  const s = Math.round((now - at) / 1000);
  if (s < 0) return iso.slice(0, 16).replace('T', ' ');
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  if (s < 30 * 86_400) return `${Math.floor(s / 86_400)}d ago`;
  return iso.slice(0, 10);
}

/** "$1.23", "<$0.01" for a cost too small to show, "-" for none. */
export function money(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || usd === 0) return '-';
  return usd < 0.01 ? '<$0.01' : `$${usd.toFixed(2)}`;
}
