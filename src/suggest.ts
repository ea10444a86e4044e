/**
 * The nearest valid name to a misspelt one, for error messages that say
 * what was meant ("did you mean address?").
 *
 * @module
 */

/** The edit distance (insertions, deletions, substitutions) between two words. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate nearest to `word`: one it begins (an abbreviation, as `ip`
 * takes them), else the one at the smallest edit distance, if that is at
 * most a third of the word's length (at least 2). Case is ignored.
 *
 * @example
 * ```ts
 * import { nearest } from "./suggest.ts";
 * nearest("adress", ["link", "address", "route"]); // "address"
 * nearest("neigh", ["link", "neighbour"]); // "neighbour"
 * nearest("xyzzy", ["link", "route"]); // undefined
 * ```
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(w.length / 3)) + 1;
  for (const c of candidates) {
    const l = c.toLowerCase();
    const d = w.length >= 2 && l.startsWith(w) ? 0 : editDistance(w, l);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/**
 * The message for a name that is not one of `candidates`: what it is, the
 * nearest valid name, and the valid ones.
 *
 * @example
 * ```ts
 * import { unknownName } from "./suggest.ts";
 * unknownName("event kind", "adress", ["link", "address"]);
 * // 'unknown event kind "adress" (did you mean "address"?); valid: link, address'
 * ```
 */
export function unknownName(what: string, word: string, candidates: readonly string[]): string {
  const near = nearest(word, candidates);
  return `unknown ${what} "${word}"${near ? ` (did you mean "${near}"?)` : ""}; valid: ${
    candidates.join(", ")
  }`;
}
