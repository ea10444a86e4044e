/**
 * How a value is turned into its kind on its way into a message.
 *
 * @module
 */

/** A plain object (not null, an array or bytes). */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/** A short description of a value, for error messages. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return x.constructor?.name ?? "object";
  return `${typeof x} ${String(x)}`;
}

/** `x` as a number. */
export function num(_where: string, _kind: string, x: unknown): number {
  return Number(x);
}

/** `x` as a 64-bit pattern. */
export function big(_where: string, _kind: string, x: unknown): bigint {
  return BigInt.asUintN(64, BigInt(x as bigint));
}

/** `x` as a string. */
export function str(_where: string, x: unknown): string {
  return String(x);
}

/** `x` as bytes. */
export function bin(where: string, x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x;
  throw new TypeError(`${where}: takes bytes (Uint8Array), got ${describe(x)}`);
}
