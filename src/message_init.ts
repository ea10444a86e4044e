/**
 * Messages as values: what {@linkcode NetlinkSocket.request},
 * {@linkcode NetlinkSocket.dump} and {@linkcode NetlinkSocket.send} take,
 * and how each form becomes bytes.
 *
 * @module
 */
import { hint } from "./suggest.ts";
import { MessageWriter } from "./writer.ts";

/**
 * One netlink message as a plain value: the header's type and flags, and
 * the bytes after the header (a family header, then attributes). The
 * sequence number and port id are the socket's to set.
 *
 * @example
 * ```ts
 * import type { MessageInit } from "../mod.ts";
 * const RTM_GETLINK = 18;
 * const ifinfomsg = new Uint8Array(16);
 * new DataView(ifinfomsg.buffer).setInt32(4, 1, true); // ifindex 1: lo
 * const getLo: MessageInit = { type: RTM_GETLINK, payload: ifinfomsg };
 * ```
 */
export interface MessageInit {
  /** `nlmsg_type`: 0..65535. */
  type: number;
  /** `nlmsg_flags`: 0..65535; the socket adds NLM_F_REQUEST (and NLM_F_ACK, NLM_F_DUMP). */
  flags?: number;
  /** The bytes after the 16-byte header. Default: none. */
  payload?: Uint8Array;
}

/**
 * What a socket sends: a {@linkcode MessageWriter} (its messages so far),
 * bytes (one or more messages, headers included), or a {@linkcode MessageInit}.
 *
 * @example
 * ```ts
 * import type { MessageInput } from "../mod.ts";
 * const NLMSG_NOOP = 1;
 * const noop: MessageInput = { type: NLMSG_NOOP };
 * ```
 */
export type MessageInput = MessageWriter | Uint8Array | MessageInit;

const KEYS = ["type", "flags", "payload"];
const EXPECTED = "a MessageWriter, a Uint8Array or { type, flags?, payload? }";

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an instance of ${v.constructor?.name ?? "an unnamed class"}`;
  if (typeof v === "string") return `string ${JSON.stringify(v.slice(0, 40))}`;
  return `${typeof v} ${String(v)}`;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The bytes of `message`, for `caller` (named in errors): a writer's
 * finished buffer and bytes as they are (no copy), a {@linkcode MessageInit}
 * built into a new buffer. Anything else is a TypeError saying what was
 * expected; a type or flags out of range a RangeError.
 *
 * @example
 * ```ts
 * import { messageBytes } from "./message_init.ts";
 * messageBytes({ type: 18, payload: new Uint8Array(16) }, "request()").length; // 32
 * ```
 */
export function messageBytes(message: unknown, caller: string): Uint8Array {
  if (message instanceof Uint8Array) return message;
  if (message instanceof MessageWriter) return message.finish();
  if (!isPlain(message)) {
    throw new TypeError(`${caller} takes ${EXPECTED}, got ${describe(message)}`);
  }
  for (const key of Object.keys(message)) {
    if (!KEYS.includes(key)) {
      throw new TypeError(
        `${caller}: unknown message key ${JSON.stringify(key)}${hint(key, KEYS)}`,
      );
    }
  }
  const { type, flags = 0, payload = new Uint8Array(0) } = message;
  if (type === undefined) throw new TypeError(`${caller}: the message needs a type`);
  if (!(payload instanceof Uint8Array)) {
    throw new TypeError(
      `${caller}: the message's payload takes a Uint8Array, got ${describe(payload)}`,
    );
  }
  const w = new MessageWriter(16 + payload.length).begin(type as number, flags as number);
  w.raw(payload);
  return w.finish();
}
