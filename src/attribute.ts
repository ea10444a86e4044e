/**
 * Reading netlink attributes (`struct nlattr` TLVs) with a cursor that
 * allocates nothing until a value is asked for.
 *
 * @module
 */
import { align4, ascii, LITTLE_ENDIAN, readU16, readU32, view, viewOf } from "./bytes.ts";
import { NLA_F, NLA_HDRLEN } from "./constants.ts";
import { ParseError } from "./errors.ts";

/** How deep {@linkcode AttributeDecoder.nested} may go: a guard against nesting bombs. */
export const MAX_NEST_DEPTH = 32;

const utf8 = new TextDecoder();

const EMPTY = new Uint8Array(0);

/**
 * A cursor over the attributes in `bytes[start, end)`. Call
 * {@linkcode AttributeDecoder.next} until it returns false; after each call
 * `type` and `length` describe the current attribute and the typed getters
 * read its value. Malformed input (a header cut short, a length below the
 * header or past the end, a value of the wrong size) throws
 * {@linkcode ParseError}; the cursor always moves forward, so it cannot loop.
 *
 * The decoder and the values it returns as `Uint8Array` are views over
 * `bytes`: copy them (`slice()`) to keep them past the buffer's lifetime.
 *
 * @example
 * ```ts
 * import { AttributeDecoder, MessageWriter } from "../mod.ts";
 * const w = new MessageWriter();
 * w.begin(0x10, 0);
 * w.u32(1, 7);
 * w.string(2, "eth0");
 * const bytes = w.finish();
 * const ad = new AttributeDecoder(bytes, 16);
 * while (ad.next()) {
 *   if (ad.type === 1) console.log(ad.u32()); // 7
 *   if (ad.type === 2) console.log(ad.string()); // "eth0"
 * }
 * ```
 */
export class AttributeDecoder {
  /** The current attribute's type, without the NESTED/NET_BYTEORDER flags. */
  type = 0;
  /** The current attribute's raw `nla_type`, flags included. */
  rawType = 0;
  /** The length of the current attribute's value (header excluded). */
  length = 0;
  /** Offset of the current value in `bytes`. */
  offset = 0;
  /** The nesting depth of this decoder (0 at the top). */
  depth = 0;
  #b: Uint8Array = EMPTY;
  #end = 0;
  #pos = 0;

  /**
   * Walks the attributes of `bytes` from `start` to `end`.
   *
   * @param bytes the buffer holding the attributes
   * @param start offset of the first attribute
   * @param end offset just past the last attribute
   * @param depth nesting depth, checked against {@linkcode MAX_NEST_DEPTH}
   */
  constructor(
    bytes: Uint8Array,
    start = 0,
    end: number = bytes.length,
    depth = 0,
  ) {
    this.reset(bytes, start, end, depth);
  }

  /**
   * Walks `bytes[start, end)` anew, from its first attribute: a hot path
   * keeps one decoder per nesting depth and resets it for each nest, where
   * {@linkcode AttributeDecoder.nested} makes one (garbage for the GC, a
   * few per message). Arguments as the constructor's.
   *
   * @example
   * ```ts
   * import { AttributeDecoder, MessageWriter } from "../mod.ts";
   * const a = new MessageWriter().begin(1).u32(1, 7).finish();
   * const b = new MessageWriter().begin(1).u32(1, 8).finish();
   * const d = new AttributeDecoder(a, 16);
   * d.next() && d.u32(); // 7
   * d.reset(b, 16).next() && d.u32(); // 8
   * ```
   */
  reset(bytes: Uint8Array, start = 0, end: number = bytes.length, depth = 0): this {
    if (start < 0 || end > bytes.length || start > end) {
      throw new ParseError(
        `attribute range [${start}, ${end}) outside ${bytes.length} bytes`,
        start,
      );
    }
    this.#b = bytes;
    this.#pos = start;
    this.#end = end;
    this.depth = depth;
    return this;
  }

  /**
   * The buffer the decoder walks: the current value is
   * `bytes[offset, offset + length)` (for decoders that read it in place,
   * without a view per value).
   */
  get bytes(): Uint8Array {
    return this.#b;
  }

  /** True when the current attribute has NLA_F_NESTED set. */
  get isNested(): boolean {
    return (this.rawType & NLA_F.NESTED) !== 0;
  }

  /** True when the current attribute has NLA_F_NET_BYTEORDER set. */
  get isNetByteOrder(): boolean {
    return (this.rawType & NLA_F.NET_BYTEORDER) !== 0;
  }

  /** Moves to the next attribute; false at the end. */
  next(): boolean {
    const pos = this.#pos;
    const rem = this.#end - pos;
    if (rem <= 0) return false;
    if (rem < NLA_HDRLEN) {
      this.#pos = this.#end;
      throw new ParseError(`${rem} trailing bytes, less than an attribute header`, pos);
    }
    const len = readU16(this.#b, pos);
    if (len < NLA_HDRLEN || len > rem) {
      this.#pos = this.#end;
      throw new ParseError(
        `attribute length ${len} ${
          len < NLA_HDRLEN ? "below its header" : `past the end (${rem} left)`
        }`,
        pos,
      );
    }
    const raw = readU16(this.#b, pos + 2);
    this.rawType = raw;
    this.type = raw & NLA_F.TYPE_MASK;
    this.length = len - NLA_HDRLEN;
    this.offset = pos + NLA_HDRLEN;
    this.#pos = Math.min(pos + align4(len), this.#end);
    return true;
  }

  #need(size: number, what: string): number {
    if (this.length !== size) {
      throw new ParseError(
        `attribute ${this.type} is ${this.length} bytes, ${what} needs ${size}`,
        this.offset - NLA_HDRLEN,
      );
    }
    return this.offset;
  }

  /** The value as an unsigned 8-bit integer. */
  u8(): number {
    return this.#b[this.#need(1, "u8")];
  }

  /** The value as a native-endian unsigned 16-bit integer. */
  u16(): number {
    return readU16(this.#b, this.#need(2, "u16"));
  }

  /** The value as a native-endian unsigned 32-bit integer. */
  u32(): number {
    return readU32(this.#b, this.#need(4, "u32"));
  }

  /** The value as a native-endian unsigned 64-bit integer. */
  u64(): bigint {
    return viewOf(this.#b).getBigUint64(this.#need(8, "u64"), LITTLE_ENDIAN);
  }

  /** The value as a signed 8-bit integer. */
  s8(): number {
    return (this.u8() << 24) >> 24;
  }

  /** The value as a native-endian signed 16-bit integer. */
  s16(): number {
    return (this.u16() << 16) >> 16;
  }

  /** The value as a native-endian signed 32-bit integer. */
  s32(): number {
    return this.u32() | 0;
  }

  /** The value as a native-endian signed 64-bit integer. */
  s64(): bigint {
    return viewOf(this.#b).getBigInt64(this.#need(8, "s64"), LITTLE_ENDIAN);
  }

  /** The value as a big-endian (network order) unsigned 16-bit integer. */
  u16be(): number {
    const o = this.#need(2, "u16be");
    return (this.#b[o] << 8) | this.#b[o + 1];
  }

  /** The value as a big-endian (network order) unsigned 32-bit integer. */
  u32be(): number {
    // from the bytes: a DataView per value cost more than the rest of reading it
    const o = this.#need(4, "u32be");
    const b = this.#b;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  /** The value as a big-endian (network order) unsigned 64-bit integer. */
  u64be(): bigint {
    return viewOf(this.#b).getBigUint64(this.#need(8, "u64be"), false);
  }

  /**
   * A variable-width unsigned integer (YNL `uint`, kernel `NLA_UINT`): 1, 2,
   * 4 or 8 bytes. Values above 2^53 lose precision; use {@linkcode u64} there.
   */
  uint(): number {
    switch (this.length) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return Number(this.u64());
    }
    throw new ParseError(
      `attribute ${this.type} is ${this.length} bytes, not a uint`,
      this.offset - NLA_HDRLEN,
    );
  }

  /** The value as a string: UTF-8, up to the first NUL. */
  string(): string {
    const b = this.#b;
    let end = this.offset;
    const stop = this.offset + this.length;
    while (end < stop && b[end] !== 0) end++;
    // Short ASCII (names, kinds, qdiscs) is built here: TextDecoder costs
    // an op call and a view per string, several times this.
    const o = this.offset;
    if (end - o <= 16) {
      let i = o;
      while (i < end && b[i] < 0x80) i++;
      if (i === end) return ascii(b, o, end - o);
    }
    return utf8.decode(view(b, o, end));
  }

  /** The value's bytes: a view, valid as long as the buffer is. */
  value(): Uint8Array {
    return view(this.#b, this.offset, this.offset + this.length);
  }

  /** A decoder over the attributes nested in the current value. */
  nested(): AttributeDecoder {
    return new AttributeDecoder(
      this.#b,
      this.offset,
      this.offset + this.length,
      this.#innerDepth(),
    );
  }

  /**
   * {@linkcode AttributeDecoder.nested} into a decoder the caller keeps:
   * `inner`, reset to the attributes nested in the current value.
   *
   * @example
   * ```ts
   * import { AttributeDecoder, MessageWriter } from "../mod.ts";
   * const w = new MessageWriter().begin(1);
   * const n = w.nestStart(1);
   * const b = w.u32(2, 7).nestEnd(n).finish();
   * const top = new AttributeDecoder(b, 16), inner = new AttributeDecoder(b);
   * top.next();
   * const d = top.nestedInto(inner);
   * d.next() && d.u32(); // 7
   * ```
   */
  nestedInto(inner: AttributeDecoder): AttributeDecoder {
    return inner.reset(this.#b, this.offset, this.offset + this.length, this.#innerDepth());
  }

  #innerDepth(): number {
    if (this.depth + 1 > MAX_NEST_DEPTH) {
      throw new ParseError(
        `attributes nested deeper than ${MAX_NEST_DEPTH}`,
        this.offset - NLA_HDRLEN,
      );
    }
    return this.depth + 1;
  }
}
