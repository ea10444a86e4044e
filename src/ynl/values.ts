/**
 * The checks a value passes on its way into a message: an integer in its
 * kind's range, a bigint for 64 bits, a string without a NUL, bytes. Each
 * failure is a RangeError (the right type, out of range or fractional) or
 * a TypeError (the wrong type), naming where the value was going.
 *
 * @module
 */

/** A plain object (not null, an array or bytes). */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/** The ranges of the fixed-width integer kinds. */
const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  u8: [0, 0xff],
  s8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  s16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  s32: [-0x80000000, 0x7fffffff],
};

export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return x.constructor?.name ?? "object";
  if (typeof x === "string") return `string ${JSON.stringify(x.slice(0, 40))}`;
  return `${typeof x} ${String(x)}`;
}

/** `x` as a number of `kind` (u8..s32), or a RangeError/TypeError naming `where`. */
export function num(where: string, kind: string, x: unknown): number {
  const [min, max] = RANGES[kind];
  if (typeof x === "number" && x >= min && x <= max && Number.isInteger(x)) return x;
  const range = `an integer in ${min}..${max} (${kind})`;
  throw typeof x === "number"
    ? new RangeError(`${where}: ${x} is not ${range}`)
    : new TypeError(`${where}: takes ${range}, got ${describe(x)}`);
}

const U64: readonly [bigint, bigint] = [0n, (1n << 64n) - 1n];
const S64: readonly [bigint, bigint] = [-(1n << 63n), (1n << 63n) - 1n];

/**
 * `x` (a bigint, or an integer number) as the unsigned 64-bit pattern of
 * `kind` (u64, s64, uint, sint), or a RangeError/TypeError naming `where`.
 */
export function big(where: string, kind: string, x: unknown): bigint {
  const [min, max] = kind === "u64" || kind === "uint" ? U64 : S64;
  const range = `${min}..${max} (${kind})`;
  let n: bigint;
  if (typeof x === "bigint") n = x;
  else if (typeof x === "number" && Number.isSafeInteger(x)) n = BigInt(x);
  else if (typeof x === "number") {
    throw new RangeError(`${where}: ${x} is not an integer in ${range}`);
  } else {throw new TypeError(
      `${where}: takes a bigint or an integer in ${range}, got ${describe(x)}`,
    );}
  if (n < min || n > max) throw new RangeError(`${where}: ${n} is not in ${range}`);
  return BigInt.asUintN(64, n);
}

export function str(where: string, x: unknown): string {
  if (typeof x !== "string") throw new TypeError(`${where}: takes a string, got ${describe(x)}`);
  if (x.includes("\0")) throw new TypeError(`${where}: ${JSON.stringify(x)} holds a NUL`);
  return x;
}

export function bin(where: string, x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x;
  throw new TypeError(`${where}: takes bytes (Uint8Array), got ${describe(x)}`);
}
