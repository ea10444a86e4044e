/**
 * "Did you mean ...?": the nearest of a few valid names to a misspelt one,
 * for error messages.
 *
 * @module
 */

function distance(a: string, b: string): number {
  // Levenshtein, one row; names are short
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/**
 * The valid name nearest to `word` (case-insensitive edit distance), if one
 * is near enough to be what was meant.
 *
 * @example
 * ```ts
 * import { nearest } from "./suggest.ts";
 * nearest("ifiFlag", ["ifiIndex", "ifiFlags", "ifiChange"]); // "ifiFlags"
 * nearest("zzz", ["ifiIndex"]); // undefined
 * ```
 */
export function nearest(word: string, names: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const n of names) {
    const d = distance(w, n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

/**
 * The end of an error message about an unknown name: the suggestion, else
 * the valid names (when they are few enough to list).
 *
 * @example
 * ```ts
 * import { hint } from "./suggest.ts";
 * hint("ifiFlag", ["ifiIndex", "ifiFlags"]); // ' (did you mean "ifiFlags"?)'
 * ```
 */
export function hint(word: string, names: Iterable<string>): string {
  const all = [...names];
  const near = nearest(word, all);
  if (near !== undefined) return ` (did you mean ${JSON.stringify(near)}?)`;
  return all.length <= 12 ? ` (valid: ${all.join(", ")})` : "";
}
