/**
 * {@linkcode Waiter}: how a socket's consumers wait. One asynchronous
 * `poll([socket, eventfd])` runs at a time, for every consumer that waits;
 * writing the eventfd ends it (cancellation, close). Event bursts are read
 * a millisecond at a time rather than with a poll per event. Also the
 * deadlines every wait takes (a signal, a time limit).
 *
 * @module
 */
import type { Inbox } from "../queue.ts";
import type { Sys } from "../sys.ts";
import type { WaitOptions } from "./options.ts";

/** How long event bursts gather between reads (ms). */
const COALESCE_MS = 1;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A wait's signal (the caller's and its time limit in one) and how to let it go. */
export interface Deadline {
  /** Aborts when the caller's signal does or the time is up; undefined for neither. */
  readonly signal: AbortSignal | undefined;
  /** Clears the timer and forgets the caller's signal. */
  cancel(): void;
}

/**
 * The deadline of a wait without either limit.
 *
 * @example
 * ```ts
 * import { NO_DEADLINE } from "./waiter.ts";
 * NO_DEADLINE.signal; // undefined
 * ```
 */
export const NO_DEADLINE: Deadline = { signal: undefined, cancel() {} };

/**
 * One signal for `options.signal` and `options.timeoutMs`.
 *
 * @example
 * ```ts
 * import { deadline } from "./waiter.ts";
 * const limit = deadline({ timeoutMs: 1000 });
 * limit.signal?.aborted; // false
 * limit.cancel();
 * ```
 */
export function deadline(options: WaitOptions): Deadline {
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

/**
 * The socket's one poll and the consumers waiting on it.
 *
 * @example
 * ```ts
 * import { Waiter } from "./waiter.ts";
 * import { Inbox } from "../queue.ts";
 * import { FakeKernel } from "../testing/mod.ts";
 * const sys = new FakeKernel(() => []);
 * const waiter = new Waiter(sys, sys.socket(0, 3), sys.eventfd());
 * const inbox = new Inbox();
 * const woken = waiter.readable(inbox, AbortSignal.timeout(1000), false);
 * inbox.push(undefined as never); // what a delivery does: wakes the consumer
 * await woken;
 * await waiter.close();
 * ```
 */
export class Waiter {
  readonly #sys: Sys;
  readonly #fd: number;
  readonly #wakeFd: number;
  readonly #waiting = new Set<Inbox>();
  #poll: Promise<void> | undefined;
  #lastWake = 0;
  #closed = false;

  /** A waiter for socket `fd`, cancelled through eventfd `wakeFd`. */
  constructor(sys: Sys, fd: number, wakeFd: number) {
    this.#sys = sys;
    this.#fd = fd;
    this.#wakeFd = wakeFd;
  }

  /**
   * Waits until the socket may be readable or `inbox` got something
   * (`inbox.wake` is called). `burst`: the consumer reads events while
   * nothing else is in flight, so when the socket woke the poll less than
   * a millisecond ago, a millisecond's worth gathers first, to be read in
   * one go.
   */
  async readable(inbox: Inbox, signal: AbortSignal | undefined, burst: boolean): Promise<void> {
    if (burst && performance.now() - this.#lastWake < COALESCE_MS) {
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
      if (this.#waiting.size === 0 && this.#poll !== undefined && !this.#closed) {
        this.#sys.wake(this.#wakeFd);
      }
    }
  }

  /** Wakes every waiting consumer, ends the poll; resolves once it returned. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiting) w.wake?.();
    if (this.#poll) {
      this.#sys.wake(this.#wakeFd);
      await this.#poll;
    }
  }

  #startPoll(): Promise<void> {
    return this.#sys.wait(this.#fd, this.#wakeFd).then((bits) => {
      this.#poll = undefined;
      if (bits & 1) this.#lastWake = performance.now();
      if (bits & 2) this.#sys.drain(this.#wakeFd);
      for (const w of this.#waiting) w.wake?.();
    });
  }
}
