/**
 * Checks of values given to {@linkcode Rtnl}'s conveniences, by the names
 * the caller used, before anything is sent.
 *
 * @module
 */
import { hint } from "../suggest.ts";

/** `x` when it is an integer in `min..max`, else a RangeError or TypeError naming `what`. */
export function integer(what: string, x: unknown, min: number, max: number): number {
  if (typeof x === "number" && Number.isInteger(x) && x >= min && x <= max) return x;
  const range = `an integer in ${min}..${max}`;
  throw typeof x === "number"
    ? new RangeError(`${what}: ${x} is not ${range}`)
    : new TypeError(`${what}: takes ${range}, got ${typeof x} ${String(x)}`);
}

/** `name` when it is a key of `table`, else a TypeError naming `what` and listing the keys. */
export function named<T extends Record<string, number>>(
  what: string,
  table: T,
  name: unknown,
): number {
  if (typeof name === "string" && Object.hasOwn(table, name)) return table[name];
  const keys = Object.keys(table);
  const near = typeof name === "string" ? hint(name, keys) : "";
  throw new TypeError(`${what}: no ${JSON.stringify(name)}${near}; valid: ${keys.join(", ")}`);
}
