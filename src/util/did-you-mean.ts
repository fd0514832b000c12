/**
 * didYouMean returns the closest of `known` to `word` (case-insensitive) within `maxEdits` — by default
 * 2, or a third of the word's length for longer words — or null. Config keys, framer option names and
 * enum values all get their hint from here.
 */
export function didYouMean(word: string, known: readonly string[], maxEdits = Math.max(2, Math.floor(word.length / 3))): string | null {
  let best: string | null = null;
  let bestDistance = maxEdits + 1;
  const lower = word.toLowerCase();
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** editDistance is the Levenshtein distance (one row of the table at a time: short words only). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length]!;
}
