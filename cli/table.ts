/** Columns aligned under a header, two spaces apart; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
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
