/**
 * {@linkcode NetlinkSocket}: requests, dumps and event streams over one
 * AF_NETLINK socket, with cancellation on every wait.
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
import { errorOf, parseAck, parseDone } from "./ack.ts";
import { align4, readU32, view, writeU16, writeU32 } from "./bytes.ts";
import { NETLINK_OPT, NLM_F, NLMSG, NLMSG_HDRLEN, SOL_NETLINK } from "./constants.ts";
import {
  ClosedError,
  DumpInterruptedError,
  type ExtAck,
  type ParseError,
  SyscallError,
  TruncatedError,
} from "./errors.ts";
import { checkHeader, Message, retarget } from "./message.ts";
import { Inbox } from "./queue.ts";
import { Demux, isFinal } from "./socket/demux.ts";
import { loadSys, type Receiver, type Sys } from "./sys.ts";
import { messageBytes, type MessageInput } from "./message_init.ts";

const SOCK_RAW = 3;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SO_SNDBUF = 7;
const SO_SNDBUFFORCE = 32;
const EINTR = 4;
const EAGAIN = 11;
const ENOBUFS = 105;
const MSG_TRUNC = 0x20;
const BLOCK_SIZE = 64 * 1024;
const DEFAULT_EVENT_BUFFER = 32 << 20;
/** How long event bursts gather between reads (ms). */
const COALESCE_MS = 1;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Options of {@linkcode NetlinkSocket.open}. */
export interface OpenOptions {
  /** Multicast groups to join (group numbers, not masks; any number works). */
  groups?: readonly number[];
  /**
   * Network namespace to open the socket in: a name under `/var/run/netns`
   * (as `ip netns add` makes) or a path such as `/proc/PID/ns/net`. Only
   * the socket moves; the process stays where it is.
   */
  netns?: string;
  /**
   * Receive buffer to ask for, in bytes: `SO_RCVBUFFORCE` when the process
   * has CAP_NET_ADMIN, else `SO_RCVBUF` (capped by `rmem_max`). Read
   * {@linkcode NetlinkSocket.receiveBufferSize} for what was granted.
   * Default: 32 MiB for a socket that joins groups (event bursts should not
   * overrun it; the memory is only used while events wait), else the
   * kernel's default.
   */
  receiveBufferSize?: number;
  /**
   * Send buffer to ask for, in bytes (`SO_SNDBUFFORCE` with CAP_NET_ADMIN,
   * else `SO_SNDBUF`, capped by `wmem_max`). A netlink message, or a batch
   * sent as one datagram, must fit in it. Default: the kernel's.
   */
  sendBufferSize?: number;
  /** Ask for extended ACKs (error text and offsets). Default true. */
  extAck?: boolean;
  /** Do not echo the request's payload in errors (`NETLINK_CAP_ACK`). Default true. */
  capAck?: boolean;
  /** Strict checking of dump requests (`NETLINK_GET_STRICT_CHK`). Default true. */
  strict?: boolean;
  /** Ask the kernel not to report overruns (`NETLINK_NO_ENOBUFS`). Default false. */
  noEnobufs?: boolean;
  /**
   * Deliver messages from senders other than the kernel (port id != 0).
   * Default false: the socket is connected to the kernel, so the kernel
   * refuses unicast from other sockets (their send fails with
   * ECONNREFUSED), and multicast they send is dropped and counted in
   * {@linkcode NetlinkSocket.stats}.
   */
  acceptForeign?: boolean;
  /** Datagrams read per `recvmmsg` call (dumps and events). Default 16. */
  batch?: number;
  /** Initial receive slot size in bytes; it grows when a datagram is cut. Default 32768. */
  slotSize?: number;
  /**
   * Events kept for a consumer that is not reading (e.g. while only
   * requests run). Past it, events are dropped and reported as one overrun
   * item. Default 65536.
   */
  maxQueuedEvents?: number;
  /** Closes the socket when aborted. */
  signal?: AbortSignal;
  /**
   * Datagrams are not netlink messages (`NETLINK_KOBJECT_UEVENT`): each one
   * is delivered whole to the event stream as {@linkcode Message.raw}.
   * Requests and dumps are not available. Default false.
   */
  raw?: boolean;
  /**
   * The system calls to use instead of the runtime's (e.g. a fake kernel
   * from `./testing`). Default: the runtime's FFI backend.
   */
  sys?: Sys;
}

/** Options of every wait: cancellation and a time limit. */
export interface WaitOptions {
  /** Ends the wait with the signal's reason. */
  signal?: AbortSignal;
  /** Ends the wait with a `TimeoutError` DOMException after this many ms. */
  timeoutMs?: number;
}

/**
 * Turns one reply into what the caller keeps. It runs while the message
 * may still be in the socket's receive buffer, before anything else is
 * read: the `Message` (and any view of its bytes) is only valid during the
 * call, so return values or copies, never views. In exchange nothing is
 * copied or allocated for the message beyond the `Message` itself (the
 * callback model of libmnl's `mnl_cb_run`).
 */
export type ReplyMapper<T> = (message: Message) => T;

/** Options of {@linkcode NetlinkSocket.request}. */
export interface RequestOptions extends WaitOptions {
  /**
   * Set NLM_F_ACK and resolve at the ACK (default true). With false, the
   * request resolves at its first reply that is not NLM_F_MULTI, or at
   * NLMSG_DONE: for protocols that do not acknowledge.
   */
  ack?: boolean;
}

/** Options of a request whose replies go through a {@linkcode ReplyMapper}. */
export interface MappedRequestOptions<T> extends RequestOptions {
  /** Maps each reply while it is in the receive buffer; the request resolves with the results. */
  map: ReplyMapper<T>;
}

/** Options of {@linkcode NetlinkSocket.dump}. */
export interface DumpOptions extends WaitOptions {
  /**
   * When set, the dump is buffered and retried up to this many times if the
   * kernel flags it interrupted (NLM_F_DUMP_INTR); messages are yielded only
   * from a consistent attempt. Without it the dump streams, and an
   * interruption throws {@linkcode DumpInterruptedError} at the end.
   */
  retries?: number;
  /**
   * Called with the NLMSG_DONE (or final ACK) when the kernel attached an
   * extended ACK to a dump that succeeded: a warning, such as ethtool's
   * "failed to retrieve link settings". The message is valid during the call.
   */
  onWarning?: (extAck: ExtAck, message: Message) => void;
}

/** Options of a dump whose messages go through a {@linkcode ReplyMapper}. */
export interface MappedDumpOptions<T> extends DumpOptions {
  /** Maps each message while it is in the receive buffer; the dump yields the results. */
  map: ReplyMapper<T>;
}

/** Counters of what the socket dropped or saw go wrong. */
export interface SocketStats {
  /**
   * Messages dropped because a process, not the kernel, sent them (multicast;
   * the kernel refuses their unicast unless `acceptForeign` is set).
   */
  foreignDropped: number;
  /** Kernel-reported overruns (ENOBUFS). */
  overruns: number;
  /** Events dropped because nobody read them and the queue was full. */
  eventsDropped: number;
  /** Datagrams cut because they were larger than the receive slot. */
  truncated: number;
}

function groupNumber(mask: number): number {
  // The kernel reports the group as a mask; one bit is set (0 above 32).
  return mask === 0 ? 0 : 32 - Math.clz32(mask & -mask);
}

function waitUntil(wake: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    wake.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

interface Deadline {
  signal: AbortSignal | undefined;
  cancel(): void;
}

const NO_DEADLINE: Deadline = { signal: undefined, cancel() {} };

function deadline(options: WaitOptions): Deadline {
  const { signal, timeoutMs } = options;
  if (timeoutMs === undefined) return signal ? { signal, cancel() {} } : NO_DEADLINE;
  const ctl = new AbortController();
  const timer = setTimeout(
    () => ctl.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  const onAbort = () => ctl.abort(signal!.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ctl.signal,
    cancel() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** A request in flight: what it asked for and what it got so far. */
class Call<T> {
  readonly ack: boolean;
  readonly map: ReplyMapper<T> | undefined;
  readonly limit: Deadline;
  /** Made with the first reply, at its size: most requests get one. */
  replies: (T | Message)[] | undefined;
  inbox: Inbox | undefined;
  interrupted = 0;
  finished = false;

  constructor(ack: boolean, map: ReplyMapper<T> | undefined, limit: Deadline) {
    this.ack = ack;
    this.map = map;
    this.limit = limit;
  }
}

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
export class NetlinkSocket implements AsyncIterable<Message>, AsyncDisposable {
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
  readonly #acceptForeign: boolean;
  // Connected to the kernel and never in a group: every datagram is the
  // kernel's unicast, so a reply is read without its source address.
  #fromKernel: boolean;
  readonly #batch: number;
  readonly #raw: boolean;
  readonly #demux: Demux;
  // The demultiplexer's event inbox, read on every routed message.
  readonly #events: Inbox;
  readonly #waiting = new Set<Inbox>();
  #receiver: Receiver;
  #slotSize: number;
  #poll: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;
  #unlisten: (() => void) | undefined;
  // The datagrams of the last receive and the parse position in them.
  #count = 0;
  #slot = 0;
  // The datagram being parsed: in a receive slot until a message of it
  // must be kept (then #own copies it into #block).
  #data: Uint8Array = new Uint8Array(0);
  #owned = true;
  // True while a mapper runs over a message in the receive buffer.
  #lending = false;
  // The Message that messages parsed in the receive buffer are lent as.
  readonly #lent = new Message(new Uint8Array(NLMSG_HDRLEN), 0, NLMSG_HDRLEN);
  #block: Uint8Array = new Uint8Array(0);
  #lastWake = 0;
  #blockPos = 0;
  #off = 0;
  #end = 0;
  #sender = 0;
  #group = 0;

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
    this.#acceptForeign = options.acceptForeign ?? false;
    this.#fromKernel = !this.#acceptForeign && !options.groups?.length;
    this.#demux = new Demux({
      portId,
      acceptForeign: this.#acceptForeign,
      maxQueuedEvents: options.maxQueuedEvents,
    }, this.stats);
    this.#events = this.#demux.events;
    this.#batch = options.batch ?? 16;
    this.#raw = options.raw ?? false;
    this.#slotSize = options.slotSize ?? 32768;
    this.#receiver = sys.receiver(this.#batch, this.#slotSize);
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
    const ns = options.netns;
    const path = ns === undefined || ns.includes("/") ? ns : `/var/run/netns/${ns}`;
    const fd = sys.socket(protocol, SOCK_RAW, path);
    if (fd < 0) throw new SyscallError("socket", fd, path);
    let wakeFd = -1;
    try {
      wakeFd = sys.eventfd();
      if (wakeFd < 0) throw new SyscallError("eventfd", wakeFd);
      const rcvbuf = options.receiveBufferSize ??
        (options.groups?.length ? DEFAULT_EVENT_BUFFER : undefined);
      if (rcvbuf !== undefined) setReceiveBuffer(sys, fd, rcvbuf);
      if (options.sendBufferSize !== undefined) {
        if (sys.setInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, options.sendBufferSize) < 0) {
          check(
            "setsockopt",
            sys.setInt(fd, SOL_SOCKET, SO_SNDBUF, options.sendBufferSize),
            "SO_SNDBUF",
          );
        }
      }
      // Best effort: older kernels lack some of these, and they only refine errors.
      if (options.extAck ?? true) sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.EXT_ACK, 1);
      if (options.capAck ?? true) sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.CAP_ACK, 1);
      if (options.strict ?? true) sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.GET_STRICT_CHK, 1);
      if (options.noEnobufs) {
        check("setsockopt", sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.NO_ENOBUFS, 1));
      }
      check("bind", sys.bind(fd, 0));
      // Connected to the kernel, the socket gets unicast from nobody else:
      // the kernel refuses it at the sender (ECONNREFUSED), so another
      // process can neither spoof a reply nor fill the queue.
      if (!options.acceptForeign) check("connect", sys.connect(fd));
      for (const g of options.groups ?? []) {
        check(
          "setsockopt",
          sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.ADD_MEMBERSHIP, g),
          `join group ${g}`,
        );
      }
      const portId = sys.portId(fd);
      check("getsockname", portId);
      return new NetlinkSocket(sys, protocol, fd, wakeFd, portId, options);
    } catch (e) {
      sys.close(fd);
      if (wakeFd >= 0) sys.close(wakeFd);
      throw e;
    }
  }

  /** True once {@linkcode NetlinkSocket.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The receive buffer the kernel granted (`SO_RCVBUF`), in bytes. */
  get receiveBufferSize(): number {
    this.#open();
    const n = this.#sys.getInt(this.#fd, SOL_SOCKET, SO_RCVBUF);
    check("getsockopt", n);
    return n;
  }

  /** Joins multicast group `group` (a number, not a mask). */
  join(group: number): void {
    this.#open();
    // From now on (even after leave(), with multicast still queued) every
    // datagram's source address is read.
    this.#fromKernel = false;
    check(
      "setsockopt",
      this.#sys.setInt(this.#fd, SOL_NETLINK, NETLINK_OPT.ADD_MEMBERSHIP, group),
      `join group ${group}`,
    );
  }

  /** Leaves multicast group `group`. */
  leave(group: number): void {
    this.#open();
    check(
      "setsockopt",
      this.#sys.setInt(this.#fd, SOL_NETLINK, NETLINK_OPT.DROP_MEMBERSHIP, group),
      `leave group ${group}`,
    );
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
      const bytes = this.#prepare(message, NLM_F.REQUEST | (ack ? NLM_F.ACK : 0), "request()");
      // Both bits: alone, 0x100 and 0x200 are other flags in requests that
      // change state (NLM_F_REPLACE, NLM_F_EXCL, NLM_F_NONREC, NLM_F_BULK).
      const isDump = ((bytes[6] | (bytes[7] << 8)) & NLM_F.DUMP) === NLM_F.DUMP;
      if (!isDump && this.#idle()) return this.#direct(bytes, ack, options);
      const limit = deadline(options);
      const call = new Call<T>(ack, options.map, limit);
      if (isDump && this.#demux.abandonedDump()) {
        // Sent later: the caller may reuse its buffer (or writer) meanwhile.
        const copy = bytes.slice();
        return this.#dumpTurn(limit).then(() => this.#issue(call, copy, isDump));
      }
      return this.#issue(call, bytes, isDump);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Sends a request and reads its replies while they are already queued
   * (the kernel answers most requests within the send): only a request
   * that must wait for its reply goes on asynchronously.
   */
  #issue<T>(call: Call<T>, bytes: Uint8Array, isDump: boolean): Promise<(T | Message)[]> {
    const inbox = call.inbox = this.#register(bytes, isDump, call.map !== undefined);
    try {
      this.#sendRequest(bytes, inbox);
    } catch (e) {
      this.#endCall(call);
      return Promise.reject(e);
    }
    return this.#finish(call);
  }

  /**
   * True when a request may take {@linkcode NetlinkSocket.#direct}: nothing
   * else is in flight, every datagram read so far was parsed, and every
   * datagram comes from the kernel (connected, in no group), so the next
   * ones are this request's replies unless proven otherwise.
   */
  #idle(): boolean {
    return this.#fromKernel && !this.#raw && !this.#closed && !this.#lending &&
      this.#demux.idle && this.#off >= this.#end && this.#slot + 1 >= this.#count;
  }

  /**
   * A request on an idle socket, without the bookkeeping of concurrent
   * ones: no inbox and no entry in the pending table while its replies
   * arrive as usual (each alone in its datagram, for its sequence number).
   * Anything else (no reply queued yet, a receive error, an unusual
   * datagram) hands the request over to the general path, registered then,
   * with the datagram in hand.
   */
  #direct<T>(
    bytes: Uint8Array,
    ack: boolean,
    options: RequestOptions & { map?: ReplyMapper<T> },
  ): Promise<(T | Message)[]> {
    const seq = this.#demux.directSeq(); // nothing is pending: no sequence number is taken
    writeU32(bytes, 8, seq);
    const sent = this.#sys.sendTo(this.#fd, bytes, 0, 0);
    if (sent < 0) throw new SyscallError("send", sent);
    const rx = this.#freeReceiver();
    const map = options.map;
    let replies: (T | Message)[] | undefined;
    for (;;) {
      const n = rx.receive(this.#fd, 1, true);
      const m = n === 1 ? this.#sole(seq) : undefined;
      if (
        m === undefined || m.type === NLMSG.DONE || m.type === NLMSG.NOOP ||
        m.flags & NLM_F.DUMP_INTR
      ) {
        return this.#handOver(seq, ack, options, replies, n);
      }
      if (m.type === NLMSG.ERROR) {
        const { errno, extAck } = parseAck(m);
        if (errno !== 0) throw errorOf(m, errno, extAck);
        return Promise.resolve(replies ?? []);
      }
      let reply: T | Message;
      try {
        reply = map ? this.#map(map, m) : this.#keep(m);
      } catch (e) {
        if (ack || m.flags & NLM_F.MULTI) {
          // The rest of the reply is on its way: drain it.
          this.#demux.unregister(this.#demux.adopt(seq, false), false);
        }
        throw e;
      }
      if (replies) replies.push(reply);
      else replies = [reply];
      if (!ack && !(m.flags & NLM_F.MULTI)) return Promise.resolve(replies);
    }
  }

  /**
   * The general path takes over a request {@linkcode NetlinkSocket.#direct}
   * began: registered now with the replies so far, it goes on from the
   * receive that returned `n` (1: its datagram is parsed the general way).
   */
  #handOver<T>(
    seq: number,
    ack: boolean,
    options: RequestOptions & { map?: ReplyMapper<T> },
    replies: (T | Message)[] | undefined,
    n: number,
  ): Promise<(T | Message)[]> {
    const call = new Call<T>(ack, options.map, deadline(options));
    call.replies = replies;
    call.inbox = this.#demux.adopt(seq, call.map !== undefined);
    if (n === 1) {
      this.#count = 1;
      this.#slot = 0;
      this.#openSlot();
    } else if (n !== -EAGAIN && n !== -EINTR) {
      this.#receiveFailed(n, 1);
    }
    return this.#finish(call);
  }

  /**
   * Reads a request's replies while they are queued; then waits for the
   * rest in {@linkcode NetlinkSocket.#finishLater}.
   */
  #finish<T>(call: Call<T>): Promise<(T | Message)[]> {
    const inbox = call.inbox!;
    try {
      for (;;) {
        const m = this.#takeNow(inbox, call.limit.signal, true);
        if (m === null) return this.#finishLater(call);
        if (this.#accept(call, m)) {
          this.#endCall(call);
          return Promise.resolve(call.replies ?? []);
        }
      }
    } catch (e) {
      this.#endCall(call);
      return Promise.reject(e);
    }
  }

  /** The rest of a request whose next reply was not queued yet: waits for each. */
  async #finishLater<T>(call: Call<T>): Promise<(T | Message)[]> {
    const inbox = call.inbox!;
    const signal = call.limit.signal;
    try {
      let m: Message | undefined | null = await this.#takeLater(inbox, signal);
      while (!this.#accept(call, m)) {
        m = this.#takeNow(inbox, signal, true);
        if (m === null) m = await this.#takeLater(inbox, signal);
      }
      return call.replies ?? [];
    } finally {
      this.#endCall(call);
    }
  }

  /** Takes one reply into `call`; true once the request is answered. */
  #accept<T>(call: Call<T>, m: Message | undefined): boolean {
    if (m === undefined) throw new ClosedError();
    call.interrupted |= m.flags & NLM_F.DUMP_INTR;
    const type = m.type;
    if (type === NLMSG.ERROR) {
      call.finished = true;
      const { errno, extAck } = parseAck(m);
      if (errno !== 0) throw errorOf(m, errno, extAck);
      return true;
    }
    if (type === NLMSG.DONE) {
      // A multi-part reply ends here: the kernel acknowledges no dump.
      call.finished = true;
      const { errno, extAck } = parseDone(m);
      if (errno !== 0) throw errorOf(m, errno, extAck);
      if (call.interrupted) throw new DumpInterruptedError(call.replies ?? [], 1);
      return true;
    }
    if (type === NLMSG.NOOP) return false;
    const map = call.map;
    const reply = map ? this.#map(map, m) : m;
    if (call.replies) call.replies.push(reply);
    else call.replies = [reply];
    if (!call.ack && !(m.flags & NLM_F.MULTI)) return call.finished = true;
    return false;
  }

  #endCall<T>(call: Call<T>): void {
    call.limit.cancel();
    if (call.inbox) this.#demux.unregister(call.inbox, call.finished);
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
    const bytes = this.#prepare(message, NLM_F.REQUEST | NLM_F.DUMP, "dump()").slice();
    if (options.retries === undefined) return this.#stream(bytes, options, options.map);
    return this.#buffered(bytes, options, options.retries, options.map);
  }

  async *#buffered<T>(
    bytes: Uint8Array,
    options: DumpOptions,
    retries: number,
    map: ReplyMapper<T> | undefined,
  ): AsyncGenerator<T | Message> {
    for (let attempt = 1;; attempt++) {
      const got: (T | Message)[] = [];
      try {
        for await (const m of this.#stream(bytes, options, map)) got.push(m);
      } catch (e) {
        if (!(e instanceof DumpInterruptedError)) throw e;
        if (attempt > retries) throw new DumpInterruptedError(got, attempt);
        continue;
      }
      yield* got;
      return;
    }
  }

  #stream<T>(
    bytes: Uint8Array,
    options: DumpOptions,
    map: ReplyMapper<T> | undefined,
  ): AsyncIterableIterator<T | Message> {
    let inbox: Inbox | undefined;
    let limit: Deadline | undefined;
    let finished = false;
    let interrupted = false;
    // replyOver: the kernel sent the last message; else drain what is left.
    const end = (replyOver: boolean) => {
      finished = true;
      if (!inbox) return;
      limit!.cancel();
      this.#demux.unregister(inbox, replyOver);
      inbox = undefined;
    };
    const done = { value: undefined, done: true } as const;
    const iterator: AsyncIterableIterator<T | Message> = {
      next: async () => {
        if (finished) return done;
        if (!inbox) {
          limit = deadline(options);
          try {
            await this.#dumpTurn(limit);
          } catch (e) {
            finished = true;
            throw e;
          }
          inbox = this.#register(bytes, true, map !== undefined);
          try {
            this.#sendRequest(bytes, inbox);
          } catch (e) {
            end(true);
            throw e;
          }
        }
        try {
          // Another consumer may have queued this dump's messages: an abort
          // or close still ends it at the next call.
          if (this.#closed) throw new ClosedError();
          limit!.signal?.throwIfAborted();
          for (;;) {
            let m = this.#takeNow(inbox, limit!.signal, true);
            if (m === null) m = await this.#takeLater(inbox, limit!.signal);
            if (m === undefined) throw new ClosedError();
            if (m.flags & NLM_F.DUMP_INTR) interrupted = true;
            if (m.type === NLMSG.DONE || m.type === NLMSG.ERROR) {
              end(true);
              const { errno, extAck } = m.type === NLMSG.DONE ? parseDone(m) : parseAck(m);
              if (errno !== 0) throw errorOf(m, errno, extAck);
              if (Object.keys(extAck).length) options.onWarning?.(extAck, m);
              if (interrupted) throw new DumpInterruptedError([], 1);
              return done;
            }
            if (m.type === NLMSG.NOOP) continue;
            return { value: map ? this.#map(map, m) : m, done: false };
          }
        } catch (e) {
          if (!finished) end(false);
          throw e;
        }
      },
      return: () => {
        end(false);
        return Promise.resolve(done);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
  }

  /**
   * The event stream: every message that is not the answer to a request
   * (multicast events, unsolicited messages). An overrun (ENOBUFS, or
   * events dropped while nobody read them) arrives as a message of type
   * {@linkcode NLMSG}.OVERRUN, and the stream goes on: re-dump whatever
   * state you keep in step. The stream ends when the socket closes.
   * One consumer at a time: concurrent iterators share one stream.
   *
   * @example
   * ```ts ignore
   * import { NETLINK, NetlinkSocket, NLMSG } from "../mod.ts";
   * await using sock = NetlinkSocket.open(NETLINK.ROUTE, { groups: [1] });
   * for await (const ev of sock.events({ signal: AbortSignal.timeout(5000) })) {
   *   if (ev.type === NLMSG.OVERRUN) console.log("lost events: resync");
   * }
   * ```
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<Message> {
    const inbox = this.#events;
    const done = { value: undefined, done: true } as const;
    let ended = false;
    return {
      next: async () => {
        if (ended) return done;
        options.signal?.throwIfAborted(); // even with events queued
        let m = this.#takeNow(inbox, options.signal, true);
        if (m === null) m = await this.#takeLater(inbox, options.signal);
        this.#demux.eventTaken();
        if (m === undefined) {
          ended = true;
          return done;
        }
        return { value: m, done: false };
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
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.events();
  }

  /**
   * Closes the socket: pending waits end at once (requests and dumps with
   * {@linkcode ClosedError}, event streams as done), then the descriptors
   * are released. Safe to call more than once.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#unlisten?.();
    const err = new ClosedError();
    this.#demux.close(err);
    for (const w of this.#waiting) w.wake?.();
    this.#closing = (async () => {
      if (this.#poll) {
        this.#sys.wake(this.#wakeFd);
        await this.#poll;
      }
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
    if (this.#closed) throw new ClosedError();
  }

  /**
   * Before a dump is sent: reads abandoned dumps to their end. The kernel
   * runs one dump at a time per socket and answers another with EBUSY, and
   * it only builds a dump's next part as the last one is read: left alone,
   * a dump someone stopped reading would make every later dump fail. On
   * failure (close, abort, timeout) `limit` is cancelled.
   */
  async #dumpTurn(limit: Deadline): Promise<void> {
    if (!this.#demux.abandonedDump()) return;
    const none = new Inbox(); // routes get nothing here: every message goes to its owner
    try {
      while (this.#demux.abandonedDump()) {
        if (this.#closed) throw new ClosedError();
        limit.signal?.throwIfAborted();
        this.#pump(none, false);
        // Nothing queued (#pump reads until EAGAIN): see Demux.dropCutDumps.
        if (this.#count === 0) this.#demux.dropCutDumps();
        if (this.#demux.abandonedDump()) await this.#readable(none, limit.signal);
      }
    } catch (e) {
      limit.cancel();
      throw e;
    }
  }

  /** Runs a mapper; meanwhile nothing overwrites the receive buffer. */
  #map<T>(map: ReplyMapper<T>, m: Message): T {
    const lending = this.#lending;
    this.#lending = true;
    try {
      return map(m);
    } finally {
      this.#lending = lending;
    }
  }

  /** Checks one message is there, sets `flags` on it, returns its bytes. */
  #prepare(message: MessageInput, flags: number, caller: string): Uint8Array {
    const bytes = messageBytes(message, caller);
    const len = checkHeader(bytes, 0, bytes.length);
    if (align4(len) < bytes.length) {
      throw new TypeError("request() and dump() take exactly one message: use send() for several");
    }
    writeU16(bytes, 6, (bytes[6] | (bytes[7] << 8)) | flags);
    return bytes;
  }

  #register(
    bytes: Uint8Array,
    isDump: boolean,
    borrows: boolean,
  ): Inbox {
    this.#open();
    const inbox = this.#demux.register(isDump, borrows);
    writeU32(bytes, 8, inbox.seq);
    return inbox;
  }

  #sendRequest(bytes: Uint8Array, inbox: Inbox): void {
    const n = this.#sys.sendTo(this.#fd, bytes, 0, 0);
    if (n < 0) {
      this.#demux.forget(inbox);
      throw new SyscallError("send", n);
    }
  }

  /**
   * The next message for `inbox` once it had to wait (after
   * {@linkcode NetlinkSocket.#takeNow} returned null); `undefined` means the
   * socket closed.
   */
  async #takeLater(inbox: Inbox, signal: AbortSignal | undefined): Promise<Message | undefined> {
    for (;;) {
      await this.#readable(inbox, signal);
      // Owned: other consumers may read on before this one resumes.
      const m = this.#takeNow(inbox, signal, false);
      if (m !== null) return m;
    }
  }

  /**
   * A message, `undefined` when closed, or null when it must wait. With
   * `borrow`, the caller uses the message before anything else runs, so it
   * may stay in the receive buffer (see {@linkcode NetlinkSocket.#pump}).
   */
  #takeNow(
    inbox: Inbox,
    signal: AbortSignal | undefined,
    borrow: boolean,
  ): Message | undefined | null {
    for (;;) {
      const queued = inbox.shift();
      if (queued) return queued;
      if (inbox.error) {
        const e = inbox.error;
        inbox.error = undefined;
        throw e;
      }
      if (this.#closed) return undefined;
      signal?.throwIfAborted();
      const m = this.#pump(inbox, borrow);
      if (m) return m;
      if (!inbox.size && !inbox.error) return null;
    }
  }

  /** Waits until the socket may be readable or `inbox` got something. */
  async #readable(inbox: Inbox, signal: AbortSignal | undefined): Promise<void> {
    if (
      inbox === this.#events && this.#demux.idle &&
      performance.now() - this.#lastWake < COALESCE_MS
    ) {
      // Events are arriving in a burst: let a millisecond's worth gather and
      // read them in one go, rather than pay for a poll per event.
      await (signal ? waitUntil(sleep(COALESCE_MS), signal) : sleep(COALESCE_MS));
      this.#lastWake = 0;
      return;
    }
    const woken = new Promise<void>((resolve) => (inbox.wake = resolve));
    this.#waiting.add(inbox);
    this.#poll ??= this.#startPoll();
    try {
      await (signal ? waitUntil(woken, signal) : woken);
    } finally {
      inbox.wake = undefined;
      this.#waiting.delete(inbox);
      // Nobody left to read: end the poll so it keeps nothing alive.
      if (this.#waiting.size === 0 && this.#polling() && !this.#closed) {
        this.#sys.wake(this.#wakeFd);
      }
    }
  }

  #polling(): boolean {
    return this.#poll !== undefined;
  }

  #startPoll(): Promise<void> {
    return this.#sys.wait(this.#fd, this.#wakeFd).then((bits) => {
      this.#poll = undefined;
      if (bits & 1) this.#lastWake = performance.now();
      if (bits & 2) this.#sys.drain(this.#wakeFd);
      for (const w of this.#waiting) w.wake?.();
    });
  }

  /**
   * Reads and routes messages until `taker` gets one (returned), or the
   * queue is empty or something was delivered to `taker` another way
   * (undefined: look in the inbox, or wait).
   */
  #pump(taker: Inbox, borrow: boolean): Message | undefined {
    for (;;) {
      while (this.#off < this.#end) {
        const m = this.#parseNext();
        if (m === undefined) continue;
        const inbox = this.#demux.route(m);
        if (inbox === undefined) continue;
        if (inbox === taker) {
          // A request or dump reads its ACK or DONE at once, and a mapping
          // consumer maps before reading on: both may borrow the bytes.
          if (
            this.#owned ||
            (borrow && (taker.borrows || (taker !== this.#events && isFinal(m))))
          ) return m;
          return this.#own(m);
        }
        this.#demux.deliver(inbox, this.#own(m));
      }
      if (taker.size || taker.error) return undefined;
      if (++this.#slot < this.#count) {
        this.#openSlot();
        continue;
      }
      // A mapper still reads a message in the receive buffer: keep it.
      if (this.#lending) return undefined;
      // A request waits for one reply and its ACK: one datagram per call
      // costs the kernel least. Dumps and events take what is queued.
      const max = taker.seq !== 0 && !taker.isDump ? 1 : this.#batch;
      const n = this.#freeReceiver().receive(this.#fd, max, this.#fromKernel);
      if (n > 0) {
        this.#count = n;
        this.#slot = 0;
        if (max === 1 && borrow) {
          const m = this.#soleReply(taker);
          if (m) return m;
        }
        this.#openSlot();
        continue;
      }
      this.#count = 0;
      if (n === -EAGAIN) return undefined;
      if (n === -EINTR || this.#receiveFailed(n, max)) continue;
      return undefined;
    }
  }

  /**
   * The receiver, for a caller that parsed every datagram it read (so it is
   * free): replaced first when a cut datagram asked for bigger slots.
   */
  #freeReceiver(): Receiver {
    if (this.#receiver.slotSize < this.#slotSize) {
      this.#receiver = this.#sys.receiver(this.#batch, this.#slotSize);
    }
    return this.#receiver;
  }

  /**
   * A receive of up to `max` datagrams failed with `n` (not EAGAIN or
   * EINTR): an overrun (true: reading goes on), or an error every waiter
   * gets (false).
   */
  #receiveFailed(n: number, max: number): boolean {
    if (n === -ENOBUFS) {
      this.#demux.overrun();
      return true;
    }
    const call = max > 1 ? "recvmmsg" : this.#fromKernel ? "recv" : "recvfrom";
    const err = new SyscallError(call, n);
    this.#demux.failAll(err);
    return false;
  }

  /**
   * A request's usual answer, taken without the general parse and route:
   * the one datagram read holds exactly one message, from the kernel,
   * unicast, for `taker`'s sequence number and this port, and the taker
   * may borrow it. Else undefined, and the datagram goes the general way.
   */
  #soleReply(taker: Inbox): Message | undefined {
    if (this.#raw) return undefined; // datagrams without netlink headers
    const m = this.#sole(taker.seq);
    if (m === undefined) return undefined;
    const final = isFinal(m);
    if (!taker.borrows && !final) return undefined;
    this.#off = this.#end = 0;
    if (final) this.#demux.settled(taker);
    return m;
  }

  /**
   * The one datagram just read as the usual reply to request `seq`, lent
   * in the receive buffer: exactly one message, whole, from the kernel,
   * unicast, for `seq` and this port. Else undefined.
   */
  #sole(seq: number): Message | undefined {
    const rx = this.#receiver;
    const meta = rx.meta;
    const len = meta[0];
    if (
      meta[1] & MSG_TRUNC || meta[2] !== 0 || meta[3] !== 0 || len < NLMSG_HDRLEN ||
      len > rx.slotSize
    ) return undefined;
    const data = rx.slots[0];
    if (readU32(data, 0) !== len || readU32(data, 8) !== seq) return undefined;
    const portid = readU32(data, 12);
    if (portid !== this.portId && portid !== 0) return undefined;
    return retarget(this.#lent, data, 0, len, 0, 0);
  }

  /** `m`, lent by {@linkcode NetlinkSocket.#sole}, as an owned copy. */
  #keep(m: Message): Message {
    this.#data = m.data;
    this.#owned = false;
    this.#off = this.#end = m.length;
    return this.#own(m);
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
      this.#truncated(rx.slots[this.#slot], len);
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
   * `m` as a message that may be kept: when it is still in the receive
   * buffer, the datagram's rest (from `m` on) is copied out once, into a
   * shared block, and parsing goes on there. Blocks are never reused, so
   * messages stay valid; one allocation per block, not per datagram (each
   * allocation costs microseconds under Deno).
   */
  #own(m: Message): Message {
    if (this.#owned) return m;
    const at = this.#copyOut(m.offset);
    return new Message(this.#data, at, m.length, m.sender, m.group, m.headerSize === 0);
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
    const data = this.#data;
    block.set(view(data, from, this.#end), at);
    this.#blockPos = (at + len + 7) & ~7;
    this.#data = block;
    this.#owned = true;
    this.#off = at + (this.#off - from);
    this.#end = at + len;
    return at;
  }

  #truncated(slot: Uint8Array, len: number): void {
    this.stats.truncated++;
    const err = new TruncatedError(len, this.#receiver.slotSize);
    // Route the error by the first header, which did arrive.
    let inbox: Inbox | undefined = this.#events;
    if (!this.#raw && slot.length >= NLMSG_HDRLEN) {
      const first = new Message(slot, 0, NLMSG_HDRLEN, this.#sender, this.#group);
      inbox = this.#demux.route(first);
      this.#demux.markCut(first);
    }
    inbox?.fail(err);
    while (this.#slotSize < len) this.#slotSize *= 2;
  }

  #parseNext(): Message | undefined {
    const data = this.#data;
    const off = this.#off;
    const end = this.#end;
    if (this.#raw) {
      this.#off = end;
      return new Message(data, off, end - off, this.#sender, this.#group, true);
    }
    let len: number;
    try {
      len = checkHeader(data, off, end);
    } catch (e) {
      this.#off = end;
      if (this.#sender === 0 || this.#acceptForeign) this.#events.fail(e as ParseError);
      else this.stats.foreignDropped++;
      return undefined;
    }
    this.#off = off + align4(len);
    // A message still in the receive buffer is copied (#own) before anyone
    // may keep it, so the one lent to takers can be reused.
    if (!this.#owned && !this.#lending) {
      return retarget(this.#lent, data, off, len, this.#sender, this.#group);
    }
    return new Message(data, off, len, this.#sender, this.#group);
  }
}

function check(syscall: string, result: number, detail?: string): void {
  if (result < 0) throw new SyscallError(syscall, result, detail);
}

function setReceiveBuffer(sys: Sys, fd: number, size: number): void {
  if (sys.setInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size) >= 0) return;
  check("setsockopt", sys.setInt(fd, SOL_SOCKET, SO_RCVBUF, size), "SO_RCVBUF");
}
