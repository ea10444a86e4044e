/**
 * Native-endian integer access on plain `Uint8Array`s, without a DataView
 * per call: the receive path reads headers with these.
 *
 * @module
 */

/** True on little-endian hosts (x86_64, aarch64, riscv64). */
export const LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Rounds `n` up to netlink's 4-byte alignment (`NLMSG_ALIGN`, `NLA_ALIGN`). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Reads a native-endian u16. */
export function readU16(b: Uint8Array, o: number): number {
  return LITTLE_ENDIAN ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

/** Reads a native-endian u32. */
export function readU32(b: Uint8Array, o: number): number {
  return (LITTLE_ENDIAN
    ? b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)
    : (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Reads a native-endian s32. */
export function readS32(b: Uint8Array, o: number): number {
  return readU32(b, o) | 0;
}

/** Writes a native-endian u16. */
export function writeU16(b: Uint8Array, o: number, v: number): void {
  if (LITTLE_ENDIAN) {
    b[o] = v;
    b[o + 1] = v >>> 8;
  } else {
    b[o] = v >>> 8;
    b[o + 1] = v;
  }
}

/** Writes a native-endian u32. */
export function writeU32(b: Uint8Array, o: number, v: number): void {
  if (LITTLE_ENDIAN) {
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
  } else {
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
  }
}

/**
 * `b.subarray(start, end)` for bounds already checked: a view made from
 * the buffer directly, which V8 builds in about half the time (subarray
 * goes through the species constructor). Throws RangeError out of bounds.
 */
export function view(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}

/** A DataView over exactly the bytes of `b`. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * `n` (at most 16) ASCII bytes at `b[o..]` as a string, made in one
 * allocation (a string built a character at a time leaves one per step).
 */
export function ascii(b: Uint8Array, o: number, n: number): string {
  switch (n) {
    case 0:
      return "";
    case 1:
      return String.fromCharCode(b[o]);
    case 2:
      return String.fromCharCode(b[o], b[o + 1]);
    case 3:
      return String.fromCharCode(b[o], b[o + 1], b[o + 2]);
    case 4:
      return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
    case 5:
      return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4]);
    case 6:
      return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5]);
    case 7:
      return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6]);
    case 8:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
      );
    case 9:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
      );
    case 10:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
        b[o + 9],
      );
    case 11:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
        b[o + 9],
        b[o + 10],
      );
    case 12:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
        b[o + 9],
        b[o + 10],
        b[o + 11],
      );
    case 13:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
        b[o + 9],
        b[o + 10],
        b[o + 11],
        b[o + 12],
      );
    case 14:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
        b[o + 9],
        b[o + 10],
        b[o + 11],
        b[o + 12],
        b[o + 13],
      );
    case 15:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
        b[o + 9],
        b[o + 10],
        b[o + 11],
        b[o + 12],
        b[o + 13],
        b[o + 14],
      );
    case 16:
      return String.fromCharCode(
        b[o],
        b[o + 1],
        b[o + 2],
        b[o + 3],
        b[o + 4],
        b[o + 5],
        b[o + 6],
        b[o + 7],
        b[o + 8],
        b[o + 9],
        b[o + 10],
        b[o + 11],
        b[o + 12],
        b[o + 13],
        b[o + 14],
        b[o + 15],
      );
  }
  throw new RangeError(`ascii: ${n} bytes, at most 16`);
}
