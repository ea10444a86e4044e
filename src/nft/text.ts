/**
 * Names in nf_tables messages as text, fast for the short ASCII ones.
 *
 * @module
 */
import type { AttributeDecoder } from "../attribute.ts";

const utf8 = new TextDecoder();

/**
 * The text of `b[start, end)` up to its first NUL: short ASCII (names of
 * expressions, tables, chains, sets) without a TextDecoder call, which
 * costs more than the rest of reading such a name.
 *
 * @example
 * ```ts
 * import { text } from "./text.ts";
 * text(new TextEncoder().encode("cmp\0"), 0, 4); // "cmp"
 * ```
 */
export function text(b: Uint8Array, start: number, end: number): string {
  let s = "";
  if (end - start <= 32) {
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c === 0) return s;
      if (c > 0x7f) break;
      s += String.fromCharCode(c);
    }
    if (s.length === end - start) return s;
  }
  let nul = start;
  while (nul < end && b[nul] !== 0) nul++;
  return utf8.decode(b.subarray(start, nul));
}

/**
 * The current attribute's value as text (as {@linkcode text} reads it).
 *
 * @example
 * ```ts ignore
 * import { attrText } from "./text.ts";
 * declare const ad: import("../attribute.ts").AttributeDecoder;
 * console.log(attrText(ad));
 * ```
 */
export function attrText(ad: AttributeDecoder): string {
  const v = ad.value();
  return text(v, 0, v.length);
}
