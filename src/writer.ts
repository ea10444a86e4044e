/**
 * Building netlink messages: headers, fixed family headers, attributes and
 * nests, one or several messages in one reusable buffer.
 *
 * @module
 */
import { align4, LITTLE_ENDIAN, writeU16, writeU32 } from "./bytes.ts";
import { NLA_F, NLA_HDRLEN, NLMSG_HDRLEN } from "./constants.ts";

const utf8 = new TextEncoder();
const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

/** The error for a number that is not an integer in `min..max`: thrown, never wrapped. */
function badInt(what: string, v: unknown, min: number, max: number): Error {
  const range = `an integer in ${min}..${max}`;
  return typeof v === "number"
    ? new RangeError(`${what}: ${v} is not ${range}`)
    : new TypeError(`${what}: takes a number (${range}), got ${describe(v)}`);
}

/** What a failed check names: a label, or an attribute type and its kind. */
function label(what: string | number, kind: string): string {
  return typeof what === "number" ? `attribute ${what} (${kind})` : what;
}

/**
 * `v` when it is an integer in `min..max`, else a RangeError or TypeError
 * naming `what`. One comparison chain and no allocation on the hot path:
 * the message is built only on failure.
 */
function int(what: string | number, v: number, min: number, max: number, kind = ""): number {
  if (typeof v === "number" && v >= min && v <= max && Number.isInteger(v)) return v;
  throw badInt(label(what, kind), v, min, max);
}

function big(what: string | number, v: bigint, min: bigint, max: bigint, kind = ""): bigint {
  if (typeof v === "bigint" && v >= min && v <= max) return v;
  const where = label(what, kind);
  if (typeof v === "bigint") throw new RangeError(`${where}: ${v} is not in ${min}..${max}`);
  throw new TypeError(`${where}: takes a bigint (${min}..${max}), got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return v.constructor?.name ?? "object";
  if (typeof v === "string") return `string ${JSON.stringify(v.slice(0, 40))}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * Builds netlink messages into a growable buffer that is reused after
 * {@linkcode MessageWriter.reset}: no allocation per message once warm.
 * Several messages may be built back to back and sent in one `send`.
 *
 * @example
 * ```ts
 * import { MessageWriter, NLM_F } from "../mod.ts";
 * const RTM_GETLINK = 18;
 * const w = new MessageWriter();
 * w.begin(RTM_GETLINK, NLM_F.REQUEST);
 * const ifi = w.fixed(16); // struct ifinfomsg
 * w.view.setInt32(ifi + 4, 1, true); // ifi_index = 1
 * w.u32(29, 1); // IFLA_EXT_MASK = RTEXT_FILTER_VF
 * const nest = w.nestStart(18); // IFLA_LINKINFO
 * w.string(1, "veth"); // IFLA_INFO_KIND
 * w.nestEnd(nest);
 * const bytes = w.finish(); // one message, length set
 * ```
 */
export class MessageWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  #start = -1;

  /**
   * Creates a writer with an initial capacity in bytes (a non-negative
   * integer; the buffer grows as needed). Anything else is a RangeError.
   */
  constructor(capacity = 4096) {
    this.#buf = new Uint8Array(int("MessageWriter capacity", capacity, 0, 0x7fffffff));
    this.#view = new DataView(this.#buf.buffer);
  }

  /** The buffer being written (replaced when it grows: read it after writing). */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** A DataView over {@linkcode MessageWriter.buffer}, for fixed headers. */
  get view(): DataView {
    return this.#view;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  /** Forgets everything written; the buffer is kept for reuse. */
  reset(): this {
    this.#pos = 0;
    this.#start = -1;
    return this;
  }

  #grow(extra: number): void {
    const need = this.#pos + extra;
    if (need <= this.#buf.length) return;
    let size = Math.max(this.#buf.length * 2, 64); // a writer made with capacity 0 grows too
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /**
   * Starts a message (`struct nlmsghdr`) of `type` with `flags`; `seq` and
   * `portId` default to 0 (a socket's request assigns the sequence number).
   * An unfinished previous message is ended first. `type` and `flags` are
   * 16-bit, `seq` and `portId` 32-bit: anything else is a RangeError.
   */
  begin(type: number, flags = 0, seq = 0, portId = 0): this {
    int("message type", type, 0, 0xffff);
    int("message flags", flags, 0, 0xffff);
    int("message seq", seq, 0, 0xffffffff);
    int("message portId", portId, 0, 0xffffffff);
    if (this.#start >= 0) this.end();
    this.#pos = align4(this.#pos);
    this.#grow(NLMSG_HDRLEN);
    const b = this.#buf;
    const o = this.#pos;
    this.#start = o;
    writeU32(b, o, NLMSG_HDRLEN);
    writeU16(b, o + 4, type);
    writeU16(b, o + 6, flags);
    writeU32(b, o + 8, seq);
    writeU32(b, o + 12, portId);
    this.#pos = o + NLMSG_HDRLEN;
    return this;
  }

  /** Ends the current message: sets its `nlmsg_len`. */
  end(): this {
    if (this.#start < 0) throw new Error("MessageWriter.end without begin");
    writeU32(this.#buf, this.#start, this.#pos - this.#start);
    this.#start = -1;
    return this;
  }

  /**
   * Reserves `size` zeroed bytes (a family's fixed header, padded to 4) and
   * returns their offset in {@linkcode MessageWriter.buffer}.
   */
  fixed(size: number): number {
    const padded = align4(int("fixed header size", size, 0, 0xffff));
    this.#grow(padded);
    const o = this.#pos;
    this.#buf.fill(0, o, o + padded);
    this.#pos = o + padded;
    return o;
  }

  /** Appends raw bytes, padded to 4 (e.g. a prebuilt fixed header). */
  raw(bytes: Uint8Array): this {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`raw: takes bytes (Uint8Array), got ${describe(bytes)}`);
    }
    const o = this.fixed(bytes.length);
    this.#buf.set(bytes, o);
    return this;
  }

  /** Starts an attribute with a value of `size` bytes; returns the value's offset. */
  #attr(type: number, size: number): number {
    int("attribute type", type, 0, 0xffff);
    const total = NLA_HDRLEN + size;
    if (total > 0xffff) throw new RangeError(`attribute ${type} too long: ${size} bytes`);
    const padded = align4(total);
    this.#grow(padded);
    const b = this.#buf;
    const o = this.#pos;
    writeU16(b, o, total);
    writeU16(b, o + 2, type);
    if (padded !== total) b.fill(0, o + total, o + padded);
    this.#pos = o + padded;
    return o + NLA_HDRLEN;
  }

  /** Appends an attribute holding `value` bytes. */
  put(type: number, value: Uint8Array): this {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`attribute ${type}: takes bytes (Uint8Array), got ${describe(value)}`);
    }
    const at = this.#attr(type, value.length);
    this.#buf.set(value, at);
    return this;
  }

  /** Appends a zero-length attribute (a flag). */
  flag(type: number): this {
    this.#attr(type, 0);
    return this;
  }

  /** Appends an unsigned 8-bit attribute. */
  u8(type: number, value: number): this {
    int(type, value, 0, 0xff, "u8");
    const at = this.#attr(type, 1);
    this.#buf[at] = value;
    return this;
  }

  /** Appends a native-endian unsigned 16-bit attribute. */
  u16(type: number, value: number): this {
    int(type, value, 0, 0xffff, "u16");
    const at = this.#attr(type, 2);
    writeU16(this.#buf, at, value);
    return this;
  }

  /** Appends a native-endian unsigned 32-bit attribute. */
  u32(type: number, value: number): this {
    int(type, value, 0, 0xffffffff, "u32");
    const at = this.#attr(type, 4);
    writeU32(this.#buf, at, value);
    return this;
  }

  /** Appends a native-endian unsigned 64-bit attribute. */
  u64(type: number, value: bigint): this {
    big(type, value, 0n, U64_MAX, "u64");
    const at = this.#attr(type, 8);
    this.#view.setBigUint64(at, value, LITTLE_ENDIAN);
    return this;
  }

  /** Appends a signed 8-bit attribute. */
  s8(type: number, value: number): this {
    return this.u8(type, int(type, value, -0x80, 0x7f, "s8") & 0xff);
  }

  /** Appends a native-endian signed 16-bit attribute. */
  s16(type: number, value: number): this {
    return this.u16(type, int(type, value, -0x8000, 0x7fff, "s16") & 0xffff);
  }

  /** Appends a native-endian signed 32-bit attribute. */
  s32(type: number, value: number): this {
    return this.u32(type, int(type, value, -0x80000000, 0x7fffffff, "s32") >>> 0);
  }

  /** Appends a native-endian signed 64-bit attribute. */
  s64(type: number, value: bigint): this {
    return this.u64(type, BigInt.asUintN(64, big(type, value, S64_MIN, S64_MAX, "s64")));
  }

  /** Appends a big-endian (network order) 16-bit attribute. */
  u16be(type: number, value: number): this {
    int(type, value, 0, 0xffff, "u16");
    const at = this.#attr(type, 2);
    this.#view.setUint16(at, value, false);
    return this;
  }

  /** Appends a big-endian (network order) 32-bit attribute. */
  u32be(type: number, value: number): this {
    int(type, value, 0, 0xffffffff, "u32");
    const at = this.#attr(type, 4);
    this.#view.setUint32(at, value, false);
    return this;
  }

  /** Appends a big-endian (network order) 64-bit attribute. */
  u64be(type: number, value: bigint): this {
    big(type, value, 0n, U64_MAX, "u64");
    const at = this.#attr(type, 8);
    this.#view.setBigUint64(at, value, false);
    return this;
  }

  /**
   * Appends a NUL-terminated UTF-8 string attribute. A string holding a NUL
   * would reach the kernel cut there: it is a TypeError, like a non-string.
   */
  string(type: number, value: string): this {
    if (typeof value !== "string") {
      throw new TypeError(`attribute ${type}: takes a string, got ${describe(value)}`);
    }
    if (value.includes("\0")) {
      throw new TypeError(`attribute ${type}: string ${JSON.stringify(value)} holds a NUL`);
    }
    const max = value.length * 3;
    // Encode in place: reserve the worst case, then shrink the header.
    this.#grow(NLA_HDRLEN + max + 4);
    const o = this.#pos;
    const { written } = utf8.encodeInto(
      value,
      this.#buf.subarray(o + NLA_HDRLEN, o + NLA_HDRLEN + max),
    );
    const at = this.#attr(type, written + 1);
    this.#buf[at + written] = 0;
    return this;
  }

  /**
   * Opens a nested attribute (NLA_F_NESTED set); returns a token for
   * {@linkcode MessageWriter.nestEnd}.
   */
  nestStart(type: number): number {
    int("nest type", type, 0, 0xffff);
    const o = this.#pos;
    this.#attr(type | NLA_F.NESTED, 0);
    return o;
  }

  /** Closes the nest opened at `token`, fixing its length. */
  nestEnd(token: number): this {
    int("nest token", token, 0, this.#pos - NLA_HDRLEN);
    const len = this.#pos - token;
    if (len > 0xffff) throw new RangeError(`nest too long: ${len} bytes`);
    writeU16(this.#buf, token, len);
    return this;
  }

  /**
   * Ends any open message and returns everything written since the last
   * reset: a view into the writer's buffer, valid until it is written again.
   */
  finish(): Uint8Array {
    if (this.#start >= 0) this.end();
    return this.#buf.subarray(0, this.#pos);
  }
}
