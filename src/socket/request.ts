/**
 * A request and its replies, the consumer behind `NetlinkSocket.request`.
 * On an idle socket it takes the direct path: sent with a sequence number
 * that takes no entry in the pending table, its replies read one datagram
 * at a time while each is the usual one. Anything else is the general
 * path: registered, its replies read (and whatever else arrives routed)
 * by the {@linkcode Pump}. Both judge each reply with one
 * {@linkcode ReplyCollector}.
 *
 * @module
 */
import { writeU32 } from "../bytes.ts";
import { ClosedError } from "../errors.ts";
import type { Message } from "../message.ts";
import type { Inbox } from "../queue.ts";
import { ReplyCollector, VERDICT } from "./collector.ts";
import type { ReplyMapper, RequestOptions } from "./options.ts";
import type { Pump } from "./pump.ts";
import { type Deadline, deadline } from "./waiter.ts";

// Plain numbers in the hot loops (a property load per message otherwise).
const { END, LAST, SKIP } = VERDICT;

type Replies<T> = Promise<(T | Message)[]>;

/**
 * Sends request `bytes` (its header's flags set, one message) on `pump`'s
 * socket and resolves with its replies; `ack`: it asked for an ACK;
 * `isDump`: it asked for a dump (the kernel runs one at a time).
 *
 * @example
 * ```ts
 * import { request } from "./request.ts";
 * import { Pump } from "./pump.ts";
 * import { MessageWriter, NLM_F } from "../../mod.ts";
 * import { FakeKernel } from "../testing/mod.ts";
 * using sys = new FakeKernel(() => []); // every request gets its ACK
 * const fd = sys.socket(0, 3);
 * sys.bind(fd, 0);
 * const stats = { foreignDropped: 0, overruns: 0, eventsDropped: 0, truncated: 0 };
 * const pump = new Pump(sys, fd, sys.eventfd(), { portId: sys.portId(fd) }, stats);
 * const bytes = new MessageWriter().begin(18, NLM_F.REQUEST | NLM_F.ACK).finish();
 * await request(pump, bytes, true, false, {}); // []
 * ```
 */
export function request<T>(
  pump: Pump,
  bytes: Uint8Array,
  ack: boolean,
  isDump: boolean,
  options: RequestOptions & { map?: ReplyMapper<T> },
): Replies<T> {
  const reply = new ReplyCollector<T>(ack, options.map);
  if (!isDump && pump.idle) return direct(pump, bytes, reply, options);
  const limit = deadline(options);
  if (isDump && pump.demux.abandonedDump()) {
    // Sent later: the caller may reuse its buffer (or writer) meanwhile.
    const copy = bytes.slice();
    return pump.dumpTurn(limit).then(() => issue(pump, reply, limit, copy, isDump));
  }
  return issue(pump, reply, limit, bytes, isDump);
}

/** A request on the general path: its reply so far, its inbox, its wait's limits. */
interface Call<T> {
  readonly reply: ReplyCollector<T>;
  readonly inbox: Inbox;
  readonly limit: Deadline;
}

/**
 * A request on an idle socket, without the bookkeeping of concurrent
 * ones: no inbox and no entry in the pending table while its replies
 * arrive as usual (each alone in its datagram, for its sequence number).
 * Anything else (no reply queued yet, a receive error, an unusual
 * datagram) hands the request over to the general path, registered then,
 * with the datagram in hand.
 */
function direct<T>(
  pump: Pump,
  bytes: Uint8Array,
  reply: ReplyCollector<T>,
  options: RequestOptions,
): Replies<T> {
  const seq = pump.demux.directSeq(); // nothing is pending: no sequence number is taken
  writeU32(bytes, 8, seq);
  pump.send(bytes);
  const reader = pump.reader;
  const portId = pump.portId;
  const map = reply.map;
  for (;;) {
    const n = reader.receive(1);
    const m = n === 1 ? reader.sole(seq, portId) : undefined;
    if (m === undefined) {
      // The general path takes over, with what was read so far.
      const inbox = pump.adopt(seq, map !== undefined, n);
      return finish(pump, { reply, inbox, limit: deadline(options) });
    }
    const verdict = reply.judge(m);
    if (verdict === END) return Promise.resolve(reply.replies);
    if (verdict === SKIP) continue;
    try {
      reply.add(map ? reader.map(map, m) : reader.keep(m));
    } catch (e) {
      // The rest of the reply is on its way: drain it.
      if (!reply.finished) pump.abandon(seq);
      throw e;
    }
    if (verdict === LAST) return Promise.resolve(reply.replies);
  }
}

/**
 * Sends a request and reads its replies while they are already queued
 * (the kernel answers most requests within the send): only a request
 * that must wait for its reply goes on asynchronously.
 */
function issue<T>(
  pump: Pump,
  reply: ReplyCollector<T>,
  limit: Deadline,
  bytes: Uint8Array,
  isDump: boolean,
): Replies<T> {
  let inbox: Inbox;
  try {
    inbox = pump.register(bytes, isDump, reply.map !== undefined);
    pump.sendRegistered(bytes, inbox); // forgets the inbox when it fails
  } catch (e) {
    limit.cancel();
    return Promise.reject(e);
  }
  return finish(pump, { reply, inbox, limit });
}

/** Reads a request's replies while they are queued; then waits for the rest. */
function finish<T>(pump: Pump, call: Call<T>): Replies<T> {
  const { reply, inbox } = call;
  const signal = call.limit.signal;
  try {
    for (;;) {
      takeParts(pump, call);
      const m = pump.takeNow(inbox, signal, true);
      if (m === null) return finishLater(pump, call);
      if (accept(pump, reply, m)) {
        end(pump, call);
        return Promise.resolve(reply.replies);
      }
    }
  } catch (e) {
    end(pump, call);
    return Promise.reject(e);
  }
}

/** The rest of a request whose next reply was not queued yet: waits for each. */
async function finishLater<T>(pump: Pump, call: Call<T>): Replies<T> {
  const { reply, inbox } = call;
  const signal = call.limit.signal;
  try {
    let m: Message | undefined | null = await pump.takeLater(inbox, signal);
    while (!accept(pump, reply, m)) {
      takeParts(pump, call);
      m = pump.takeNow(inbox, signal, true);
      if (m === null) m = await pump.takeLater(inbox, signal);
    }
    return reply.replies;
  } finally {
    end(pump, call);
  }
}

/**
 * A dump's usual parts, straight into its reply: each is a reply and not
 * the last (see {@linkcode Pump.takeParts}), so no judging is needed.
 */
function takeParts<T>(pump: Pump, call: Call<T>): void {
  if (!call.inbox.isDump) return;
  const reply = call.reply;
  const map = reply.map;
  pump.takeParts(
    call.inbox,
    map === undefined,
    true,
    map ? (m) => reply.add(map(m)) : (m) => reply.add(m),
  );
}

/** Takes one reply into `reply`; true once the request is answered. */
function accept<T>(pump: Pump, reply: ReplyCollector<T>, m: Message | undefined): boolean {
  if (m === undefined) throw new ClosedError();
  const verdict = reply.judge(m);
  if (verdict === SKIP) return false;
  if (verdict === END) return true;
  const map = reply.map;
  reply.add(map ? pump.reader.map(map, m) : m);
  return verdict === LAST;
}

function end<T>(pump: Pump, call: Call<T>): void {
  call.limit.cancel();
  pump.release(call.inbox, call.reply.finished);
}
