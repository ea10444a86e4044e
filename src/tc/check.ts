/**
 * Checks of the objects given to {@linkcode Tc}'s builders: a key the kind
 * does not take is a TypeError naming the nearest one, never silence.
 *
 * @module
 */
import { hint } from "../suggest.ts";
import { isRecord } from "../ynl/values.ts";
import { parseRate, parseSize, parseTime, type Rate, type Size, type Time } from "./units.ts";

/**
 * `spec` when it is an object whose keys are all in `keys`; else a TypeError.
 *
 * @example
 * ```ts
 * import { onlyKeys } from "./check.ts";
 * onlyKeys("tbf", { rate: 1 }, ["kind", "rate", "burst"]);
 * ```
 */
export function onlyKeys(what: string, spec: unknown, keys: readonly string[]): void {
  if (!isRecord(spec)) throw new TypeError(`${what}: takes an object, got ${typeof spec}`);
  for (const k of Object.keys(spec)) {
    if (spec[k] !== undefined && !keys.includes(k)) {
      throw new TypeError(
        `${what} has no option ${k}${hint(k, [...keys])}; valid: ${keys.join(", ")}`,
      );
    }
  }
}

/**
 * `x` when it is an integer in `min..max`, else a RangeError or TypeError.
 *
 * @example
 * ```ts
 * import { int } from "./check.ts";
 * int("bands", 3, 2, 16); // 3
 * ```
 */
export function int(what: string, x: unknown, min: number, max: number): number {
  if (typeof x === "number" && Number.isInteger(x) && x >= min && x <= max) return x;
  throw typeof x === "number"
    ? new RangeError(`${what}: ${x} is not an integer in ${min}..${max}`)
    : new TypeError(`${what}: takes an integer in ${min}..${max}, got ${typeof x}`);
}

/**
 * A percentage (0..100) as the kernel's u32 probability (`percent / 100 * 2^32-1`).
 *
 * @example
 * ```ts
 * import { probability } from "./check.ts";
 * probability("loss", 100); // 4294967295
 * ```
 */
export function probability(what: string, percent: unknown): number {
  if (typeof percent !== "number" || !(percent >= 0 && percent <= 100)) {
    throw new RangeError(`${what}: takes a percentage from 0 to 100, got ${String(percent)}`);
  }
  return Math.round((percent / 100) * 0xffffffff);
}

/**
 * The percentage a u32 probability stands for.
 *
 * @example
 * ```ts
 * import { percent } from "./check.ts";
 * percent(4294967295); // 100
 * ```
 */
export function percent(p: number): number {
  return Math.round((p / 0xffffffff) * 100 * 1e6) / 1e6; // the u32's precision, no more
}

/** Optional rate/size/time: undefined stays undefined. */
export const opt = {
  /** A rate in bytes per second, or undefined. */
  rate: (what: string, x: Rate | undefined): number | undefined =>
    x === undefined ? undefined : parseRate(what, x),
  /** A size in bytes, or undefined. */
  size: (what: string, x: Size | undefined): number | undefined =>
    x === undefined ? undefined : parseSize(what, x),
  /** A time in microseconds, or undefined. */
  time: (what: string, x: Time | undefined): number | undefined =>
    x === undefined ? undefined : parseTime(what, x),
};
