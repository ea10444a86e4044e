/**
 * {@linkcode Demux}: the socket's demultiplexer, with no I/O. It keeps the
 * requests and dumps in flight (by sequence number), the event stream's
 * inbox, and decides where each message read goes: to the request or dump
 * it answers, to the event stream, or nowhere (a foreign sender, the rest
 * of a reply nobody waits for any more). It also hands out sequence
 * numbers and turns overruns into what each consumer gets.
 *
 * @module
 */
import { writeU16, writeU32 } from "../bytes.ts";
import { NLMSG, NLMSG_HDRLEN } from "../constants.ts";
import { Overrun, OverrunError } from "../errors.ts";
import { Message } from "../message.ts";
import { PendingTable } from "../pending.ts";
import { Inbox } from "../queue.ts";
import { isFinal } from "./collector.ts";

/** The counters the demultiplexer adds to (the socket's `stats`). */
export interface DemuxStats {
  /** Messages dropped because a process, not the kernel, sent them. */
  foreignDropped: number;
  /** Kernel-reported overruns (ENOBUFS). */
  overruns: number;
  /** Events dropped because nobody read them and the queue was full. */
  eventsDropped: number;
}

/** How a {@linkcode Demux} routes. */
export interface DemuxOptions {
  /** The socket's port id: replies carry it (or 0). */
  portId: number;
  /** Deliver messages from senders other than the kernel. Default false. */
  acceptForeign?: boolean;
  /** Events kept for a consumer that is not reading. Default 65536. */
  maxQueuedEvents?: number;
  /** The first sequence number to hand out. Default: a random one below 2^30. */
  firstSeq?: number;
}

// The reply-end rule is the collector's: a reply's last message settles its request.
export { isFinal } from "./collector.ts";

/**
 * What the event inbox holds where events were lost: a header of type
 * {@linkcode NLMSG}.OVERRUN (so the inbox holds messages only) that
 * carries the {@linkcode Overrun} the event stream yields in its place.
 *
 * @example
 * ```ts
 * import { OverrunMark } from "./demux.ts";
 * new OverrunMark("kernel").overrun.cause; // "kernel"
 * ```
 */
export class OverrunMark extends Message {
  /** What the event stream yields for it. */
  readonly overrun: Overrun;

  /** A mark for an overrun by `cause`. */
  constructor(cause: Overrun["cause"]) {
    const b = new Uint8Array(NLMSG_HDRLEN);
    writeU32(b, 0, NLMSG_HDRLEN);
    writeU16(b, 4, NLMSG.OVERRUN);
    super(b, 0, NLMSG_HDRLEN);
    this.overrun = new Overrun(cause);
  }
}

/**
 * The demultiplexer of one socket: pure state, no system calls. The
 * socket reads datagrams, parses messages and asks {@linkcode Demux.route}
 * where each goes.
 *
 * @example
 * ```ts
 * import { Demux } from "./demux.ts";
 * import { Message, MessageWriter } from "../../mod.ts";
 * const stats = { foreignDropped: 0, overruns: 0, eventsDropped: 0 };
 * const demux = new Demux({ portId: 42 }, stats);
 * const inbox = demux.register(false, false);
 * const w = new MessageWriter().begin(16, 0, inbox.seq, 42);
 * w.fixed(16);
 * const bytes = w.finish();
 * demux.route(new Message(bytes, 0, bytes.length)) === inbox; // true
 * ```
 */
export class Demux {
  /** The event stream's inbox: every message that answers no request. */
  readonly events: Inbox = new Inbox();
  /** Requests and dumps in flight, by sequence number. */
  readonly pending: PendingTable = new PendingTable();
  readonly #stats: DemuxStats;
  readonly #portId: number;
  readonly #acceptForeign: boolean;
  readonly #maxQueued: number;
  #seq: number;
  // Requests given up on (timeout, abort) whose reply may still come.
  #abandoned = 0;
  // The event queue is full: one overrun mark was queued, the rest dropped.
  #overflowing = false;

  /** A demultiplexer for the socket with `options.portId`, counting into `stats`. */
  constructor(options: DemuxOptions, stats: DemuxStats) {
    this.#stats = stats;
    this.#portId = options.portId;
    this.#acceptForeign = options.acceptForeign ?? false;
    this.#maxQueued = options.maxQueuedEvents ?? 65536;
    // Below 2^30: small integers stay unboxed in V8 (Map keys, comparisons).
    this.#seq = options.firstSeq ?? 1 + Math.floor(Math.random() * 0x3fff0000);
  }

  /** Forgets `inbox` at once (its request could not be sent). */
  forget(inbox: Inbox): void {
    this.pending.remove(inbox);
  }

  /** True when nothing is in flight. */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  /**
   * A sequence number for a request sent while nothing is in flight (the
   * socket's direct path): it takes no entry in the table.
   */
  directSeq(): number {
    const seq = this.#seq || 1;
    this.#seq = (seq + 1) & 0x3fffffff;
    return seq;
  }

  /** Registers a request or dump under a new sequence number (`inbox.seq`). */
  register(isDump: boolean, borrows: boolean): Inbox {
    let seq = this.#seq;
    while (seq === 0 || this.pending.get(seq)) seq = (seq + 1) >>> 0;
    this.#seq = (seq + 1) & 0x3fffffff;
    const inbox = new Inbox(isDump, borrows, seq);
    this.pending.add(inbox);
    return inbox;
  }

  /** Registers a request already sent with `seq` (by {@linkcode Demux.directSeq}). */
  adopt(seq: number, borrows: boolean): Inbox {
    const inbox = new Inbox(false, borrows, seq);
    this.pending.add(inbox);
    return inbox;
  }

  /**
   * The consumer of `inbox` is done with it. `finished`: its reply ended
   * (or was never sent); else the rest of the reply is still on its way and
   * is drained and dropped.
   */
  unregister(inbox: Inbox, finished: boolean): void {
    if (!inbox.live) return;
    // Its last message may have been routed already (queued, not taken).
    if (finished || inbox.over) {
      this.pending.remove(inbox);
    } else {
      inbox.discard = true;
      if (!inbox.isDump) this.#abandoned++;
    }
  }

  /** True while a dump nobody reads any more still runs in the kernel. */
  abandonedDump(): boolean {
    for (const inbox of this.pending) if (inbox.isDump && inbox.discard) return true;
    return false;
  }

  /**
   * Forgets abandoned dumps a cut datagram may have ended: for when nothing
   * more is queued (the kernel queues a dump's next part as the last one is
   * read, so such a dump's DONE was in the part that was cut).
   */
  dropCutDumps(): void {
    for (const inbox of this.pending) {
      if (inbox.isDump && inbox.discard && inbox.cut) this.pending.remove(inbox);
    }
  }

  /**
   * Where `m` goes: the inbox of the request or dump it answers, the event
   * stream's, or undefined (dropped: a foreign sender, or the rest of a
   * reply nobody waits for). A reply's last message settles its request.
   */
  route(m: Message): Inbox | undefined {
    if (m.sender !== 0 && !this.#acceptForeign) {
      this.#stats.foreignDropped++;
      return undefined;
    }
    if (m.group === 0 && m.seq !== 0 && (m.portId === this.#portId || m.portId === 0)) {
      const inbox = this.pending.get(m.seq);
      if (inbox) {
        if (isFinal(m)) this.settled(inbox);
        if (inbox.discard) return undefined;
        return inbox;
      }
    }
    return this.events;
  }

  /**
   * A datagram starting with header `first` arrived cut: when it belongs to
   * a dump in flight, that dump's end may be lost (see {@linkcode Demux.dropCutDumps}).
   */
  markCut(first: Message): void {
    const owner = first.group === 0 ? this.pending.get(first.seq) : undefined;
    if (owner?.isDump) owner.cut = true;
  }

  /**
   * A datagram arrived cut: `err` goes to the consumer its first header
   * (`first`, when it arrived) names, else to the event stream.
   */
  cut(first: Message | undefined, err: Error): void {
    const inbox = first ? this.route(first) : this.events;
    if (first) this.markCut(first);
    inbox?.fail(err);
  }

  /**
   * A datagram from `sender` holds a malformed message: the event stream
   * gets `err`, unless a foreign sender's message is dropped anyway.
   */
  malformed(err: Error, sender: number): void {
    if (sender === 0 || this.#acceptForeign) this.events.fail(err);
    else this.#stats.foreignDropped++;
  }

  /** A request or dump got its last message: forget drained ones it outlived. */
  settled(inbox: Inbox): void {
    inbox.over = true;
    const seq = inbox.seq;
    if (inbox.discard) {
      this.pending.remove(inbox);
      if (!inbox.isDump) this.#abandoned--;
    }
    if (inbox.isDump || this.#abandoned === 0) return;
    // The kernel answers a socket's requests in order: an abandoned request
    // sent before this one will get no reply any more.
    for (const other of this.pending) {
      const s = other.seq;
      if (other.discard && !other.isDump && ((seq - s) >>> 0) < 0x80000000 && s !== seq) {
        this.pending.remove(other);
        this.#abandoned--;
      }
    }
  }

  /**
   * Queues `m` for `inbox`; past `maxQueuedEvents` waiting events, events
   * are dropped (counted) and reported as one overrun.
   */
  deliver(inbox: Inbox, m: Message): void {
    if (inbox === this.events && inbox.size >= this.#maxQueued) {
      this.#stats.eventsDropped++;
      if (!this.#overflowing) {
        this.#overflowing = true;
        inbox.push(new OverrunMark("queue"));
      }
      return;
    }
    inbox.push(m);
  }

  /** The event stream's consumer took one: once there is room, drops are reported anew. */
  eventTaken(): void {
    if (this.#overflowing && this.events.size < this.#maxQueued) this.#overflowing = false;
  }

  /**
   * The kernel reported an overrun: the event stream gets an
   * {@linkcode Overrun}, requests an {@linkcode OverrunError} (their reply
   * may be what was dropped); dumps go on by themselves.
   */
  overrun(): void {
    this.#stats.overruns++;
    this.events.push(new OverrunMark("kernel"));
    const err = new OverrunError();
    for (const inbox of this.pending) {
      if (!inbox.isDump && !inbox.discard) inbox.fail(err);
    }
  }

  /** Every consumer, the event stream's too, gets `err` (a receive failed). */
  failAll(err: Error): void {
    for (const inbox of this.pending) inbox.fail(err);
    this.events.fail(err);
  }

  /** The socket closes: requests and dumps in flight get `err`, and the table empties. */
  close(err: Error): void {
    for (const inbox of this.pending) inbox.fail(err);
    this.pending.clear();
  }
}
