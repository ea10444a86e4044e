/**
 * {@linkcode DatagramReader}: the socket's receive side. It reads datagrams
 * (with synchronous, non-blocking calls), keeps the cursor in them, and
 * hands out their messages: lent in the receive buffer while the one who
 * takes them uses them at once (a mapper, an ACK), else copied out into a
 * shared block once per datagram, so that they may be kept. Where a
 * message goes is not its business (see `Demux`).
 *
 * @module
 */
import { align4, LITTLE_ENDIAN as LE, readU32, view } from "../bytes.ts";
import { NLM_F, NLMSG, NLMSG_HDRLEN } from "../constants.ts";
import { type ParseError, TruncatedError } from "../errors.ts";
import { checkHeader, Message, retarget, retargetParsed } from "../message.ts";
import type { Receiver, Sys } from "../sys.ts";

const MSG_TRUNC = 0x20;
// Plain numbers in the hot loop (a property load per message otherwise).
const { MULTI, DUMP_INTR } = NLM_F;
const { MIN_TYPE } = NLMSG;
const BLOCK_SIZE = 64 * 1024;

/** How a {@linkcode DatagramReader} reads. */
export interface ReaderOptions {
  /** Datagrams read per `recvmmsg` call. Default 16. */
  batch?: number;
  /** Initial receive slot size in bytes; it grows when a datagram is cut. Default 32768. */
  slotSize?: number;
  /** Datagrams are not netlink messages: each is one message without a header. */
  raw?: boolean;
  /** Connected to the kernel and in no group: datagrams are read without their source. */
  fromKernel?: boolean;
}

/**
 * Where a {@linkcode DatagramReader} reports datagrams it cannot hand out
 * (the socket's demultiplexer decides who gets the error).
 */
export interface ReadFaults {
  /** A datagram arrived cut; `first` is its first header when that arrived (else undefined). */
  cut(first: Message | undefined, err: TruncatedError): void;
  /** A datagram from `sender` holds a malformed message; its rest is skipped. */
  malformed(err: ParseError, sender: number): void;
}

function groupNumber(mask: number): number {
  // The kernel reports the group as a mask; one bit is set (0 above 32).
  return mask === 0 ? 0 : 32 - Math.clz32(mask & -mask);
}

/**
 * The receive cursor of one socket and the messages it lends or copies.
 *
 * @example
 * ```ts
 * import { DatagramReader } from "./reader.ts";
 * import { FakeKernel } from "../testing/mod.ts";
 * const sys = new FakeKernel(() => []);
 * const fd = sys.socket(0, 3);
 * const faults = { cut() {}, malformed() {} };
 * const reader = new DatagramReader(sys, fd, {}, faults, { truncated: 0 });
 * reader.receive(16); // -11: EAGAIN, nothing queued
 * ```
 */
export class DatagramReader {
  readonly #sys: Sys;
  readonly #fd: number;
  readonly #faults: ReadFaults;
  readonly #stats: { truncated: number };
  readonly #batch: number;
  readonly #raw: boolean;
  #fromKernel: boolean;
  #receiver: Receiver;
  #slotSize: number;
  // The datagrams of the last receive and the one being parsed.
  #count = 0;
  #slot = 0;
  // The datagram being parsed: in a receive slot until a message of it
  // must be kept (then #copyOut copies it into #block).
  #data: Uint8Array = new Uint8Array(0);
  #owned = true;
  #off = 0;
  #end = 0;
  #sender = 0;
  #group = 0;
  // True while a mapper runs over a message in the receive buffer.
  #lending = false;
  // The Message that messages parsed in the receive buffer are lent as.
  readonly #lent = new Message(new Uint8Array(NLMSG_HDRLEN), 0, NLMSG_HDRLEN);
  #block: Uint8Array = new Uint8Array(0);
  #blockPos = 0;

  /** A reader of socket `fd` through `sys`; cut datagrams are counted in `stats`. */
  constructor(
    sys: Sys,
    fd: number,
    options: ReaderOptions,
    faults: ReadFaults,
    stats: { truncated: number },
  ) {
    this.#sys = sys;
    this.#fd = fd;
    this.#faults = faults;
    this.#stats = stats;
    this.#batch = options.batch ?? 16;
    this.#raw = options.raw ?? false;
    this.#fromKernel = options.fromKernel ?? false;
    this.#slotSize = options.slotSize ?? 32768;
    this.#receiver = sys.receiver(this.#batch, this.#slotSize);
  }

  /** Datagrams read per call for dumps and events. */
  get batch(): number {
    return this.#batch;
  }

  /** True when datagrams are not netlink messages. */
  get raw(): boolean {
    return this.#raw;
  }

  /** True while every datagram is the kernel's unicast (read without its source). */
  get fromKernel(): boolean {
    return this.#fromKernel;
  }

  /** From now on every datagram's source address is read (the socket joined a group). */
  readSenders(): void {
    this.#fromKernel = false;
  }

  /**
   * True when the next datagram read is the next thing to parse: every
   * datagram read so far was parsed, no mapper holds the receive buffer,
   * and datagrams are the kernel's unicast netlink messages.
   */
  get idle(): boolean {
    return this.#fromKernel && !this.#raw && !this.#lending && this.#off >= this.#end &&
      this.#slot + 1 >= this.#count;
  }

  /** True while a mapper reads a message in the receive buffer (nothing may be read). */
  get lending(): boolean {
    return this.#lending;
  }

  /** True when the last receive found nothing (or failed). */
  get empty(): boolean {
    return this.#count === 0;
  }

  /**
   * Reads up to `max` datagrams (replacing the receive slots first when a
   * cut datagram asked for bigger ones); the caller must have parsed every
   * datagram read before. Returns how many, or a negated errno. The first
   * one is then looked at with {@linkcode DatagramReader.sole} or parsed
   * after {@linkcode DatagramReader.open}.
   */
  receive(max: number): number {
    if (this.#receiver.slotSize < this.#slotSize) {
      this.#receiver = this.#sys.receiver(this.#batch, this.#slotSize);
    }
    const n = this.#receiver.receive(this.#fd, max, this.#fromKernel);
    this.#count = n > 0 ? n : 0;
    this.#slot = 0;
    return n;
  }

  /** Starts parsing the first datagram of the last receive. */
  open(): void {
    if (this.#count > 0) this.#openSlot();
  }

  /** Moves to the next datagram of the last receive; false when there is none. */
  nextDatagram(): boolean {
    if (++this.#slot >= this.#count) return false;
    this.#openSlot();
    return true;
  }

  /**
   * The next message of the datagram being parsed, or undefined at its end.
   * It is lent (valid until the next call) unless the datagram was copied
   * out already: {@linkcode DatagramReader.own} makes it one to keep.
   */
  parse(): Message | undefined {
    const off = this.#off;
    const end = this.#end;
    if (off >= end) return undefined;
    const data = this.#data;
    if (this.#raw) {
      this.#off = end;
      return new Message(data, off, end - off, this.#sender, this.#group, true);
    }
    const len = end - off >= NLMSG_HDRLEN ? readU32(data, off) : 0;
    if (len < NLMSG_HDRLEN || len > end - off) return this.#malformed(data, off, end);
    this.#off = off + align4(len);
    // A message still in the receive buffer is copied (own) before anyone
    // may keep it, so the one lent to takers can be reused.
    if (!this.#owned && !this.#lending) {
      return retarget(this.#lent, data, off, len, this.#sender, this.#group);
    }
    return new Message(data, off, len, this.#sender, this.#group);
  }

  /**
   * Hands `take` each message, from the cursor on, that is a plain part of
   * dump `seq` of port `portId`: whole, from the kernel, unicast, a
   * family's message flagged NLM_F_MULTI and not NLM_F_DUMP_INTR (what
   * {@linkcode ReplyCollector.judge} calls a reply and nothing more), to
   * the end of the datagram, and on through the datagrams read so far
   * when `across`. Each is lent (valid while `take` runs) unless `keep`:
   * then each is owned (the datagram's rest is copied out once). Stops
   * before any other message, left for {@linkcode DatagramReader.parse},
   * and when `take` read on itself (a reentrant request): then -1. Else
   * how many it took, every datagram read (or the one) being taken.
   */
  takeParts(
    seq: number,
    portId: number,
    keep: boolean,
    across: boolean,
    take: (m: Message) => void,
  ): number {
    if (this.#raw) return -1;
    const lending = this.#lending;
    this.#lending = true;
    let taken = 0;
    try {
      for (;;) {
        if (this.#sender !== 0 || this.#group !== 0) return -1;
        if (keep && !this.#owned) this.#copyOut(this.#off);
        const data = this.#data;
        const end = this.#end;
        const lend = !this.#owned && !lending;
        const v = new DataView(data.buffer, data.byteOffset, end);
        let off = this.#off;
        while (off < end) {
          const len = end - off >= NLMSG_HDRLEN ? v.getUint32(off, LE) : 0;
          if (len < NLMSG_HDRLEN || len > end - off) return -1;
          const type = v.getUint16(off + 4, LE);
          const flags = v.getUint16(off + 6, LE);
          const port = v.getUint32(off + 12, LE);
          if (
            type < MIN_TYPE || (flags & (MULTI | DUMP_INTR)) !== MULTI ||
            v.getUint32(off + 8, LE) !== seq || (port !== portId && port !== 0)
          ) return -1;
          const next = off + align4(len);
          this.#off = next;
          take(
            lend
              ? retargetParsed(this.#lent, data, off, len, 0, 0, type, flags, seq, port)
              : new Message(data, off, len, 0, 0),
          );
          taken++;
          if (this.#off !== next || this.#data !== data) return -1;
          off = next;
        }
        if (!across || !this.nextDatagram()) return taken;
        // a cut datagram's error went to its owner: it takes that first
        if (this.#off >= this.#end) return -1;
      }
    } finally {
      this.#lending = lending;
    }
  }

  /** The rest of the datagram is skipped: its message at `off` is malformed. */
  #malformed(data: Uint8Array, off: number, end: number): undefined {
    this.#off = end;
    try {
      checkHeader(data, off, end);
    } catch (e) {
      this.#faults.malformed(e as ParseError, this.#sender);
    }
    return undefined;
  }

  /** True when the messages parsed now are owned already (the datagram was copied out). */
  get owned(): boolean {
    return this.#owned;
  }

  /**
   * The first datagram just read as the usual reply to request `seq` of
   * port `portId`, lent in the receive buffer: exactly one message, whole,
   * from the kernel, unicast, for `seq` and this port. Else undefined (and
   * the datagram is to be parsed the general way, after `open()`). Once it
   * is taken, nothing else of the datagram is left to parse.
   */
  sole(seq: number, portId: number): Message | undefined {
    if (this.#raw) return undefined; // datagrams without netlink headers
    const rx = this.#receiver;
    const meta = rx.meta;
    const len = meta[0];
    if (
      meta[1] & MSG_TRUNC || meta[2] !== 0 || meta[3] !== 0 || len < NLMSG_HDRLEN ||
      len > rx.slotSize
    ) return undefined;
    const data = rx.slots[0];
    if (readU32(data, 0) !== len || readU32(data, 8) !== seq) return undefined;
    const port = readU32(data, 12);
    if (port !== portId && port !== 0) return undefined;
    return retarget(this.#lent, data, 0, len, 0, 0);
  }

  /** `m`, lent by {@linkcode DatagramReader.sole}, as an owned copy. */
  keep(m: Message): Message {
    this.#data = m.data;
    this.#owned = false;
    this.#off = this.#end = m.length;
    return this.own(m);
  }

  /** Runs `map` over `m`; meanwhile nothing overwrites the receive buffer. */
  map<T>(map: (m: Message) => T, m: Message): T {
    const lending = this.#lending;
    this.#lending = true;
    try {
      return map(m);
    } finally {
      this.#lending = lending;
    }
  }

  /**
   * `m` as a message that may be kept: when it is still in the receive
   * buffer, the datagram's rest (from `m` on) is copied out once, into a
   * shared block, and parsing goes on there. Blocks are never reused, so
   * messages stay valid; one allocation per block, not per datagram (each
   * allocation costs microseconds under Deno).
   */
  own(m: Message): Message {
    if (this.#owned) return m;
    const at = this.#copyOut(m.offset);
    return new Message(this.#data, at, m.length, m.sender, m.group, m.headerSize === 0);
  }

  /** Starts parsing datagram `#slot` where it arrived, in the receive buffer. */
  #openSlot(): void {
    const rx = this.#receiver;
    const meta = rx.meta;
    const i = this.#slot * 4;
    const len = meta[i];
    this.#sender = meta[i + 2];
    this.#group = groupNumber(meta[i + 3]);
    if (len > rx.slotSize || meta[i + 1] & MSG_TRUNC) {
      this.#off = this.#end = 0;
      this.#cut(rx.slots[this.#slot], len);
      return;
    }
    this.#data = rx.slots[this.#slot];
    this.#owned = false;
    this.#off = 0;
    this.#end = len;
    // Multicast goes to the event stream, which keeps what it gets: copy
    // now rather than parse twice.
    if (this.#group !== 0 || this.#raw) this.#copyOut(0);
  }

  /**
   * Copies the datagram being parsed, from `from` on, into a block, where
   * parsing goes on; returns where `from` landed.
   */
  #copyOut(from: number): number {
    const len = this.#end - from;
    if (this.#block.length - this.#blockPos < len) {
      this.#block = new Uint8Array(Math.max(BLOCK_SIZE, len));
      this.#blockPos = 0;
    }
    const at = this.#blockPos;
    const block = this.#block;
    block.set(view(this.#data, from, this.#end), at);
    this.#blockPos = (at + len + 7) & ~7;
    this.#data = block;
    this.#owned = true;
    this.#off = at + (this.#off - from);
    this.#end = at + len;
    return at;
  }

  #cut(slot: Uint8Array, len: number): void {
    this.#stats.truncated++;
    const err = new TruncatedError(len, this.#receiver.slotSize);
    // The error goes where the first header says, when it did arrive.
    const first = !this.#raw && slot.length >= NLMSG_HDRLEN
      ? new Message(slot, 0, NLMSG_HDRLEN, this.#sender, this.#group)
      : undefined;
    this.#faults.cut(first, err);
    while (this.#slotSize < len) this.#slotSize *= 2;
  }
}
