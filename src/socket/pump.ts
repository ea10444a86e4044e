/**
 * {@linkcode Pump}: the socket's read loop. It joins the parts: the
 * {@linkcode DatagramReader} reads and parses, the `Demux` says where each
 * message goes, the {@linkcode Waiter} waits when nothing is queued. A
 * consumer (a request, a dump, the event stream) takes its next message
 * with {@linkcode Pump.takeNow} while messages are queued, and
 * {@linkcode Pump.takeLater} once it must wait; whatever is read on the
 * way is delivered to its owner.
 *
 * @module
 */
import { writeU32 } from "../bytes.ts";
import { ClosedError, SyscallError } from "../errors.ts";
import type { Message } from "../message.ts";
import { Inbox } from "../queue.ts";
import type { Sys } from "../sys.ts";
import { isFinal } from "./collector.ts";
import { Demux, type DemuxStats } from "./demux.ts";
import { DatagramReader, type ReaderOptions } from "./reader.ts";
import { type Deadline, Waiter } from "./waiter.ts";

const EINTR = 4;
const EAGAIN = 11;
const ENOBUFS = 105;

/** How a {@linkcode Pump} reads and routes. */
export interface PumpOptions extends ReaderOptions {
  /** The socket's port id. */
  portId: number;
  /** Deliver messages from senders other than the kernel. */
  acceptForeign?: boolean;
  /** Events kept for a consumer that is not reading. */
  maxQueuedEvents?: number;
}

/**
 * The read loop of one socket over its descriptor `fd`.
 *
 * @example
 * ```ts
 * import { Pump } from "./pump.ts";
 * import { FakeKernel } from "../testing/mod.ts";
 * const sys = new FakeKernel(() => []);
 * const stats = { foreignDropped: 0, overruns: 0, eventsDropped: 0, truncated: 0 };
 * const pump = new Pump(sys, sys.socket(0, 3), sys.eventfd(), { portId: 1 }, stats);
 * pump.takeNow(pump.events, undefined, true); // null: nothing queued, wait
 * await pump.close();
 * ```
 */
export class Pump {
  /** Where messages go. */
  readonly demux: Demux;
  /** Where they come from. */
  readonly reader: DatagramReader;
  /** The event stream's inbox. */
  readonly events: Inbox;
  readonly #sys: Sys;
  readonly #fd: number;
  readonly #waiter: Waiter;
  /** The socket's port id. */
  readonly portId: number;
  #closed = false;

  /** A read loop for socket `fd` (eventfd `wakeFd` ends its poll), counting into `stats`. */
  constructor(
    sys: Sys,
    fd: number,
    wakeFd: number,
    options: PumpOptions,
    stats: DemuxStats & { truncated: number },
  ) {
    this.#sys = sys;
    this.#fd = fd;
    this.portId = options.portId;
    this.demux = new Demux(options, stats);
    this.events = this.demux.events;
    this.reader = new DatagramReader(sys, fd, options, this.demux, stats);
    this.#waiter = new Waiter(sys, fd, wakeFd);
  }

  /** True once {@linkcode Pump.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * True when a request may skip the bookkeeping of concurrent ones (the
   * direct path): nothing else is in flight and the next datagram read is
   * the kernel's answer to whatever is sent now.
   */
  get idle(): boolean {
    return !this.#closed && this.demux.idle && this.reader.idle;
  }

  /** Sends a request to the kernel; throws {@linkcode SyscallError}. */
  send(bytes: Uint8Array): void {
    const n = this.#sys.sendTo(this.#fd, bytes, 0, 0);
    if (n < 0) throw new SyscallError("send", n);
  }

  /** Registers a request or dump and writes its sequence number into `bytes`. */
  register(bytes: Uint8Array, isDump: boolean, borrows: boolean): Inbox {
    if (this.#closed) throw new ClosedError();
    const inbox = this.demux.register(isDump, borrows);
    writeU32(bytes, 8, inbox.seq);
    return inbox;
  }

  /** Sends a registered request; on failure it is forgotten and this throws. */
  sendRegistered(bytes: Uint8Array, inbox: Inbox): void {
    const n = this.#sys.sendTo(this.#fd, bytes, 0, 0);
    if (n < 0) {
      this.demux.forget(inbox);
      throw new SyscallError("send", n);
    }
  }

  /**
   * The general path takes over request `seq` that the direct path sent:
   * registered now, it goes on from the receive that returned `n` (1: its
   * datagram is parsed the general way).
   */
  adopt(seq: number, borrows: boolean, n: number): Inbox {
    const inbox = this.demux.adopt(seq, borrows);
    if (n === 1) this.reader.open();
    else if (n !== -EAGAIN && n !== -EINTR) this.#receiveFailed(n, 1);
    return inbox;
  }

  /** The direct path gave up request `seq` before its reply ended: the rest is drained. */
  abandon(seq: number): void {
    this.demux.unregister(this.demux.adopt(seq, false), false);
  }

  /** A consumer is done with `inbox`; `finished`: its reply ended (else it is drained). */
  release(inbox: Inbox, finished: boolean): void {
    this.demux.unregister(inbox, finished);
  }

  /**
   * Before a dump is sent: reads abandoned dumps to their end. The kernel
   * runs one dump at a time per socket and answers another with EBUSY, and
   * it only builds a dump's next part as the last one is read: left alone,
   * a dump someone stopped reading would make every later dump fail. On
   * failure (close, abort, timeout) `limit` is cancelled.
   */
  async dumpTurn(limit: Deadline): Promise<void> {
    if (!this.demux.abandonedDump()) return;
    const none = new Inbox(); // routes get nothing here: every message goes to its owner
    try {
      while (this.demux.abandonedDump()) {
        if (this.#closed) throw new ClosedError();
        limit.signal?.throwIfAborted();
        this.#pump(none, false);
        // Nothing queued (#pump reads until EAGAIN): see Demux.dropCutDumps.
        if (this.reader.empty) this.demux.dropCutDumps();
        if (this.demux.abandonedDump()) await this.#readable(none, limit.signal);
      }
    } catch (e) {
      limit.cancel();
      throw e;
    }
  }

  /**
   * The next message for `inbox` once it had to wait (after
   * {@linkcode Pump.takeNow} returned null); `undefined` means the
   * socket closed.
   */
  async takeLater(inbox: Inbox, signal: AbortSignal | undefined): Promise<Message | undefined> {
    for (;;) {
      await this.#readable(inbox, signal);
      // Owned: other consumers may read on before this one resumes.
      const m = this.takeNow(inbox, signal, false);
      if (m !== null) return m;
    }
  }

  /**
   * A message, `undefined` when closed, or null when it must wait. With
   * `borrow`, the caller uses the message before anything else runs, so it
   * may stay in the receive buffer.
   */
  takeNow(
    inbox: Inbox,
    signal: AbortSignal | undefined,
    borrow: boolean,
  ): Message | undefined | null {
    for (;;) {
      const queued = inbox.shift();
      if (queued) return queued;
      if (inbox.error) throw inbox.takeError();
      if (this.#closed) return undefined;
      signal?.throwIfAborted();
      const m = this.#pump(inbox, borrow);
      if (m) return m;
      if (!inbox.size && !inbox.error) return null;
    }
  }

  /**
   * A dump's usual parts, taken without the general parse and route: hands
   * `take` each message for `inbox` that {@linkcode DatagramReader.takeParts}
   * takes, reading on (a batch at a time) while they are queued; or, unless
   * `across`, those of the next datagram that has any. Returns when
   * anything else comes (left for {@linkcode Pump.takeNow}: the DONE, an
   * error, another consumer's message, nothing queued).
   */
  takeParts(inbox: Inbox, keep: boolean, across: boolean, take: (m: Message) => void): void {
    const reader = this.reader;
    const batch = reader.batch;
    for (;;) {
      if (inbox.size || inbox.error || this.#closed || reader.lending) return;
      const taken = reader.takeParts(inbox.seq, this.portId, keep, across, take);
      if (taken < 0 || (taken > 0 && !across)) return;
      if (!across && reader.nextDatagram()) continue;
      const n = reader.receive(batch);
      if (n > 0) reader.open();
      else if (n === -EAGAIN || !(n === -EINTR || this.#receiveFailed(n, batch))) return;
    }
  }

  /**
   * Closes: requests and dumps in flight get {@linkcode ClosedError},
   * waiting consumers wake; resolves once no poll watches the descriptors.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.demux.close(new ClosedError());
    return this.#waiter.close();
  }

  #readable(inbox: Inbox, signal: AbortSignal | undefined): Promise<void> {
    return this.#waiter.readable(inbox, signal, inbox === this.events && this.demux.idle);
  }

  /**
   * Reads and routes messages until `taker` gets one (returned), or the
   * queue is empty or something was delivered to `taker` another way
   * (undefined: look in the inbox, or wait).
   */
  #pump(taker: Inbox, borrow: boolean): Message | undefined {
    const reader = this.reader;
    const demux = this.demux;
    for (;;) {
      let m: Message | undefined;
      while ((m = reader.parse()) !== undefined) {
        const inbox = demux.route(m);
        if (inbox === undefined) continue;
        if (inbox === taker) {
          // A request or dump reads its ACK or DONE at once, and a mapping
          // consumer maps before reading on: both may borrow the bytes.
          if (
            reader.owned ||
            (borrow && (taker.borrows || (taker !== this.events && isFinal(m))))
          ) return m;
          return reader.own(m);
        }
        demux.deliver(inbox, reader.own(m));
      }
      if (taker.size || taker.error) return undefined;
      if (reader.nextDatagram()) continue;
      // A mapper still reads a message in the receive buffer: keep it.
      if (reader.lending) return undefined;
      // A request waits for one reply and its ACK: one datagram per call
      // costs the kernel least. Dumps and events take what is queued.
      const max = taker.seq !== 0 && !taker.isDump ? 1 : reader.batch;
      const n = reader.receive(max);
      if (n > 0) {
        if (max === 1 && borrow) {
          const m = this.#soleReply(taker);
          if (m) return m;
        }
        reader.open();
        continue;
      }
      if (n === -EAGAIN) return undefined;
      if (n === -EINTR || this.#receiveFailed(n, max)) continue;
      return undefined;
    }
  }

  /**
   * A request's usual answer, taken without the general parse and route:
   * the one datagram read holds exactly one message, from the kernel,
   * unicast, for `taker`'s sequence number and this port, and the taker
   * may borrow it. Else undefined, and the datagram goes the general way.
   */
  #soleReply(taker: Inbox): Message | undefined {
    const m = this.reader.sole(taker.seq, this.portId);
    if (m === undefined) return undefined;
    const final = isFinal(m);
    if (!taker.borrows && !final) return undefined;
    if (final) this.demux.settled(taker);
    return m;
  }

  /**
   * A receive of up to `max` datagrams failed with `n` (not EAGAIN or
   * EINTR): an overrun (true: reading goes on), or an error every waiter
   * gets (false).
   */
  #receiveFailed(n: number, max: number): boolean {
    if (n === -ENOBUFS) {
      this.demux.overrun();
      return true;
    }
    const call = max > 1 ? "recvmmsg" : this.reader.fromKernel ? "recv" : "recvfrom";
    this.demux.failAll(new SyscallError(call, n));
    return false;
  }
}
