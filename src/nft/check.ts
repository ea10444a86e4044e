/**
 * Checks of input values: each returns the value or throws
 * {@linkcode NftInputError} naming where it is and what is wrong.
 *
 * @module
 */
import { NftInputError } from "./errors.ts";

/**
 * A register number (1-4, 8-23; also 0 with `allowVerdict`).
 *
 * @example
 * ```ts
 * import { reg } from "./check.ts";
 * reg("expr.sreg", 1); // 1
 * ```
 */
export function reg(path: string, v: unknown, allowVerdict = false): number {
  if (
    typeof v !== "number" || !Number.isInteger(v) ||
    !((v >= 1 && v <= 4) || (v >= 8 && v <= 23) || (allowVerdict && v === 0))
  ) {
    throw new NftInputError(path, `a register is 1-4 or 8-23, not ${show(v)}`);
  }
  return v;
}

/**
 * An integer 0-`max`.
 *
 * @example
 * ```ts
 * import { u32 } from "./check.ts";
 * u32("len", 4, 64); // 4
 * ```
 */
export function u32(path: string, v: unknown, max = 0xffffffff): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
    throw new NftInputError(path, `must be an integer 0-${max}, not ${show(v)}`);
  }
  return v;
}

/**
 * 1-`max` bytes.
 *
 * @example
 * ```ts
 * import { bytes } from "./check.ts";
 * bytes("data", new Uint8Array([6])); // Uint8Array [6]
 * ```
 */
export function bytes(path: string, v: unknown, max = 64): Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new NftInputError(path, `must be a Uint8Array, not ${show(v)}`);
  }
  if (v.length === 0 || v.length > max) {
    throw new NftInputError(path, `must be 1-${max} bytes, not ${v.length}`);
  }
  return v;
}

/**
 * The value of `name` in `table`, or an NftInputError listing the names.
 *
 * @example
 * ```ts
 * import { pick } from "./check.ts";
 * import { META_KEYS } from "./spec.ts";
 * pick("meta.key", META_KEYS, "mark"); // 3
 * ```
 */
export function pick<T extends Readonly<Record<string, number>>>(
  path: string,
  table: T,
  name: unknown,
): number {
  if (typeof name === "string" && Object.hasOwn(table, name)) return table[name];
  const names = Object.keys(table);
  throw new NftInputError(
    path,
    `unknown ${show(name)}; one of ${names.slice(0, 12).join(", ")}${
      names.length > 12 ? ", ..." : ""
    }`,
  );
}

/**
 * The bits of `names` in a flags `table`.
 *
 * @example
 * ```ts
 * import { bits } from "./check.ts";
 * import { NAT_RANGE_FLAGS } from "./spec.ts";
 * bits("flags", NAT_RANGE_FLAGS, ["persistent"]); // 8
 * ```
 */
export function bits<T extends Readonly<Record<string, number>>>(
  path: string,
  table: T,
  names: unknown,
): number {
  if (names === undefined) return 0;
  if (!Array.isArray(names)) throw new NftInputError(path, `must be an array of flag names`);
  let v = 0;
  for (const [i, n] of names.entries()) v |= pick(`${path}[${i}]`, table, n);
  return v >>> 0;
}

/**
 * A short text for a value in an error message.
 *
 * @example
 * ```ts
 * import { show } from "./check.ts";
 * show("x"); // '"x"'
 * ```
 */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || typeof v !== "object") return String(v);
  return Array.isArray(v) ? "an array" : "an object";
}

// ---- encoding

/**
 * A non-negative 64-bit integer, as a bigint.
 *
 * @example
 * ```ts
 * import { big } from "./check.ts";
 * big("bytes", 5); // 5n
 * ```
 */
export function big(path: string, v: unknown): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "bigint" && v >= 0n && v < 1n << 64n) return v;
  throw new NftInputError(path, `must be a non-negative 64-bit integer, not ${show(v)}`);
}

/**
 * A table, chain, set or flowtable name (1-255 characters).
 *
 * @example
 * ```ts
 * import { name } from "./check.ts";
 * name("table.name", "fw"); // "fw"
 * ```
 */
export function name(path: string, v: unknown): string {
  if (typeof v !== "string" || v === "" || v.length > 255) {
    throw new NftInputError(path, `must be a name of 1-255 characters, not ${show(v)}`);
  }
  return v;
}

/**
 * An integer `min`-`max`.
 *
 * @example
 * ```ts
 * import { int } from "./check.ts";
 * int("priority", -100, -0x80000000, 0x7fffffff); // -100
 * ```
 */
export function int(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new NftInputError(path, `must be an integer ${min}-${max}, not ${show(v)}`);
  }
  return v;
}

/**
 * An object's handle: a positive 64-bit integer.
 *
 * @example
 * ```ts
 * import { handle } from "./check.ts";
 * handle("rule.handle", 4); // 4n
 * ```
 */
export function handle(path: string, v: unknown): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  if (typeof v === "bigint" && v > 0n && v < 1n << 64n) return v;
  throw new NftInputError(path, `must be a handle (a positive integer), not ${show(v)}`);
}

/**
 * Throws unless `v` is an object.
 *
 * @example
 * ```ts
 * import { object } from "./check.ts";
 * object("rule", {});
 * ```
 */
export function object(path: string, v: unknown): void {
  if (v === null || typeof v !== "object") {
    throw new NftInputError(path, `must be an object, not ${show(v)}`);
  }
}
