/**
 * Reading numbers back as names through the generated `const` tables
 * (`{ unicast: 1, local: 2, ... }`): the one lookup every decoder shares.
 *
 * @module
 */

/**
 * The name of `value` in `table`, or undefined when the table has none.
 *
 * @example
 * ```ts
 * import { nameOf } from "./tables.ts";
 * nameOf({ eq: 0, neq: 1 }, 1); // "neq"
 * ```
 */
export function nameOf<T extends Readonly<Record<string, number>>>(
  table: T,
  value: number,
): (keyof T & string) | undefined {
  // for-in over own keys visits them in Object.entries' order, without an
  // array per call (a link dump names thousands of numbers)
  for (const k in table) {
    if (Object.hasOwn(table, k) && table[k] === value) return k as keyof T & string;
  }
  return undefined;
}

/**
 * The names of the flags of `table` set in `value` (each one's bits all
 * set), in the table's order; bits no flag names are left out.
 *
 * @example
 * ```ts
 * import { flagNames } from "./tables.ts";
 * flagNames({ up: 1, broadcast: 2, loopback: 8 }, 3); // ["up", "broadcast"]
 * ```
 */
export function flagNames<T extends Readonly<Record<string, number>>>(
  table: T,
  value: number,
): (keyof T & string)[] {
  const out: (keyof T & string)[] = [];
  let rest = value >>> 0;
  for (const k in table) {
    if (!Object.hasOwn(table, k)) continue;
    const v: number = table[k];
    if (v !== 0 && (rest & v) === v) {
      out.push(k as keyof T & string);
      rest = (rest & ~v) >>> 0;
    }
  }
  return out;
}
