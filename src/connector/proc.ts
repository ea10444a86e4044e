/**
 * Process events from the proc connector (NETLINK_CONNECTOR, CN_IDX_PROC):
 * fork, exec, exit, uid/gid, sid, ptrace, comm and coredump, as an async
 * iterator. Needs CAP_NET_ADMIN.
 *
 * A small hand codec: the events are a C union (`struct proc_event`),
 * which the YNL schema cannot describe. Layouts from
 * include/uapi/linux/connector.h (`struct cn_msg`: cb_id {idx, val}, seq,
 * ack, u16 len, u16 flags; 20 bytes) and include/uapi/linux/cn_proc.h
 * (`struct proc_event`: u32 what, u32 cpu, u64 timestamp_ns, then the
 * union at offset 16; `enum proc_cn_mcast_op`).
 *
 * @module
 */
import { NETLINK, NLMSG } from "../constants.ts";
import { Overrun, ParseError } from "../errors.ts";
import type { Message } from "../message.ts";
import { NetlinkSocket, type OpenOptions } from "../socket.ts";

export { isOverrun, Overrun } from "../errors.ts";

/** `CN_IDX_PROC` / `CN_VAL_PROC`: the connector id, also the multicast group. */
export const CN_IDX_PROC = 1;
const CN_VAL_PROC = 1;
const CN_MSG_SIZE = 20;
/** `enum proc_cn_mcast_op`. */
export const PROC_CN_MCAST = { LISTEN: 1, IGNORE: 2 } as const;

/** `enum what` of `struct proc_event`. */
export const PROC_EVENT = {
  none: 0,
  fork: 0x1,
  exec: 0x2,
  uid: 0x4,
  gid: 0x40,
  sid: 0x80,
  ptrace: 0x100,
  comm: 0x200,
  nonzeroExit: 0x20000000,
  coredump: 0x40000000,
  exit: 0x80000000,
} as const;

/** What every process event carries. */
export interface ProcEventBase {
  /** CPU the event happened on. */
  cpu: number;
  /** Monotonic time of the event, in ns. */
  timestampNs: bigint;
}

/** One process event. */
export type ProcEvent =
  | ProcEventBase & {
    type: "fork";
    parentPid: number;
    parentTgid: number;
    pid: number;
    tgid: number;
  }
  | ProcEventBase & { type: "exec"; pid: number; tgid: number }
  | ProcEventBase & {
    type: "uid" | "gid";
    pid: number;
    tgid: number;
    real: number;
    effective: number;
  }
  | ProcEventBase & { type: "sid"; pid: number; tgid: number }
  | ProcEventBase & {
    type: "ptrace";
    pid: number;
    tgid: number;
    tracerPid: number;
    tracerTgid: number;
  }
  | ProcEventBase & { type: "comm"; pid: number; tgid: number; comm: string }
  | ProcEventBase & {
    type: "coredump";
    pid: number;
    tgid: number;
    parentPid: number;
    parentTgid: number;
  }
  | ProcEventBase & {
    type: "exit";
    pid: number;
    tgid: number;
    exitCode: number;
    exitSignal: number;
    parentPid: number;
    parentTgid: number;
  }
  | ProcEventBase & { type: "ack"; err: number }
  | ProcEventBase & { type: "unknown"; what: number };

/** An item of {@linkcode ProcEvents.events}: an event, or an {@linkcode Overrun} (events were lost: rescan /proc). */
export type ProcItem = ProcEvent | Overrun;

const utf8 = new TextDecoder();

/**
 * Decodes the `cn_msg` + `proc_event` payload of a connector message.
 *
 * @example
 * ```ts
 * import { decodeProcEvent } from "./proc.ts";
 * const p = new Uint8Array(20 + 24);
 * const v = new DataView(p.buffer);
 * v.setUint32(0, 1, true); v.setUint32(4, 1, true); v.setUint16(16, 24, true);
 * v.setUint32(20, 2, true); // exec
 * v.setUint32(36, 42, true); v.setUint32(40, 42, true);
 * decodeProcEvent(p).type; // "exec"
 * ```
 */
export function decodeProcEvent(payload: Uint8Array): ProcEvent {
  if (payload.length < CN_MSG_SIZE + 16) {
    throw new ParseError(`proc connector: ${payload.length} bytes is shorter than an event`, 0);
  }
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const len = v.getUint16(16, true);
  if (CN_MSG_SIZE + len > payload.length) {
    throw new ParseError(`proc connector: cn_msg says ${len} bytes, ${payload.length} came`, 16);
  }
  const at = CN_MSG_SIZE;
  const what = v.getUint32(at, true);
  const base: ProcEventBase = {
    cpu: v.getUint32(at + 4, true),
    timestampNs: v.getBigUint64(at + 8, true),
  };
  const d = at + 16;
  const need = (n: number) => {
    if (d + n * 4 > CN_MSG_SIZE + len) {
      throw new ParseError(`proc connector: event ${what} shorter than its fields`, d);
    }
  };
  const u = (i: number) => v.getUint32(d + i * 4, true);
  switch (what) {
    case PROC_EVENT.none:
      need(1);
      return { ...base, type: "ack", err: u(0) };
    case PROC_EVENT.fork:
      need(4);
      return { ...base, type: "fork", parentPid: u(0), parentTgid: u(1), pid: u(2), tgid: u(3) };
    case PROC_EVENT.exec:
      need(2);
      return { ...base, type: "exec", pid: u(0), tgid: u(1) };
    case PROC_EVENT.uid:
    case PROC_EVENT.gid:
      need(4);
      return {
        ...base,
        type: what === PROC_EVENT.uid ? "uid" : "gid",
        pid: u(0),
        tgid: u(1),
        real: u(2),
        effective: u(3),
      };
    case PROC_EVENT.sid:
      need(2);
      return { ...base, type: "sid", pid: u(0), tgid: u(1) };
    case PROC_EVENT.ptrace:
      need(4);
      return { ...base, type: "ptrace", pid: u(0), tgid: u(1), tracerPid: u(2), tracerTgid: u(3) };
    case PROC_EVENT.comm: {
      need(6);
      const raw = payload.subarray(d + 8, d + 24);
      const nul = raw.indexOf(0);
      const comm = utf8.decode(nul < 0 ? raw : raw.subarray(0, nul));
      return { ...base, type: "comm", pid: u(0), tgid: u(1), comm };
    }
    case PROC_EVENT.coredump:
      need(4);
      return {
        ...base,
        type: "coredump",
        pid: u(0),
        tgid: u(1),
        parentPid: u(2),
        parentTgid: u(3),
      };
    case PROC_EVENT.exit:
    case PROC_EVENT.nonzeroExit:
      need(6);
      return {
        ...base,
        type: "exit",
        pid: u(0),
        tgid: u(1),
        exitCode: u(2),
        exitSignal: u(3),
        parentPid: u(4),
        parentTgid: u(5),
      };
    default:
      return { ...base, type: "unknown", what };
  }
}

function control(op: number): Uint8Array {
  const b = new Uint8Array(16 + CN_MSG_SIZE + 4);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint16(4, NLMSG.DONE, true); // the connector's message type
  v.setUint32(16, CN_IDX_PROC, true);
  v.setUint32(20, CN_VAL_PROC, true);
  v.setUint16(32, 4, true); // len: one proc_cn_mcast_op
  v.setUint32(36, op, true);
  return b;
}

/**
 * A subscription to process events: opened with
 * {@linkcode ProcEvents.open} (PROC_CN_MCAST_LISTEN), closed with
 * PROC_CN_MCAST_IGNORE.
 *
 * @example
 * ```ts ignore
 * import { ProcEvents } from "./proc.ts";
 * await using events = ProcEvents.open();
 * for await (const ev of events.events({ signal: AbortSignal.timeout(5000) })) {
 *   if (ev.type === "exec") console.log("exec", ev.pid);
 * }
 * ```
 */
export class ProcEvents implements AsyncDisposable, AsyncIterable<ProcItem> {
  readonly #socket: NetlinkSocket;

  private constructor(socket: NetlinkSocket) {
    this.#socket = socket;
  }

  /** Opens a connector socket, joins CN_IDX_PROC and asks for events. */
  static open(options: Omit<OpenOptions, "groups" | "raw"> = {}): ProcEvents {
    const socket = NetlinkSocket.open(NETLINK.CONNECTOR, { ...options, groups: [CN_IDX_PROC] });
    try {
      socket.send(control(PROC_CN_MCAST.LISTEN));
    } catch (e) {
      void socket.close();
      throw e;
    }
    return new ProcEvents(socket);
  }

  /** The events, until the socket closes or `signal` aborts. */
  async *events(options: { signal?: AbortSignal } = {}): AsyncGenerator<ProcItem> {
    for await (const m of this.#socket.events(options)) {
      const ev = eventOf(m);
      if (ev && (ev instanceof Overrun || ev.type !== "ack")) yield ev;
    }
  }

  /** Same as {@linkcode ProcEvents.events} without options. */
  [Symbol.asyncIterator](): AsyncIterator<ProcItem> {
    return this.events();
  }

  /** Unsubscribes (PROC_CN_MCAST_IGNORE) and closes the socket. */
  async close(): Promise<void> {
    if (this.#socket.closed) return;
    try {
      this.#socket.send(control(PROC_CN_MCAST.IGNORE));
    } catch { /* closing anyway: the kernel drops the listener with the socket */ }
    await this.#socket.close();
  }

  /** Same as {@linkcode ProcEvents.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function eventOf(m: Message | Overrun): ProcItem | undefined {
  if (m instanceof Overrun) return m;
  if (m.type !== NLMSG.DONE) return undefined;
  return decodeProcEvent(m.payload);
}
