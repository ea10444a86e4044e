/**
 * {@linkcode AttributeCursor}: netlink attributes read with one reader per
 * nesting depth, reset for each nest. A dump's hot path made a decoder per
 * nest, several per message, which were a good part of what the GC had to
 * collect (conntrack: eight per entry; nftables: two per expression).
 *
 * @module
 */
import { readU16, view } from "./bytes.ts";
import { ParseError } from "./errors.ts";

/**
 * An attribute reader that is reset, not made anew, for each nest. It
 * reads as `AttributeDecoder` (src/attribute.ts) reads (the same checks, the same
 * errors), for the few values a hot path needs; a decoder keeps one reader
 * per nesting depth and is not reentrant.
 *
 * @example
 * ```ts
 * import { AttributeCursor } from "./cursor.ts";
 * import { MessageWriter } from "./writer.ts";
 * const w = new MessageWriter(64).begin(1);
 * const n = w.nestStart(1);
 * w.u32be(2, 7).nestEnd(n);
 * const b = w.finish();
 * const top = new AttributeCursor().reset(b, 16, b.length), inner = new AttributeCursor();
 * top.next();
 * const c = top.into(inner);
 * c.next();
 * c.u32be(); // 7
 * ```
 */
export class AttributeCursor {
  /** The bytes read. */
  b: Uint8Array = new Uint8Array(0);
  /** Where the next attribute starts. */
  pos = 0;
  /** Just past the last attribute. */
  end = 0;
  /** The current attribute's type (flags masked off). */
  type = 0;
  /** Where the current attribute's value starts. */
  offset = 0;
  /** The current attribute's value length. */
  length = 0;

  /** Reads the attributes of `b[start, end)` from the first. */
  reset(b: Uint8Array, start: number, end: number): this {
    this.b = b;
    this.pos = start;
    this.end = end;
    return this;
  }

  /** Into the current attribute's nest, with `inner` as the reader. */
  into(inner: AttributeCursor): AttributeCursor {
    return inner.reset(this.b, this.offset, this.offset + this.length);
  }

  /** Moves to the next attribute; false at the end. */
  next(): boolean {
    const pos = this.pos, rem = this.end - pos;
    if (rem <= 0) return false;
    if (rem < 4) {
      this.pos = this.end;
      throw new ParseError(`${rem} trailing bytes, less than an attribute header`, pos);
    }
    const len = readU16(this.b, pos);
    if (len < 4 || len > rem) {
      this.pos = this.end;
      throw new ParseError(
        `attribute length ${len} ${len < 4 ? "below its header" : `past the end (${rem} left)`}`,
        pos,
      );
    }
    this.type = readU16(this.b, pos + 2) & 0x3fff;
    this.length = len - 4;
    this.offset = pos + 4;
    this.pos = Math.min(pos + ((len + 3) & ~3), this.end);
    return true;
  }

  #need(size: number, what: string): number {
    if (this.length !== size) {
      throw new ParseError(
        `attribute ${this.type} is ${this.length} bytes, ${what} needs ${size}`,
        this.offset - 4,
      );
    }
    return this.offset;
  }

  /** The value as a u8. */
  u8(): number {
    return this.b[this.#need(1, "u8")];
  }

  /** The value as a big-endian u16. */
  u16be(): number {
    const o = this.#need(2, "u16be");
    return (this.b[o] << 8) | this.b[o + 1];
  }

  /** The value as a big-endian u32. */
  u32be(): number {
    const o = this.#need(4, "u32be"), b = this.b;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  /** The value's bytes: a view. */
  value(): Uint8Array {
    return view(this.b, this.offset, this.offset + this.length);
  }
}
