/**
 * The table a socket routes replies by: sequence number to the inbox of
 * the request or dump that sent it.
 *
 * @module
 */
import type { Inbox } from "./queue.ts";

/**
 * Requests and dumps in flight, by sequence number. Most sockets have one
 * at a time: it is kept outside the `Map`, because a Map that grows to one
 * entry and shrinks back reallocates its hash table every time.
 */
export class PendingTable {
  #solo: Inbox | undefined;
  readonly #more = new Map<number, Inbox>();

  /** How many are in flight. */
  get size(): number {
    return (this.#solo ? 1 : 0) + this.#more.size;
  }

  /** The inbox of `seq`, if it is in flight. */
  get(seq: number): Inbox | undefined {
    const solo = this.#solo;
    if (solo !== undefined && solo.seq === seq) return solo;
    return this.#more.size === 0 ? undefined : this.#more.get(seq);
  }

  /** Adds `inbox` under its `seq` (which must not be in flight) and marks it live. */
  add(inbox: Inbox): void {
    inbox.live = true;
    if (this.#solo === undefined) this.#solo = inbox;
    else this.#more.set(inbox.seq, inbox);
  }

  /** Removes `inbox`; replies to its `seq` go elsewhere from now on. */
  remove(inbox: Inbox): void {
    if (!inbox.live) return;
    inbox.live = false;
    if (this.#solo === inbox) this.#solo = undefined;
    else this.#more.delete(inbox.seq);
  }

  /** Every inbox in flight. */
  *[Symbol.iterator](): IterableIterator<Inbox> {
    if (this.#solo) yield this.#solo;
    yield* this.#more.values();
  }

  /** Removes them all. */
  clear(): void {
    for (const inbox of this) inbox.live = false;
    this.#solo = undefined;
    this.#more.clear();
  }
}
