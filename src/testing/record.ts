/**
 * Record and replay: {@linkcode RecordingSys} wraps a real {@linkcode Sys}
 * and writes down what each socket sent to the kernel and received, as a
 * JSON-ready {@linkcode Recording} (each message decoded with the family
 * specs given, and its payload as hex); `replay` (replay.ts) plays one
 * back as a fake kernel.
 *
 * @module
 */
import type { Receiver, Sys } from "../../ffi/sys.ts";
import { parseAck, parseDone } from "../ack.ts";
import { readU32 } from "../bytes.ts";
import { NETLINK, NLMSG, NLMSG_HDRLEN } from "../constants.ts";
import { errnoName } from "../errors.ts";
import { Message } from "../message.ts";
import { decodeAttrs, decodeStruct } from "../ynl/codec.ts";
import type { FamilySpec, OpSpec } from "../ynl/schema.ts";

const EAGAIN = 11;
const EINTR = 4;
const MSG_TRUNC = 0x20;
const GENL_ID_CTRL = 0x10;

/** One recorded message: its header, its payload as hex, and what the spec makes of it. */
export interface RecordedMessage {
  /** nlmsg_type. */
  type: number;
  /** nlmsg_flags. */
  flags: number;
  /** nlmsg_seq (replay maps it to the live one). */
  seq: number;
  /** nlmsg_pid (replay maps the recorded socket's to the live one). */
  portId: number;
  /** The family, when a spec knew the message. */
  family?: string;
  /** The operation, when a spec knew the message. */
  op?: string;
  /** The decoded fixed header and attributes, for the reader (replay uses `payload`). */
  decoded?: unknown;
  /** The payload (after the 16-byte header), as hex. */
  payload: string;
}

/** One step of a socket's conversation. */
export type RecordedStep =
  | { send: RecordedMessage[] }
  | {
    /** The datagram's messages. */
    receive: RecordedMessage[];
    /** The sender's port id (0: the kernel). */
    sender: number;
    /** The destination group mask. */
    group: number;
    /** Set when the datagram arrived cut: its full length, and its bytes as they came. */
    truncated?: { length: number; bytes: string };
  }
  | {
    /** The errno's name, e.g. "ENOBUFS". */
    receiveError: string;
    /** Its number. */
    errno: number;
  };

/** One socket's conversation with the kernel. */
export interface RecordedSocket {
  /** Its netlink protocol. */
  protocol: number;
  /** Its port id when recorded. */
  portId: number;
  /** What it sent and received, in order. */
  steps: RecordedStep[];
}

/** A recorded conversation, as JSON. */
export interface Recording {
  /** The format's name and version. */
  format: "netlink-ts recording 1";
  /** The sockets, in the order they were opened. */
  sockets: RecordedSocket[];
}

/** Bytes as lowercase hex. */
export const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Plain JSON: bigints as decimal strings, bytes as hex. */
function jsonable(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  }
  return v;
}

/** Decodes messages with specs; learns generic netlink ids from the controller's replies. */
class Decoder {
  readonly #specs: readonly FamilySpec[];
  readonly #genlIds = new Map<number, FamilySpec>();

  constructor(specs: readonly FamilySpec[]) {
    this.#specs = specs;
    const ctrl = specs.find((s) => s.name === "nlctrl");
    if (ctrl) this.#genlIds.set(GENL_ID_CTRL, ctrl);
  }

  message(protocol: number, m: Message): RecordedMessage {
    const out: RecordedMessage = {
      type: m.type,
      flags: m.flags,
      seq: m.seq,
      portId: m.portId,
      payload: hex(m.payload),
    };
    if (m.type === NLMSG.ERROR || m.type === NLMSG.DONE) {
      try {
        const { errno, extAck } = m.type === NLMSG.ERROR ? parseAck(m) : parseDone(m);
        out.decoded = jsonable({ errno: errno ? errnoName(errno) : 0, ...extAck });
      } catch {
        // a malformed ACK: the hex says it all
      }
    }
    if (m.type < 0x10) return out;
    const genl = protocol === NETLINK.GENERIC;
    const spec = genl
      ? this.#genlIds.get(m.type)
      : this.#specs.find((s) =>
        s.protocol === "netlink-raw" && s.protonum === protocol &&
        opOf(s, m.type) !== undefined
      );
    if (!spec) return out;
    try {
      let at = m.offset + NLMSG_HDRLEN;
      const end = m.offset + m.length;
      const value = genl ? m.data[at] : m.type;
      if (genl) at += 4;
      const op = opOf(spec, value);
      const fixed = op?.fixedHeader ?? spec.fixedHeader;
      let header = {};
      if (fixed) {
        const size = spec.structs[fixed]?.size ?? 0;
        if (end - at < size) return out;
        header = decodeStruct(spec, fixed, m.data, at, size);
        at += (size + 3) & ~3;
      }
      const attrs = op?.set ? decodeAttrs(spec, op.set, m.attributes(at - m.offset - 16)) : {};
      out.family = spec.name;
      out.op = op?.name;
      out.decoded = jsonable(genl ? { cmd: value, header, attrs } : { header, attrs });
      if (genl && m.type === GENL_ID_CTRL) this.#learn(attrs);
    } catch {
      // Not what the spec says: the hex stays, undecoded.
    }
    return out;
  }

  #learn(attrs: Record<string, unknown>): void {
    const spec = this.#specs.find((s) => s.name === attrs.familyName);
    if (spec && typeof attrs.familyId === "number") this.#genlIds.set(attrs.familyId, spec);
  }
}

function opOf(spec: FamilySpec, value: number): OpSpec | undefined {
  const ops = Object.values(spec.ops);
  return ops.find((o) =>
    o.do?.reply?.value === value || o.dump?.reply?.value === value || o.event === value
  ) ?? ops.find((o) => o.do?.request?.value === value || o.dump?.request?.value === value);
}

function messages(b: Uint8Array): Message[] {
  const out: Message[] = [];
  for (let off = 0; off + NLMSG_HDRLEN <= b.length;) {
    const len = readU32(b, off);
    if (len < NLMSG_HDRLEN || off + len > b.length) break;
    out.push(new Message(b, off, len));
    off += (len + 3) & ~3;
  }
  return out;
}

/**
 * A {@linkcode Sys} that passes every call to `inner` (the runtime's) and
 * records each socket's sends to the kernel and its receives. Decoding
 * uses `specs` (for generic netlink, give `nlctrl` too: family ids are
 * learnt from the controller's replies).
 *
 * @example
 * ```ts ignore
 * import { NETLINK, NetlinkSocket } from "../../mod.ts";
 * import { loadSys } from "../sys.ts";
 * import { rtLink } from "../families/rt_link.ts";
 * import { RecordingSys } from "./mod.ts";
 * const rec = new RecordingSys(loadSys(), [rtLink]);
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: rec });
 * // ... requests and dumps ...
 * await Deno.writeTextFile("links.json", JSON.stringify(rec.recording(), null, 1));
 * ```
 */
export class RecordingSys implements Sys {
  readonly #inner: Sys;
  readonly #decoder: Decoder;
  readonly #byFd = new Map<number, RecordedSocket>();
  readonly #sockets: RecordedSocket[] = [];

  /** Wraps `inner`; messages are decoded with `specs`. */
  constructor(inner: Sys, specs: readonly FamilySpec[] = []) {
    this.#inner = inner;
    this.#decoder = new Decoder(specs);
  }

  /** What was recorded so far. */
  recording(): Recording {
    return { format: "netlink-ts recording 1", sockets: structuredClone(this.#sockets) };
  }

  socket(protocol: number, type: number, netnsPath?: string): number {
    const fd = this.#inner.socket(protocol, type, netnsPath);
    if (fd >= 0) {
      const s: RecordedSocket = { protocol, portId: 0, steps: [] };
      this.#byFd.set(fd, s);
      this.#sockets.push(s);
    }
    return fd;
  }
  bind(fd: number, groups: number): number {
    return this.#inner.bind(fd, groups);
  }
  connect(fd: number): number {
    return this.#inner.connect(fd);
  }
  portId(fd: number): number {
    const n = this.#inner.portId(fd);
    const s = this.#byFd.get(fd);
    if (s && n > 0) s.portId = n;
    return n;
  }
  setInt(fd: number, level: number, name: number, value: number): number {
    return this.#inner.setInt(fd, level, name, value);
  }
  getInt(fd: number, level: number, name: number): number {
    return this.#inner.getInt(fd, level, name);
  }
  sendTo(fd: number, data: Uint8Array, portId: number, groups: number): number {
    const n = this.#inner.sendTo(fd, data, portId, groups);
    const s = this.#byFd.get(fd);
    if (s && n >= 0 && portId === 0 && groups === 0) {
      s.steps.push({ send: messages(data).map((m) => this.#decoder.message(s.protocol, m)) });
    }
    return n;
  }
  receiver(capacity: number, slotSize: number): Receiver {
    const rx = this.#inner.receiver(capacity, slotSize);
    const byFd = this.#byFd;
    const decoder = this.#decoder;
    return {
      capacity: rx.capacity,
      slotSize: rx.slotSize,
      slots: rx.slots,
      meta: rx.meta,
      receive(fd: number, max?: number, fromKernel?: boolean): number {
        const n = rx.receive(fd, max, fromKernel);
        const s = byFd.get(fd);
        if (!s) return n;
        if (n < 0 && n !== -EAGAIN && n !== -EINTR) {
          s.steps.push({ receiveError: errnoName(-n), errno: -n });
        }
        for (let i = 0; i < n; i++) {
          const [len, flags, sender, group] = rx.meta.subarray(i * 4, i * 4 + 4);
          const held = rx.slots[i].subarray(0, Math.min(len, rx.slotSize));
          const cut = len > rx.slotSize || (flags & MSG_TRUNC) !== 0;
          s.steps.push({
            receive: cut ? [] : messages(held).map((m) => decoder.message(s.protocol, m)),
            sender,
            group,
            ...(cut ? { truncated: { length: len, bytes: hex(held) } } : {}),
          });
        }
        return n;
      },
    };
  }
  wait(fd: number, wakeFd: number): Promise<number> {
    return this.#inner.wait(fd, wakeFd);
  }
  eventfd(): number {
    return this.#inner.eventfd();
  }
  wake(eventFd: number): number {
    return this.#inner.wake(eventFd);
  }
  drain(eventFd: number): number {
    return this.#inner.drain(eventFd);
  }
  close(fd: number): number {
    this.#byFd.delete(fd);
    return this.#inner.close(fd);
  }
}
