/**
 * What a {@linkcode FakeKernel} handler answers with: reply messages
 * addressed to the request (its sequence number, the socket's port id),
 * ACKs, errors with extended ACK, multipart dumps, multicast events,
 * overruns, truncated datagrams and replies that come later.
 *
 * @module
 */
import { NLM_F, NLMSG, NLMSG_HDRLEN, NLMSGERR_ATTR } from "../constants.ts";
import { MessageWriter } from "../writer.ts";
import type { FakeRequest } from "./fake_kernel.ts";

/** Something queued on a socket, as the kernel would. */
export type ReplyItem =
  | {
    readonly kind: "datagram";
    readonly bytes: Uint8Array;
    readonly sender: number;
    readonly group: number;
    /** Only this many bytes arrive, and MSG_TRUNC is set. */
    readonly truncate?: number;
  }
  | { readonly kind: "error"; readonly errno: number }
  | { readonly kind: "later"; readonly ms: number; readonly replies: readonly ReplyItem[] }
  | { readonly kind: "multicast"; readonly group: number; readonly bytes: Uint8Array }
  | Deferred;

/** One reply: a datagram's bytes (one or more messages, sent as they are) or an item. */
export type Reply = Uint8Array | ReplyItem;

/**
 * Replies as the kernel queues them: bytes become one datagram from the
 * kernel, arrays are flattened.
 *
 * @example
 * ```ts
 * import { flatten } from "./replies.ts";
 * flatten([new Uint8Array(16)])[0].kind; // "datagram"
 * ```
 */
export function flatten(replies: readonly (Reply | readonly Reply[])[]): ReplyItem[] {
  const out: ReplyItem[] = [];
  for (const r of replies) {
    if (r instanceof Uint8Array) out.push({ kind: "datagram", bytes: r, sender: 0, group: 0 });
    else if (Array.isArray(r)) out.push(...flatten(r));
    else out.push(r as ReplyItem);
  }
  return out;
}

/**
 * One message answering `req`: its sequence number, the socket's port id.
 *
 * @example
 * ```ts
 * import { FakeKernel, reply } from "./mod.ts";
 * const RTM_NEWLINK = 16;
 * new FakeKernel((req) => reply(req, RTM_NEWLINK, new Uint8Array(16)));
 * ```
 */
export function reply(
  req: FakeRequest,
  type: number,
  payload: Uint8Array = new Uint8Array(0),
  flags = 0,
): Uint8Array {
  return message(type, payload, flags, req.message.seq, req.socket.portId);
}

/**
 * One message, as bytes, with the header's fields given (a multicast
 * event has sequence number 0 and port id 0, the defaults).
 *
 * @example
 * ```ts
 * import { message } from "./mod.ts";
 * const RTM_NEWLINK = 16;
 * message(RTM_NEWLINK, new Uint8Array(16)).length; // 32
 * ```
 */
export function message(
  type: number,
  payload: Uint8Array = new Uint8Array(0),
  flags = 0,
  seq = 0,
  portId = 0,
): Uint8Array {
  const w = new MessageWriter(NLMSG_HDRLEN + payload.length + 4).begin(type, flags, seq, portId);
  w.raw(payload);
  return w.finish().slice();
}

/**
 * The ACK of `req`, as the kernel builds it for the socket (capped, or
 * echoing the request without NETLINK_CAP_ACK). Only needed where the
 * automatic ACK does not go: after a late reply, say, or in one datagram
 * with the reply ({@linkcode datagram}).
 *
 * @example
 * ```ts
 * import { ack, FakeKernel, later, reply } from "./mod.ts";
 * new FakeKernel((req) => later(10, reply(req, 16, new Uint8Array(16)), ack(req)));
 * ```
 */
export function ack(req: FakeRequest): Uint8Array {
  const s = req.socket;
  const m = req.message;
  const w = new MessageWriter(64).begin(NLMSG.ERROR, s.capAck ? NLM_F.CAPPED : 0, m.seq, s.portId);
  w.fixed(4); // errno 0
  w.raw(m.data.subarray(m.offset, m.offset + (s.capAck ? NLMSG_HDRLEN : m.length)));
  return w.finish().slice();
}

/**
 * Several messages in one datagram, back to back (each is padded to 4).
 *
 * @example
 * ```ts
 * import { ack, datagram, FakeKernel, reply } from "./mod.ts";
 * new FakeKernel((req) => datagram(reply(req, 16, new Uint8Array(16)), ack(req)));
 * ```
 */
export function datagram(...messages: Uint8Array[]): Uint8Array {
  const b = new Uint8Array(messages.reduce((n, m) => n + ((m.length + 3) & ~3), 0));
  let at = 0;
  for (const m of messages) (b.set(m, at), at += (m.length + 3) & ~3);
  return b;
}

/** The extended ACK an error carries (NLMSGERR_ATTR_*). */
export interface ExtAckSpec {
  /** NLMSGERR_ATTR_MSG: the text. */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: the offset of the bad attribute in the request. */
  offset?: number;
  /** NLMSGERR_ATTR_POLICY: the nested policy's contents, as bytes. */
  policy?: Uint8Array;
  /** NLMSGERR_ATTR_MISS_TYPE: the missing attribute's type. */
  missingType?: number;
  /** NLMSGERR_ATTR_MISS_NEST: the offset of the nest it is missing from. */
  missingNest?: number;
  /** NLMSGERR_ATTR_COOKIE. */
  cookie?: Uint8Array;
}

/**
 * An NLMSG_ERROR for `req` with `errno` (positive, e.g. 19 for ENODEV) and
 * the extended ACK, as the kernel builds it for the socket: the TLVs only
 * when it asked for them (NETLINK_EXT_ACK, which `NetlinkSocket` sets),
 * the request echoed whole without NETLINK_CAP_ACK.
 *
 * @example
 * ```ts
 * import { error, FakeKernel } from "./mod.ts";
 * new FakeKernel((req) => error(req, 22, { message: "Invalid values in header", offset: 20 }));
 * ```
 */
export function error(req: FakeRequest, errno: number, ext: ExtAckSpec = {}): Uint8Array {
  if (!Number.isInteger(errno) || errno <= 0) {
    throw new RangeError(`errno must be a positive integer, got ${errno}`);
  }
  const s = req.socket;
  const m = req.message;
  const tlvs = s.extAck && Object.values(ext).some((v) => v !== undefined);
  const w = new MessageWriter(256).begin(
    NLMSG.ERROR,
    (s.capAck ? NLM_F.CAPPED : 0) | (tlvs ? NLM_F.ACK_TLVS : 0),
    m.seq,
    s.portId,
  );
  w.view.setInt32(w.fixed(4), -errno, true);
  w.raw(m.data.subarray(m.offset, m.offset + (s.capAck ? NLMSG_HDRLEN : m.length)));
  if (tlvs) {
    if (ext.message !== undefined) w.string(NLMSGERR_ATTR.MSG, ext.message);
    if (ext.offset !== undefined) w.u32(NLMSGERR_ATTR.OFFS, ext.offset);
    if (ext.cookie !== undefined) w.put(NLMSGERR_ATTR.COOKIE, ext.cookie);
    if (ext.policy !== undefined) w.put(NLMSGERR_ATTR.POLICY | 0x8000, ext.policy);
    if (ext.missingType !== undefined) w.u32(NLMSGERR_ATTR.MISS_TYPE, ext.missingType);
    if (ext.missingNest !== undefined) w.u32(NLMSGERR_ATTR.MISS_NEST, ext.missingNest);
  }
  return w.finish().slice();
}

/** Options of {@linkcode dump}. */
export interface DumpReplyOptions {
  /** Flag the dump NLM_F_DUMP_INTR (its last message and DONE), as a racing change does. */
  interrupted?: boolean;
  /** Messages are packed into datagrams of up to this many bytes. Default 4096. */
  datagramSize?: number;
  /** A negative end: NLMSG_DONE carries this errno (positive). Default 0. */
  errno?: number;
  /** NLMSG_DONE in a datagram of its own, as rtnetlink's link dump sends it. Default false. */
  splitDone?: boolean;
}

/**
 * A multipart reply: one message of `type` per payload (NLM_F_MULTI),
 * packed into datagrams, then NLMSG_DONE; optionally interrupted.
 *
 * @example
 * ```ts
 * import { dump, FakeKernel } from "./mod.ts";
 * const RTM_NEWLINK = 16;
 * new FakeKernel((req) => dump(req, RTM_NEWLINK, [new Uint8Array(16), new Uint8Array(16)]));
 * ```
 */
export function dump(
  req: FakeRequest,
  type: number,
  payloads: readonly Uint8Array[],
  options: DumpReplyOptions = {},
): Uint8Array[] {
  const size = options.datagramSize ?? 4096;
  const intr = options.interrupted ? NLM_F.DUMP_INTR : 0;
  const msgs = payloads.map((p, i) =>
    reply(req, type, p, NLM_F.MULTI | (i === payloads.length - 1 ? intr : 0))
  );
  const end = new Uint8Array(4);
  new DataView(end.buffer).setInt32(0, -(options.errno ?? 0), true);
  msgs.push(reply(req, NLMSG.DONE, end, NLM_F.MULTI | intr));
  const out: Uint8Array[] = [];
  let part: Uint8Array[] = [];
  let used = 0;
  const flush = () => {
    if (!part.length) return;
    const b = new Uint8Array(used);
    let at = 0;
    for (const m of part) (b.set(m, at), at += m.length);
    out.push(b);
    part = [];
    used = 0;
  };
  for (const m of msgs) {
    if (used + m.length > size || (options.splitDone && m === msgs[msgs.length - 1])) flush();
    part.push(m);
    used += m.length; // message() pads to 4
  }
  flush();
  return out;
}

/**
 * A multicast to `group` (a number), sent by the kernel to every socket
 * of the requester's protocol that joined it: an event a request causes.
 *
 * @example
 * ```ts
 * import { FakeKernel, message, multicast } from "./mod.ts";
 * const RTNLGRP_LINK = 1;
 * new FakeKernel(() => multicast(RTNLGRP_LINK, message(16, new Uint8Array(16))));
 * ```
 */
export function multicast(group: number, bytes: Uint8Array): ReplyItem {
  if (!Number.isInteger(group) || group <= 0) throw new RangeError(`bad group ${group}`);
  return { kind: "multicast", group, bytes };
}

/**
 * A failed receive: the next read returns `-errno` (e.g. 9, EBADF).
 *
 * @example
 * ```ts
 * import { FakeKernel, receiveError } from "./mod.ts";
 * new FakeKernel(() => receiveError(9));
 * ```
 */
export function receiveError(errno: number): ReplyItem {
  return { kind: "error", errno };
}

/**
 * An overrun: the next read fails with ENOBUFS, as when the socket's
 * receive buffer overflowed; what is queued after it is still read.
 *
 * @example
 * ```ts
 * import { ack, FakeKernel, overrun } from "./mod.ts";
 * new FakeKernel((req) => [overrun(), ack(req)]);
 * ```
 */
export function overrun(): ReplyItem {
  return receiveError(105);
}

/**
 * A datagram that arrives cut (MSG_TRUNC): only its first `keep` bytes
 * (default: the first header) reach the slot, with its full length.
 * A datagram larger than the socket's receive slot is cut without this.
 *
 * @example
 * ```ts
 * import { FakeKernel, reply, truncated } from "./mod.ts";
 * new FakeKernel((req) => truncated(reply(req, 16, new Uint8Array(1000))));
 * ```
 */
export function truncated(bytes: Uint8Array, keep = NLMSG_HDRLEN): ReplyItem {
  return { kind: "datagram", bytes, sender: 0, group: 0, truncate: keep };
}

/**
 * Replies that arrive `ms` milliseconds after the request (a timer the
 * socket's close cancels). The automatic ACK is not added: put `ack(req)`
 * where it belongs.
 *
 * @example
 * ```ts
 * import { ack, FakeKernel, later, reply } from "./mod.ts";
 * new FakeKernel((req) => later(5, reply(req, 16, new Uint8Array(16)), ack(req)));
 * ```
 */
export function later(ms: number, ...replies: (Reply | readonly Reply[])[]): ReplyItem {
  return { kind: "later", ms, replies: flatten(replies) };
}

/**
 * Replies delivered on demand: return it from the handler, then call
 * {@linkcode Deferred.deliver} when the test wants the replies to arrive.
 * The automatic ACK is not added.
 *
 * @example
 * ```ts
 * import { ack, Deferred, FakeKernel, reply } from "./mod.ts";
 * const held = new Deferred();
 * let answer = () => {};
 * new FakeKernel((req) => {
 *   answer = () => held.deliver(reply(req, 16, new Uint8Array(16)), ack(req));
 *   return held;
 * });
 * ```
 */
export class Deferred {
  /** Tells a queue what this is. */
  readonly kind = "deferred" as const;
  #sink: ((replies: ReplyItem[]) => void) | undefined;
  #pending: ReplyItem[] | undefined;

  /** True once the replies went out (or there is no socket left for them). */
  delivered = false;

  /** Queues the replies on the socket the request came from. */
  deliver(...replies: (Reply | readonly Reply[])[]): void {
    if (this.delivered) throw new Error("Deferred replies already delivered");
    const items = flatten(replies);
    if (this.#sink) {
      this.delivered = true;
      this.#sink(items);
    } else this.#pending = items;
  }

  /** @internal Called by the kernel that queues it. */
  attach(sink: (replies: ReplyItem[]) => void): void {
    this.#sink = sink;
    if (this.#pending) {
      const p = this.#pending;
      this.#pending = undefined;
      this.delivered = true;
      sink(p);
    }
  }

  /** @internal The socket closed. */
  detach(): void {
    this.#sink = undefined;
  }
}
