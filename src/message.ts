/**
 * Netlink messages (`struct nlmsghdr` and what follows it), decoded lazily
 * over the bytes they arrived in.
 *
 * @module
 */
import { align4, readU16, readU32, view } from "./bytes.ts";
import { NLMSG_HDRLEN } from "./constants.ts";
import { AttributeDecoder } from "./attribute.ts";
import { ParseError } from "./errors.ts";

/**
 * One netlink message. The header fields are read when the message is
 * parsed; the payload stays where it arrived (`data`, from `offset`) and is
 * only sliced or decoded on request.
 *
 * Lifetime: a socket copies each received datagram out of its receive
 * buffer once, so the messages it hands out may be kept as long as needed.
 * Messages parsed from caller's bytes ({@linkcode Message.parseAll}) are
 * views over them; {@linkcode Message.clone} makes an independent copy.
 *
 * @example
 * ```ts
 * import { Message, MessageWriter } from "../mod.ts";
 * const bytes = new MessageWriter().begin(0x10, 0, 7).u32(1, 42).finish();
 * const [msg] = Message.parseAll(bytes);
 * msg.type; // 0x10
 * msg.seq; // 7
 * const ad = msg.attributes();
 * while (ad.next()) ad.u32(); // 42
 * ```
 */
export class Message {
  /** `nlmsg_type`. */
  readonly type: number;
  /** `nlmsg_flags`. */
  readonly flags: number;
  /** `nlmsg_seq`. */
  readonly seq: number;
  /** `nlmsg_pid`: the port id the header names (not authenticated). */
  readonly portId: number;
  /** The port id of the socket that sent the datagram (0: the kernel). */
  readonly sender: number;
  /** The multicast group it was delivered through (0: unicast or unknown). */
  readonly group: number;
  /** The bytes the message lives in. */
  readonly data: Uint8Array;
  /** Offset of the message's header in `data`. */
  readonly offset: number;
  /** `nlmsg_len`: header plus payload, in bytes. */
  readonly length: number;
  /** Bytes of netlink header before the payload: 16, or 0 for a raw datagram. */
  readonly headerSize: number;

  /**
   * Wraps a header already validated by the caller; most code gets messages
   * from a socket or {@linkcode Message.parseAll} instead.
   */
  constructor(
    data: Uint8Array,
    offset: number,
    length: number,
    sender = 0,
    group = 0,
    raw = false,
  ) {
    this.data = data;
    this.offset = offset;
    this.length = length;
    this.sender = sender;
    this.group = group;
    if (raw) {
      this.headerSize = 0;
      this.type =
        this.flags =
        this.seq =
        this.portId =
          0;
      return;
    }
    this.headerSize = NLMSG_HDRLEN;
    this.type = readU16(data, offset + 4);
    this.flags = readU16(data, offset + 6);
    this.seq = readU32(data, offset + 8);
    this.portId = readU32(data, offset + 12);
  }

  /**
   * A datagram without netlink framing (what `NETLINK_KOBJECT_UEVENT`
   * sends): header fields are 0 and the payload is the whole datagram.
   */
  static raw(data: Uint8Array, sender = 0, group = 0): Message {
    return new Message(data, 0, data.length, sender, group, true);
  }

  /**
   * Parses every message in a datagram. Throws {@linkcode ParseError} on a
   * truncated header, a length below the header or past the buffer.
   */
  static parseAll(bytes: Uint8Array, sender = 0, group = 0): Message[] {
    const out: Message[] = [];
    let off = 0;
    while (off < bytes.length) {
      const len = checkHeader(bytes, off, bytes.length);
      out.push(new Message(bytes, off, len, sender, group));
      off += align4(len);
    }
    return out;
  }

  /** The bytes after the header: a view. */
  get payload(): Uint8Array {
    return view(this.data, this.offset + this.headerSize, this.offset + this.length);
  }

  /** The whole message, header included: a view. */
  get bytes(): Uint8Array {
    return view(this.data, this.offset, this.offset + this.length);
  }

  /**
   * A decoder over the attributes that follow the header and a family's
   * fixed header of `fixedHeaderSize` bytes (padded to 4).
   */
  attributes(fixedHeaderSize = 0): AttributeDecoder {
    const start = this.offset + this.headerSize + align4(fixedHeaderSize);
    const end = this.offset + this.length;
    if (start > end) {
      throw new ParseError(
        `payload of ${
          this.length - this.headerSize
        } bytes is shorter than a ${fixedHeaderSize}-byte fixed header`,
        this.offset,
      );
    }
    return new AttributeDecoder(this.data, start, end);
  }

  /** An owned copy, independent of the receive buffer. */
  clone(): Message {
    return new Message(
      this.bytes.slice(),
      0,
      this.length,
      this.sender,
      this.group,
      this.headerSize === 0,
    );
  }
}

/**
 * Points `m` at another message, in place: what a socket does with the one
 * `Message` it lends to `map` callbacks, which may not keep it. Not for
 * messages anybody may keep.
 */
export function retarget(
  m: Message,
  data: Uint8Array,
  offset: number,
  length: number,
  sender: number,
  group: number,
): Message {
  return retargetParsed(
    m,
    data,
    offset,
    length,
    sender,
    group,
    readU16(data, offset + 4),
    readU16(data, offset + 6),
    readU32(data, offset + 8),
    readU32(data, offset + 12),
  );
}

/** {@linkcode retarget} for a header already read: its fields given. */
export function retargetParsed(
  m: Message,
  data: Uint8Array,
  offset: number,
  length: number,
  sender: number,
  group: number,
  type: number,
  flags: number,
  seq: number,
  portId: number,
): Message {
  const w = m as { -readonly [K in keyof Message]: Message[K] };
  w.data = data;
  w.offset = offset;
  w.length = length;
  w.sender = sender;
  w.group = group;
  w.type = type;
  w.flags = flags;
  w.seq = seq;
  w.portId = portId;
  return m;
}

/**
 * Validates the header at `off` (enough bytes for it, `nlmsg_len` at least a
 * header and within `end`) and returns `nlmsg_len`.
 */
export function checkHeader(b: Uint8Array, off: number, end: number): number {
  const rem = end - off;
  if (rem < NLMSG_HDRLEN) {
    throw new ParseError(`${rem} bytes left, less than a message header`, off);
  }
  const len = readU32(b, off);
  if (len < NLMSG_HDRLEN) {
    throw new ParseError(`message length ${len} below the header`, off);
  }
  if (len > rem) {
    throw new ParseError(`message length ${len} past the end (${rem} left)`, off);
  }
  return len;
}
