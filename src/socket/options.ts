/**
 * The public types of {@linkcode NetlinkSocket}'s options and counters.
 *
 * @module
 */
import type { ExtAck } from "../errors.ts";
import type { Message } from "../message.ts";
import type { Sys } from "../sys.ts";

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
