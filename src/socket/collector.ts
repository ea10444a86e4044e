/**
 * {@linkcode ReplyCollector}: what one request or dump asked for and got so
 * far, and the one rule for where a reply ends. Every way a socket reads
 * replies (the idle socket's direct path, the general path, the dump
 * stream) asks {@linkcode ReplyCollector.judge} about each message.
 *
 * @module
 */
import { errorOf, parseAck, parseDone } from "../ack.ts";
import { NLM_F, NLMSG } from "../constants.ts";
import { DumpInterruptedError, type ExtAck } from "../errors.ts";
import type { Message } from "../message.ts";

/**
 * What a message is to the reply it belongs to: see
 * {@linkcode ReplyCollector.judge}.
 *
 * @example
 * ```ts
 * import { VERDICT } from "./collector.ts";
 * VERDICT.END; // 3
 * ```
 */
export const VERDICT = {
  /** Nothing (NLMSG_NOOP): read on. */
  SKIP: 0,
  /** A reply; more follow. */
  REPLY: 1,
  /** A reply, and the last one (a request without ACK, answered by one message). */
  LAST: 2,
  /** The end of the reply (the ACK, NLMSG_DONE); not a reply itself. */
  END: 3,
} as const;

/** One of {@linkcode VERDICT}'s values. */
export type Verdict = typeof VERDICT[keyof typeof VERDICT];

/**
 * True for a message that ends a reply: NLMSG_ERROR (an ACK too) or
 * NLMSG_DONE (what the demultiplexer settles a request by).
 *
 * @example
 * ```ts
 * import { isFinal } from "./collector.ts";
 * import { Message, MessageWriter, NLMSG } from "../../mod.ts";
 * const bytes = new MessageWriter().begin(NLMSG.DONE).finish();
 * isFinal(new Message(bytes, 0, bytes.length)); // true
 * ```
 */
export function isFinal(m: Message): boolean {
  const type = m.type;
  return type === NLMSG.ERROR || type === NLMSG.DONE;
}

/**
 * One request's or dump's reply as it arrives.
 *
 * @example
 * ```ts
 * import { ReplyCollector, VERDICT } from "./collector.ts";
 * import { Message, MessageWriter, NLMSG } from "../../mod.ts";
 * const reply = new ReplyCollector<Message>(true, undefined);
 * const w = new MessageWriter().begin(NLMSG.ERROR);
 * w.fixed(20); // errno 0 and the request's header: the ACK
 * const bytes = w.finish();
 * reply.judge(new Message(bytes, 0, bytes.length)) === VERDICT.END; // true
 * ```
 */
export class ReplyCollector<T> {
  /** The request asked for an ACK: only the ACK (or DONE) ends it. */
  readonly ack: boolean;
  /** Turns each reply into what the caller keeps, in the receive buffer. */
  readonly map: ((m: Message) => T) | undefined;
  // Made with the first reply: most requests get one.
  #replies: (T | Message)[] | undefined;
  #finished = false;
  #interrupted = 0;

  /** A collector for a request with NLM_F_ACK (`ack`) or without, mapping with `map`. */
  constructor(ack: boolean, map: ((m: Message) => T) | undefined) {
    this.ack = ack;
    this.map = map;
  }

  /** The replies so far. */
  get replies(): (T | Message)[] {
    return this.#replies ?? [];
  }

  /** True once the reply's end was read (the kernel sends nothing more for it). */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Where `m` stands in the reply: {@linkcode VERDICT}. The reply ends at
   * NLMSG_ERROR (the ACK) or NLMSG_DONE (a multi-part reply: the kernel
   * acknowledges no dump), or, for a request without ACK, at its first
   * reply that is not NLM_F_MULTI. An error reply throws its
   * `NetlinkError`; a reply of which a part was flagged NLM_F_DUMP_INTR
   * throws {@linkcode DumpInterruptedError} at its end.
   */
  /** The extended ACK the reply's end carried though it succeeded (a warning), if any. */
  warning: ExtAck | undefined;

  judge(m: Message): Verdict {
    const type = m.type;
    const flags = m.flags;
    this.#interrupted |= flags & NLM_F.DUMP_INTR;
    if (type >= NLMSG.MIN_TYPE) {
      // A family's message (most are): a reply.
      if (this.ack || flags & NLM_F.MULTI) return VERDICT.REPLY;
      this.#finished = true;
      return VERDICT.LAST;
    }
    if (isFinal(m)) {
      this.#finished = true;
      const { errno, extAck } = type === NLMSG.ERROR ? parseAck(m) : parseDone(m);
      if (errno !== 0) throw errorOf(m, errno, extAck);
      // an extended ACK on a success: the kernel's warning (ethtool's, say)
      for (const _ in extAck) {
        this.warning = extAck;
        break;
      }
      if (this.#interrupted) throw new DumpInterruptedError(this.replies, 1);
      return VERDICT.END;
    }
    if (type === NLMSG.NOOP) return VERDICT.SKIP;
    if (!this.ack && !(flags & NLM_F.MULTI)) {
      this.#finished = true;
      return VERDICT.LAST;
    }
    return VERDICT.REPLY;
  }

  /** Keeps one reply. */
  add(reply: T | Message): void {
    if (this.#replies) this.#replies.push(reply);
    else this.#replies = [reply];
  }
}
