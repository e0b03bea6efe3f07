/**
 * The packet's known keys, and what to say about the others (CONTRACT 2): a key that looks like a
 * misspelling or a misplacement of a known one is an error (dropping it silently can switch a
 * protection off: `conflict_surfaces` would remove the surface lease), any other unknown key is
 * reported and ignored (packets of the seed project carry fields of their own).
 */
const KNOWN: Record<string, readonly string[]> = {
  '': ['task_id', 'approved', 'scm_target', 'github', 'scope', 'implementation', 'verification', 'review', 'conflict_surface', 'limits'],
  scm_target: ['repo', 'base_branch', 'intended_branch'],
  github: ['repo', 'issue_number', 'intended_branch'],
  scope: ['goal', 'acceptance_criteria', 'non_goals'],
  implementation: ['instructions'],
  verification: ['commands', 'expectations'],
  review: ['criteria'],
  limits: ['max_fix_attempts'],
};

/** What the key check found: errors make the packet invalid (exit 2), unknown keys are only reported. */
export interface KeyReport {
  errors: string[];
  unknown: string[];
}

/** Checks every key of a packet object against the known ones. */
export function checkPacketKeys(packet: Record<string, unknown>): KeyReport {
  const report: KeyReport = { errors: [], unknown: [] };
  for (const [parent, known] of Object.entries(KNOWN)) {
    const node = parent === '' ? packet : packet[parent];
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    for (const key of Object.keys(node)) {
      // `$schema` is for editors; it is known only where it is, so no key is taken for a misspelling of it.
      if (known.includes(key) || (parent === '' && key === '$schema')) continue;
      const path = parent === '' ? key : `${parent}.${key}`;
      const meant = resembles(key, parent);
      if (meant !== null) report.errors.push(`${path}: not a packet key; did you mean ${meant}? (an unknown key is ignored, which here would drop a setting)`);
      else report.unknown.push(path);
    }
  }
  return report;
}

/** The known key (as a path) that `key` under `parent` most likely means, or null. */
function resembles(key: string, parent: string): string | null {
  const wanted = normalize(key);
  const here = KNOWN[parent] ?? [];
  const close = here.find((k) => normalize(k) === wanted || distance(normalize(k), wanted) <= allowedEdits(k));
  if (close !== undefined) return parent === '' ? close : `${parent}.${close}`;
  // A known key in the wrong place (`non_goals` at the top, `conflict_surface` under scope).
  for (const [other, keys] of Object.entries(KNOWN)) {
    if (other === parent) continue;
    const found = keys.find((k) => normalize(k) === wanted || distance(normalize(k), wanted) <= allowedEdits(k));
    if (found !== undefined) return other === '' ? found : `${other}.${found}`;
  }
  return null;
}

// Case, dashes and a plural `s` are the usual slips.
const normalize = (key: string) => key.toLowerCase().replace(/[-\s]/g, '_').replace(/s$/, '');
const allowedEdits = (key: string) => (key.length <= 4 ? 0 : key.length <= 8 ? 1 : 2);

/** Levenshtein distance with adjacent transpositions. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
