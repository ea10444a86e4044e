/**
 * The per-consumer inbox a socket routes messages into.
 *
 * @module
 */
import type { Message } from "./message.ts";

/**
 * Messages waiting for one consumer (a request, a dump, or the event
 * stream), the error to throw it, and the hook that wakes it.
 */
export class Inbox {
  #items: Message[] | undefined;
  #head = 0;
  /** The error to deliver on the consumer's next take. */
  error: Error | undefined;
  /** Set while the consumer awaits: called to wake it. */
  wake: (() => void) | undefined;
  /** True once an abandoned request or dump only drains its reply. */
  discard = false;
  /** True once the reply's last message (ERROR or DONE) was routed here. */
  over = false;
  /** True once a datagram of this dump arrived cut (MSG_TRUNC): its end may be lost. */
  cut = false;

  /** The sequence number of the request or dump it serves (0 for events). */
  readonly seq: number;
  /** True while the socket routes replies to it by `seq` (see `PendingTable`). */
  live = false;

  /** True for the inbox of a dump (a multi-part reply). */
  readonly isDump: boolean;

  /**
   * True when the consumer is a request or a dump that maps each message
   * at once: what it takes may stay in the receive buffer (no copy).
   */
  readonly borrows: boolean;

  /**
   * Builds an inbox; `isDump` marks one that a multi-part reply feeds,
   * `borrows` one whose consumer maps messages before reading on, `seq` the
   * request it serves.
   */
  constructor(isDump = false, borrows = false, seq = 0) {
    this.isDump = isDump;
    this.borrows = borrows;
    this.seq = seq;
  }

  /** Messages waiting. */
  get size(): number {
    return this.#items ? this.#items.length - this.#head : 0;
  }

  /** Appends a message and wakes the consumer. */
  push(msg: Message): void {
    (this.#items ??= []).push(msg);
    this.wake?.();
  }

  /** Removes and returns the oldest message, if any. */
  shift(): Message | undefined {
    const items = this.#items;
    if (items === undefined || this.#head >= items.length) return undefined;
    const m = items[this.#head];
    items[this.#head++] = undefined as unknown as Message;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return m;
  }

  /** The error for this take, if any; it is cleared (the next take goes on). */
  takeError(): Error | undefined {
    const e = this.error;
    this.error = undefined;
    return e;
  }

  /** Sets the error for the next take and wakes the consumer. */
  fail(error: Error): void {
    this.error ??= error;
    this.wake?.();
  }
}
