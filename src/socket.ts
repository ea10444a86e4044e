/**
 * {@linkcode NetlinkSocket}: requests, dumps and event streams over one
 * AF_NETLINK socket, with cancellation on every wait. The facade over the
 * parts in `socket/`: the datagram reader (`reader.ts`), the demultiplexer
 * (`demux.ts`), the waiter (`waiter.ts`), the read loop that joins them
 * (`pump.ts`), the reply-end rule (`collector.ts`), the consumers
 * (`request.ts`, `dump.ts`; the event stream is here), the socket's
 * system calls at open (`setup.ts`) and the public option types
 * (`options.ts`).
 *
 * Receive path (measured best under FFI): the socket is non-blocking; data
 * is read with synchronous calls (`recv`, or `recvfrom` once the socket may
 * get datagrams from others, while a request waits for its reply;
 * `recvmmsg` for dumps and events; all `MSG_DONTWAIT`), and only when the
 * queue is empty does one asynchronous `poll([socket, eventfd])` run.
 * Writing the eventfd ends that poll: that is how waits are cancelled and
 * how `close()` avoids closing an fd a poll still watches.
 *
 * @module
 */
import { align4, writeU16 } from "./bytes.ts";
import { NLM_F } from "./constants.ts";
import { ClosedError, type Overrun } from "./errors.ts";
import { checkHeader, type Message } from "./message.ts";
import { messageBytes, type MessageInput } from "./message_init.ts";
import { loadSys, type Sys } from "./sys.ts";
import { OverrunMark } from "./socket/demux.ts";
import { buffered, stream } from "./socket/dump.ts";
import type {
  DumpOptions,
  MappedDumpOptions,
  MappedRequestOptions,
  OpenOptions,
  ReplyMapper,
  RequestOptions,
  SocketStats,
} from "./socket/options.ts";
import { Pump } from "./socket/pump.ts";
import { request } from "./socket/request.ts";
import { check, membership, receiveBufferSize, setUp } from "./socket/setup.ts";

export type {
  DumpOptions,
  MappedDumpOptions,
  MappedRequestOptions,
  OpenOptions,
  ReplyMapper,
  RequestOptions,
  SocketStats,
  WaitOptions,
} from "./socket/options.ts";

/**
 * A netlink socket. Requests, dumps and the event stream may run at the
 * same time on one socket: replies are matched to their request by
 * sequence number and port id, and everything else (multicast events,
 * unsolicited messages) goes to the event stream.
 *
 * Every message it hands out is an owned copy (one copy per datagram, not
 * per message) that may be kept. Requests and dumps given a `map` callback
 * skip that copy: the callback reads each message in the receive buffer.
 *
 * @example
 * ```ts ignore
 * import { MessageWriter, NETLINK, NetlinkSocket, NLM_F } from "../mod.ts";
 * const RTM_GETLINK = 18;
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
 * const w = new MessageWriter().begin(RTM_GETLINK, NLM_F.DUMP);
 * w.fixed(16); // struct ifinfomsg
 * for await (const msg of sock.dump(w)) {
 *   console.log(msg.type, msg.length);
 * }
 * ```
 */
export class NetlinkSocket implements AsyncIterable<Message | Overrun>, AsyncDisposable {
  /** The netlink protocol number the socket was opened with. */
  readonly protocol: number;
  /** The port id the kernel assigned to this socket. */
  readonly portId: number;
  /** What was dropped or went wrong so far. */
  readonly stats: SocketStats = {
    foreignDropped: 0,
    overruns: 0,
    eventsDropped: 0,
    truncated: 0,
  };

  readonly #sys: Sys;
  readonly #fd: number;
  readonly #wakeFd: number;
  readonly #pump: Pump;
  #closing: Promise<void> | undefined;
  #unlisten: (() => void) | undefined;

  private constructor(
    sys: Sys,
    protocol: number,
    fd: number,
    wakeFd: number,
    portId: number,
    options: OpenOptions,
  ) {
    this.#sys = sys;
    this.protocol = protocol;
    this.#fd = fd;
    this.#wakeFd = wakeFd;
    this.portId = portId;
    const acceptForeign = options.acceptForeign ?? false;
    this.#pump = new Pump(sys, fd, wakeFd, {
      portId,
      acceptForeign,
      maxQueuedEvents: options.maxQueuedEvents,
      batch: options.batch,
      slotSize: options.slotSize,
      raw: options.raw,
      // Connected to the kernel and never in a group: every datagram is the
      // kernel's unicast, so a reply is read without its source address.
      fromKernel: !acceptForeign && !options.groups?.length,
    }, this.stats);
    const signal = options.signal;
    if (signal) {
      const onAbort = () => void this.close();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#unlisten = () => signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Opens a socket for a netlink `protocol` ({@linkcode NETLINK}), binds it
   * (the kernel picks the port id), sets the options and joins the groups.
   * Throws {@linkcode SyscallError} when a step fails (e.g. `ENOENT` for a
   * missing netns, `EPERM` for a group that needs privileges).
   *
   * @example
   * ```ts ignore
   * import { NETLINK, NetlinkSocket } from "../mod.ts";
   * const RTNLGRP_LINK = 1;
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE, {
   *   groups: [RTNLGRP_LINK],
   *   netns: "blue",
   *   receiveBufferSize: 8 << 20,
   * });
   * for await (const event of sock) console.log(event.type);
   * ```
   */
  static open(protocol: number, options: OpenOptions = {}): NetlinkSocket {
    options.signal?.throwIfAborted();
    const sys = options.sys ?? loadSys();
    const { fd, wakeFd, portId } = setUp(sys, protocol, options);
    return new NetlinkSocket(sys, protocol, fd, wakeFd, portId, options);
  }

  /** True once {@linkcode NetlinkSocket.close} was called. */
  get closed(): boolean {
    return this.#pump.closed;
  }

  /** The receive buffer the kernel granted (`SO_RCVBUF`), in bytes. */
  get receiveBufferSize(): number {
    this.#open();
    return receiveBufferSize(this.#sys, this.#fd);
  }

  /** Joins multicast group `group` (a number, not a mask). */
  join(group: number): void {
    this.#open();
    // From now on (even after leave(), with multicast still queued) every
    // datagram's source address is read.
    this.#pump.reader.readSenders();
    membership(this.#sys, this.#fd, group, true);
  }

  /** Leaves multicast group `group`. */
  leave(group: number): void {
    this.#open();
    membership(this.#sys, this.#fd, group, false);
  }

  /**
   * Sends bytes as they are: one message or several back to back (a
   * writer's, or one `MessageInit`). To the kernel by default;
   * `portId`/`groups` address another socket or a group. Nothing is set
   * in the header: flags and sequence number go as given.
   *
   * @example
   * ```ts ignore
   * import { NETLINK, NetlinkSocket, NLM_F } from "../mod.ts";
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
   * sock.send({ type: 18 /* RTM_GETLINK *\/, flags: NLM_F.REQUEST, payload: new Uint8Array(16) });
   * ```
   */
  send(message: MessageInput, to: { portId?: number; groups?: number } = {}): void {
    this.#open();
    const bytes = messageBytes(message, "send()");
    const portId = to.portId ?? 0;
    const groups = to.groups ?? 0;
    const n = this.#sys.sendTo(this.#fd, bytes, portId, groups);
    // To the kernel, the bytes go without an address: send(2).
    check(portId === 0 && groups === 0 ? "send" : "sendto", n);
  }

  /**
   * Sends one request and resolves with its replies (owned) once the kernel
   * acknowledges it. NLM_F_REQUEST and NLM_F_ACK are set and the sequence
   * number assigned, in `message`'s bytes. An error reply rejects with
   * {@linkcode NetlinkError} (errno, code, extended-ACK text and offset).
   * With a `signal` aborted already, it rejects before anything is sent.
   *
   * A message with NLM_F_DUMP set (both of its bits) gets its whole
   * multi-part reply, up to NLMSG_DONE, with one promise rather than one
   * per message (faster than {@linkcode NetlinkSocket.dump} when every
   * message is kept anyway); a reply flagged NLM_F_DUMP_INTR rejects with
   * {@linkcode DumpInterruptedError}, which carries the replies.
   *
   * @example
   * ```ts ignore
   * import { MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
   * const w = new MessageWriter().begin(18 /* RTM_GETLINK *\/);
   * const ifi = w.fixed(16);
   * w.view.setInt32(ifi + 4, 1, true); // ifindex 1: lo
   * const [link] = await sock.request(w, { timeoutMs: 1000 });
   * ```
   */
  request(message: MessageInput, options?: RequestOptions): Promise<Message[]>;
  /**
   * The same, with each reply turned into `T` by `options.map` while it is
   * still in the receive buffer: nothing is copied (see
   * {@linkcode ReplyMapper} for what the callback may keep).
   *
   * @example
   * ```ts ignore
   * import { MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
   * const w = new MessageWriter().begin(18 /* RTM_GETLINK *\/);
   * w.view.setInt32(w.fixed(16) + 4, 1, true); // ifindex 1: lo
   * const [mtu] = await sock.request(w, {
   *   map: (m) => {
   *     const ad = m.attributes(16);
   *     while (ad.next()) if (ad.type === 4 /* IFLA_MTU *\/) return ad.u32();
   *   },
   * });
   * ```
   */
  request<T>(
    message: MessageInput,
    options: MappedRequestOptions<T>,
  ): Promise<T[]>;
  request<T>(
    message: MessageInput,
    options: RequestOptions & { map?: ReplyMapper<T> } = {},
  ): Promise<(T | Message)[]> {
    try {
      options.signal?.throwIfAborted();
      const ack = options.ack ?? true;
      const bytes = prepare(message, NLM_F.REQUEST | (ack ? NLM_F.ACK : 0), "request()");
      // Both bits: alone, 0x100 and 0x200 are other flags in requests that
      // change state (NLM_F_REPLACE, NLM_F_EXCL, NLM_F_NONREC, NLM_F_BULK).
      const isDump = ((bytes[6] | (bytes[7] << 8)) & NLM_F.DUMP) === NLM_F.DUMP;
      return request(this.#pump, bytes, ack, isDump, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Sends a dump request (NLM_F_REQUEST | NLM_F_DUMP are set) and yields the
   * multi-part reply up to NLMSG_DONE. An error reply throws
   * {@linkcode NetlinkError}; a dump flagged NLM_F_DUMP_INTR throws
   * {@linkcode DumpInterruptedError} after its last message, or is retried
   * when `retries` is given. Leaving the loop early is safe: the rest of the
   * reply is drained and dropped, at the latest before the socket's next
   * dump starts. The kernel runs one dump at a time per socket: a dump
   * started while another is still being read rejects with EBUSY.
   *
   * @example
   * ```ts ignore
   * import { MessageWriter, NETLINK, NetlinkSocket, NLM_F } from "../mod.ts";
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
   * const w = new MessageWriter().begin(26 /* RTM_GETROUTE *\/, NLM_F.DUMP);
   * w.fixed(12); // struct rtmsg
   * let routes = 0;
   * for await (const _ of sock.dump(w, { retries: 3 })) routes++;
   * ```
   */
  dump(message: MessageInput, options?: DumpOptions): AsyncIterableIterator<Message>;
  /**
   * The same, with each message turned into `T` by `options.map` while it
   * is still in the receive buffer: nothing is copied (see
   * {@linkcode ReplyMapper} for what the callback may keep).
   *
   * @example
   * ```ts ignore
   * import { MessageWriter, NETLINK, NetlinkSocket, NLM_F } from "../mod.ts";
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
   * const w = new MessageWriter().begin(18 /* RTM_GETLINK *\/, NLM_F.DUMP);
   * w.fixed(16);
   * const indexes = sock.dump(w, { map: (m) => m.payload[4] | (m.payload[5] << 8) });
   * for await (const index of indexes) console.log(index);
   * ```
   */
  dump<T>(
    message: MessageInput,
    options: MappedDumpOptions<T>,
  ): AsyncIterableIterator<T>;
  dump<T>(
    message: MessageInput,
    options: DumpOptions & { map?: ReplyMapper<T> } = {},
  ): AsyncIterableIterator<T | Message> {
    const bytes = prepare(message, NLM_F.REQUEST | NLM_F.DUMP, "dump()").slice();
    const pump = this.#pump;
    if (options.retries === undefined) return stream(pump, bytes, options, options.map);
    return buffered(pump, bytes, options, options.retries, options.map);
  }

  /**
   * The event stream: every message that is not the answer to a request
   * (multicast events, unsolicited messages). An overrun (ENOBUFS, or
   * events dropped while nobody read them) arrives as an
   * {@linkcode Overrun} item, and the stream goes on: re-dump whatever
   * state you keep in step. The stream ends when the socket closes.
   * One consumer at a time: concurrent iterators share one stream.
   *
   * @example
   * ```ts ignore
   * import { NETLINK, NetlinkSocket, Overrun } from "../mod.ts";
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE, { groups: [1] });
   * for await (const ev of sock.events({ signal: AbortSignal.timeout(5000) })) {
   *   if (ev instanceof Overrun) console.log("lost events: resync");
   *   else console.log(ev.type);
   * }
   * ```
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<Message | Overrun> {
    const pump = this.#pump;
    const inbox = pump.events;
    const done = { value: undefined, done: true } as const;
    let ended = false;
    return {
      next: async () => {
        if (ended) return done;
        options.signal?.throwIfAborted(); // even with events queued
        let m = pump.takeNow(inbox, options.signal, true);
        if (m === null) m = await pump.takeLater(inbox, options.signal);
        pump.demux.eventTaken();
        if (m === undefined) {
          ended = true;
          return done;
        }
        return { value: m instanceof OverrunMark ? m.overrun : m, done: false };
      },
      return: () => {
        ended = true;
        return Promise.resolve(done);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** The event stream, as {@linkcode NetlinkSocket.events} without options. */
  [Symbol.asyncIterator](): AsyncIterator<Message | Overrun> {
    return this.events();
  }

  /**
   * Closes the socket: pending waits end at once (requests and dumps with
   * {@linkcode ClosedError}, event streams as done), then the descriptors
   * are released. Safe to call more than once.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#unlisten?.();
    const polled = this.#pump.close();
    this.#closing = (async () => {
      await polled;
      this.#sys.close(this.#fd);
      this.#sys.close(this.#wakeFd);
    })();
    return this.#closing;
  }

  /** Same as {@linkcode NetlinkSocket.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #open(): void {
    if (this.#pump.closed) throw new ClosedError();
  }
}

/** Checks one message is there, sets `flags` on it, returns its bytes. */
function prepare(message: MessageInput, flags: number, caller: string): Uint8Array {
  const bytes = messageBytes(message, caller);
  const len = checkHeader(bytes, 0, bytes.length);
  if (align4(len) < bytes.length) {
    throw new TypeError("request() and dump() take exactly one message: use send() for several");
  }
  writeU16(bytes, 6, (bytes[6] | (bytes[7] << 8)) | flags);
  return bytes;
}
