/**
 * A dump as a stream, the consumer behind `NetlinkSocket.dump`: sent at
 * the first `next()` (once abandoned dumps were read to their end), its
 * messages yielded as they arrive, each judged by a
 * {@linkcode ReplyCollector}; or buffered and retried when the kernel
 * flags it interrupted.
 *
 * @module
 */
import { ClosedError, DumpInterruptedError } from "../errors.ts";
import type { Message } from "../message.ts";
import type { Inbox } from "../queue.ts";
import { ReplyCollector, VERDICT } from "./collector.ts";
import type { DumpOptions, ReplyMapper } from "./options.ts";
import type { Pump } from "./pump.ts";
import { type Deadline, deadline } from "./waiter.ts";

// Plain numbers in the hot loops (a property load per message otherwise).
const { END, SKIP } = VERDICT;

/**
 * Dump request `bytes` (flags set) on `pump`'s socket, as a stream of its
 * messages up to NLMSG_DONE, each through `map` when given. Leaving the
 * loop early drains the rest.
 *
 * @example
 * ```ts
 * import { stream } from "./dump.ts";
 * import { Pump } from "./pump.ts";
 * import { type Message, MessageWriter, NLM_F } from "../../mod.ts";
 * import { dump, FakeKernel } from "../testing/mod.ts";
 * using sys = new FakeKernel((req) => dump(req, 16, [new Uint8Array(16)]));
 * const fd = sys.socket(0, 3);
 * sys.bind(fd, 0);
 * const stats = { foreignDropped: 0, overruns: 0, eventsDropped: 0, truncated: 0 };
 * const pump = new Pump(sys, fd, sys.eventfd(), { portId: sys.portId(fd) }, stats);
 * const bytes = new MessageWriter().begin(18, NLM_F.REQUEST | NLM_F.DUMP).finish();
 * for await (const m of stream<Message>(pump, bytes, {}, undefined)) m.type; // 16
 * ```
 */
export function stream<T>(
  pump: Pump,
  bytes: Uint8Array,
  options: DumpOptions,
  map: ReplyMapper<T> | undefined,
): AsyncIterableIterator<T | Message> {
  let reply: ReplyCollector<T> | undefined;
  let limit: Deadline | undefined;
  let inbox: Inbox | undefined;
  let finished = false;
  // replyOver: the kernel sent the last message; else drain what is left.
  const end = (replyOver: boolean) => {
    finished = true;
    limit?.cancel();
    if (!inbox) return;
    pump.release(inbox, replyOver);
    inbox = undefined;
  };
  const start = async () => {
    limit = deadline(options);
    try {
      await pump.dumpTurn(limit);
    } catch (e) {
      finished = true;
      throw e;
    }
    // A dump ends at NLMSG_DONE, whatever its messages' flags.
    reply = new ReplyCollector<T>(true, map);
    try {
      inbox = pump.register(bytes, true, map !== undefined);
      pump.sendRegistered(bytes, inbox);
    } catch (e) {
      end(true);
      throw e;
    }
  };
  const done = { value: undefined, done: true } as const;
  // Unmapped, the usual parts of what is queued are taken in one go (owned),
  // and handed out from here: see Pump.takeParts.
  // Reused: what it holds past `count` is stale (one datagram's messages at most).
  const taken: Message[] = [];
  let head = 0, count = 0;
  const keep = (m: Message) => {
    taken[count++] = m;
  };
  // What next() hands out while a datagram's parts are queued: no async
  // frame, a promise already settled (the rest of the work is next's).
  const fast = (): Promise<IteratorResult<T | Message>> | undefined => {
    if (head >= count || finished || pump.closed || limit!.signal?.aborted) return undefined;
    return Promise.resolve({ value: taken[head++], done: false });
  };
  const slow = async (): Promise<IteratorResult<T | Message>> => {
    if (finished) return done;
    if (!inbox) await start();
    const signal = limit!.signal;
    try {
      // Another consumer may have queued this dump's messages: an abort
      // or close still ends it at the next call.
      if (pump.closed) throw new ClosedError();
      signal?.throwIfAborted();
      if (head < count) return { value: taken[head++], done: false };
      if (map === undefined) {
        head = count = 0;
        pump.takeParts(inbox!, true, false, keep);
        if (count) return { value: taken[head++], done: false };
      }
      for (;;) {
        let m = pump.takeNow(inbox!, signal, true);
        if (m === null) m = await pump.takeLater(inbox!, signal);
        if (m === undefined) throw new ClosedError();
        const verdict = reply!.judge(m);
        if (verdict === END) {
          end(true);
          if (reply!.warning) options.onWarning?.(reply!.warning, m);
          return done;
        }
        if (verdict === SKIP) continue;
        return { value: map ? pump.reader.map(map, m) : m, done: false };
      }
    } catch (e) {
      if (!finished) end(reply!.finished);
      throw e;
    }
  };
  return {
    next: () => fast() ?? slow(),
    return: () => {
      end(false);
      return Promise.resolve(done);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * The dump, read whole and retried up to `retries` times while the kernel
 * flags it interrupted (NLM_F_DUMP_INTR); messages are yielded only from a
 * consistent attempt.
 *
 * @example
 * ```ts ignore
 * import { buffered } from "./dump.ts";
 * declare const pump: import("./pump.ts").Pump, bytes: Uint8Array;
 * for await (const m of buffered(pump, bytes, {}, 3, undefined)) console.log(m);
 * ```
 */
export async function* buffered<T>(
  pump: Pump,
  bytes: Uint8Array,
  options: DumpOptions,
  retries: number,
  map: ReplyMapper<T> | undefined,
): AsyncGenerator<T | Message> {
  for (let attempt = 1;; attempt++) {
    const got: (T | Message)[] = [];
    try {
      for await (const m of stream(pump, bytes, options, map)) got.push(m);
    } catch (e) {
      if (!(e instanceof DumpInterruptedError)) throw e;
      if (attempt > retries) throw new DumpInterruptedError(got, attempt);
      continue;
    }
    yield* got;
    return;
  }
}
