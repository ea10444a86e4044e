/**
 * {@linkcode FakeKernel}: an implementation of the {@linkcode Sys} contract
 * with no system call behind it. Requests sent to "the kernel" go to a
 * handler (request in, replies out); the replies are queued on the
 * sender's socket and read back through the usual receive path, with the
 * contract's conventions: non-blocking receives (`-EAGAIN` when empty),
 * MSG_TRUNC semantics, a `wait` that an eventfd wakes, negated errnos.
 *
 * @module
 */
import type { Receiver, Sys } from "../../ffi/sys.ts";
import { readU16, readU32 } from "../bytes.ts";
import { NETLINK_OPT, NLM_F, NLMSG, NLMSG_HDRLEN, SOL_NETLINK } from "../constants.ts";
import { Message } from "../message.ts";
import { ack, type Deferred, flatten, type Reply, type ReplyItem } from "./replies.ts";

/** What a receive reads: a datagram, or an error. */
type Entry = Extract<ReplyItem, { kind: "datagram" | "error" }>;

const EBADF = 9;
const EAGAIN = 11;
const EINVAL = 22;
const ENOPROTOOPT = 92;
const EPROTONOSUPPORT = 93;
const ECONNREFUSED = 111;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const MSG_TRUNC = 0x20;

/** What a fake socket is: what was set on it, and where it is. */
export interface FakeSocket {
  /** Its descriptor (fake: no real fd has this number). */
  readonly fd: number;
  /** The netlink protocol it was opened with. */
  readonly protocol: number;
  /** The netns path it was opened in, if any. */
  readonly netns: string | undefined;
  /** The port id given at bind (0 before). */
  portId: number;
  /** Connected to the kernel: unicast from other sockets is refused. */
  connected: boolean;
  /** Groups joined (numbers, not masks). */
  readonly groups: Set<number>;
  /** `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK`, `NETLINK_GET_STRICT_CHK`, `NETLINK_NO_ENOBUFS`. */
  extAck: boolean;
  /** See {@linkcode FakeSocket.extAck}. */
  capAck: boolean;
  /** See {@linkcode FakeSocket.extAck}. */
  strict: boolean;
  /** See {@linkcode FakeSocket.extAck}. */
  noEnobufs: boolean;
  /** `SO_RCVBUF` as `getsockopt` reports it (twice what was set, as Linux does). */
  receiveBuffer: number;
}

/** One request message as the handler gets it. */
export interface FakeRequest {
  /** The message (an owned copy: attributes can be read, it may be kept). */
  readonly message: Message;
  /** The socket that sent it. */
  readonly socket: FakeSocket;
}

/** Builds the replies to one request: a datagram, several, or nothing. */
export type Handler = (request: FakeRequest) => Reply | readonly Reply[] | undefined | void;

/** Options of {@linkcode FakeKernel}. */
export interface FakeKernelOptions {
  /**
   * Append the ACK a request asked for (NLM_F_ACK) when the handler's
   * replies hold no NLMSG_ERROR or NLMSG_DONE and nothing late, as the
   * kernel does. Default true.
   */
  autoAck?: boolean;
  /** Protocols that exist (others fail `socket` with EPROTONOSUPPORT). Default: all. */
  protocols?: readonly number[];
  /** The first port id given out. Default 0x1000. */
  firstPortId?: number;
}

interface Sock extends FakeSocket {
  queue: Entry[];
  waiters: Set<() => void>;
  timers: Set<ReturnType<typeof setTimeout>>;
  deferred: Set<Deferred>;
}

interface EventFd {
  count: number;
  waiters: Set<() => void>;
}

/**
 * A fake kernel: hand it as `sys` to {@linkcode NetlinkSocket.open} (or to
 * `FamilyClient.open`) and every socket opened with it talks to `handler`.
 * Sockets can also reach one another (unicast by port id, multicast to a
 * group) as on a real kernel.
 *
 * @example
 * ```ts
 * import { MessageWriter, NETLINK, NetlinkSocket } from "../../mod.ts";
 * import { FakeKernel, reply } from "./mod.ts";
 * const RTM_NEWLINK = 16, RTM_GETLINK = 18;
 * // Every request gets one RTM_NEWLINK back, then the automatic ACK.
 * using kernel = new FakeKernel((req) => reply(req, RTM_NEWLINK, new Uint8Array(16)));
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
 * const w = new MessageWriter().begin(RTM_GETLINK);
 * w.fixed(16);
 * const [link] = await sock.request(w);
 * link.type; // 16
 * ```
 */
export class FakeKernel implements Sys {
  /** Every request message the kernel got, in order. */
  readonly requests: FakeRequest[] = [];
  readonly #handler: Handler;
  readonly #autoAck: boolean;
  readonly #protocols: readonly number[] | undefined;
  readonly #sockets = new Map<number, Sock>();
  readonly #eventfds = new Map<number, EventFd>();
  #nextFd = 1000;
  #nextPort: number;

  /** A kernel whose answers `handler` gives. */
  constructor(handler: Handler, options: FakeKernelOptions = {}) {
    this.#handler = handler;
    this.#autoAck = options.autoAck ?? true;
    this.#protocols = options.protocols;
    this.#nextPort = options.firstPortId ?? 0x1000;
  }

  /** The sockets open now. */
  get sockets(): FakeSocket[] {
    return [...this.#sockets.values()];
  }

  /**
   * Queues replies on the socket with port id `portId` now, as if the
   * kernel sent them on its own (a late reply delivered on demand).
   * Returns false when no such socket is open.
   */
  unicast(portId: number, ...replies: Reply[]): boolean {
    const s = this.#byPort(portId);
    if (!s) return false;
    this.#queue(s, flatten(replies));
    return true;
  }

  /**
   * Sends `message` (one or more messages, as bytes) to every socket of
   * `protocol` (any when omitted) that joined `group`, from the kernel.
   * Returns how many sockets got it.
   */
  multicast(group: number, message: Uint8Array, protocol?: number): number {
    let n = 0;
    for (const s of this.#sockets.values()) {
      if (!s.groups.has(group) || (protocol !== undefined && s.protocol !== protocol)) continue;
      this.#push(s, { kind: "datagram", bytes: message, sender: 0, group });
      n++;
    }
    return n;
  }

  socket(protocol: number, _type: number, netnsPath?: string): number {
    if (this.#protocols && !this.#protocols.includes(protocol)) return -EPROTONOSUPPORT;
    const fd = this.#nextFd++;
    this.#sockets.set(fd, {
      fd,
      protocol,
      netns: netnsPath,
      portId: 0,
      connected: false,
      groups: new Set(),
      extAck: false,
      capAck: false,
      strict: false,
      noEnobufs: false,
      receiveBuffer: 212992,
      queue: [],
      waiters: new Set(),
      timers: new Set(),
      deferred: new Set(),
    });
    return fd;
  }

  bind(fd: number, groups: number): number {
    const s = this.#sockets.get(fd);
    if (!s) return -EBADF;
    if (s.portId === 0) s.portId = this.#nextPort++;
    for (let g = 1; g <= 32; g++) if (groups & (1 << (g - 1))) s.groups.add(g);
    return 0;
  }

  connect(fd: number): number {
    const s = this.#sockets.get(fd);
    if (!s) return -EBADF;
    s.connected = true;
    return 0;
  }

  portId(fd: number): number {
    return this.#sockets.get(fd)?.portId ?? -EBADF;
  }

  setInt(fd: number, level: number, name: number, value: number): number {
    const s = this.#sockets.get(fd);
    if (!s) return -EBADF;
    if (level === SOL_SOCKET && (name === SO_RCVBUF || name === SO_RCVBUFFORCE)) {
      s.receiveBuffer = value * 2;
      return 0;
    }
    if (level !== SOL_NETLINK) return -ENOPROTOOPT;
    switch (name) {
      case NETLINK_OPT.ADD_MEMBERSHIP:
      case NETLINK_OPT.DROP_MEMBERSHIP:
        if (value <= 0) return -EINVAL;
        if (name === NETLINK_OPT.ADD_MEMBERSHIP) s.groups.add(value);
        else s.groups.delete(value);
        return 0;
      case NETLINK_OPT.EXT_ACK:
        s.extAck = value !== 0;
        return 0;
      case NETLINK_OPT.CAP_ACK:
        s.capAck = value !== 0;
        return 0;
      case NETLINK_OPT.GET_STRICT_CHK:
        s.strict = value !== 0;
        return 0;
      case NETLINK_OPT.NO_ENOBUFS:
        s.noEnobufs = value !== 0;
        return 0;
    }
    return -ENOPROTOOPT;
  }

  getInt(fd: number, level: number, name: number): number {
    const s = this.#sockets.get(fd);
    if (!s) return -EBADF;
    if (level === SOL_SOCKET && name === SO_RCVBUF) return s.receiveBuffer;
    return -ENOPROTOOPT;
  }

  sendTo(fd: number, data: Uint8Array, portId: number, groups: number): number {
    const s = this.#sockets.get(fd);
    if (!s) return -EBADF;
    if (s.portId === 0) this.bind(fd, 0); // autobind, as the kernel does
    if (portId === 0 && groups === 0) {
      this.#toKernel(s, data.slice());
      return data.length;
    }
    const bytes = data.slice();
    for (let g = 1; g <= 32; g++) {
      if (!(groups & (1 << (g - 1)))) continue;
      for (const o of this.#sockets.values()) {
        if (o !== s && o.protocol === s.protocol && o.groups.has(g)) {
          this.#push(o, { kind: "datagram", bytes, sender: s.portId, group: g });
        }
      }
    }
    if (portId !== 0) {
      const to = this.#byPort(portId, s.protocol);
      if (!to || to.connected) return -ECONNREFUSED;
      this.#push(to, { kind: "datagram", bytes, sender: s.portId, group: 0 });
    }
    return data.length;
  }

  receiver(capacity: number, slotSize: number): Receiver {
    const slots = Array.from({ length: capacity }, () => new Uint8Array(slotSize));
    const meta = new Uint32Array(capacity * 4);
    const sockets = this.#sockets;
    return {
      capacity,
      slotSize,
      slots,
      meta,
      receive(fd: number, max = capacity, fromKernel = false): number {
        const s = sockets.get(fd);
        if (!s) return -EBADF;
        max = Math.min(max, capacity);
        let n = 0;
        while (n < max && s.queue.length) {
          const item = s.queue[0];
          if (item.kind === "error") {
            if (n > 0) break;
            s.queue.shift();
            return -item.errno;
          }
          s.queue.shift();
          const cut = item.truncate !== undefined && item.truncate < item.bytes.length;
          const len = item.bytes.length;
          slots[n].set(item.bytes.subarray(0, Math.min(len, slotSize, item.truncate ?? len)));
          const trunc = cut || len > slotSize;
          const mask = item.group >= 1 && item.group <= 32 ? (1 << (item.group - 1)) >>> 0 : 0;
          meta.set(
            [len, trunc ? MSG_TRUNC : 0, fromKernel ? 0 : item.sender, fromKernel ? 0 : mask],
            n * 4,
          );
          n++;
        }
        return n || -EAGAIN;
      },
    };
  }

  wait(fd: number, wakeFd: number): Promise<number> {
    const s = this.#sockets.get(fd);
    const e = this.#eventfds.get(wakeFd);
    if (!s || !e) return Promise.resolve(0);
    const bits = () => (s.queue.length ? 1 : 0) | (e.count ? 2 : 0);
    if (bits()) return Promise.resolve(bits());
    return new Promise((resolve) => {
      const done = () => {
        s.waiters.delete(done);
        e.waiters.delete(done);
        resolve(bits());
      };
      s.waiters.add(done);
      e.waiters.add(done);
    });
  }

  eventfd(): number {
    const fd = this.#nextFd++;
    this.#eventfds.set(fd, { count: 0, waiters: new Set() });
    return fd;
  }

  wake(eventFd: number): number {
    const e = this.#eventfds.get(eventFd);
    if (!e) return -EBADF;
    e.count++;
    for (const w of [...e.waiters]) w();
    return 8;
  }

  drain(eventFd: number): number {
    const e = this.#eventfds.get(eventFd);
    if (!e) return -EBADF;
    if (e.count === 0) return -EAGAIN;
    e.count = 0;
    return 8;
  }

  close(fd: number): number {
    const s = this.#sockets.get(fd);
    if (s) {
      this.#sockets.delete(fd);
      for (const t of s.timers) clearTimeout(t);
      for (const d of s.deferred) d.detach();
      for (const w of [...s.waiters]) w();
      return 0;
    }
    const e = this.#eventfds.get(fd);
    if (!e) return -EBADF;
    this.#eventfds.delete(fd);
    for (const w of [...e.waiters]) w();
    return 0;
  }

  /** Closes every socket and eventfd still open (and so cancels late replies). */
  [Symbol.dispose](): void {
    for (const fd of [...this.#sockets.keys(), ...this.#eventfds.keys()]) this.close(fd);
  }

  #byPort(portId: number, protocol?: number): Sock | undefined {
    for (const s of this.#sockets.values()) {
      if (s.portId === portId && (protocol === undefined || s.protocol === protocol)) return s;
    }
    return undefined;
  }

  /** What the kernel's netlink_rcv_skb does: one message at a time, in order. */
  #toKernel(s: Sock, data: Uint8Array): void {
    let off = 0;
    while (off + NLMSG_HDRLEN <= data.length) {
      const len = readU32(data, off);
      if (len < NLMSG_HDRLEN || off + len > data.length) return; // the kernel drops the rest
      const message = new Message(data, off, len, 0, 0);
      const flags = message.flags;
      off += (len + 3) & ~3;
      let replies: ReplyItem[] = [];
      // Control messages and messages without NLM_F_REQUEST reach no handler.
      if (flags & NLM_F.REQUEST && message.type >= 0x10) {
        const request: FakeRequest = { message, socket: s };
        this.requests.push(request);
        const got = this.#handler(request);
        replies = got === undefined ? [] : flatten(Array.isArray(got) ? got : [got as Reply]);
      }
      if (this.#autoAck && flags & NLM_F.ACK && !answers(replies, message.seq)) {
        replies.push(...flatten([ack({ message, socket: s })]));
      }
      this.#queue(s, replies);
    }
  }

  #queue(s: Sock, items: readonly ReplyItem[]): void {
    for (const item of items) {
      switch (item.kind) {
        case "later": {
          const t = setTimeout(() => {
            s.timers.delete(t);
            if (this.#sockets.get(s.fd) === s) this.#queue(s, item.replies);
          }, item.ms);
          s.timers.add(t);
          break;
        }
        case "deferred":
          s.deferred.add(item);
          item.attach((replies) => {
            s.deferred.delete(item);
            if (this.#sockets.get(s.fd) === s) this.#queue(s, replies);
          });
          break;
        case "multicast":
          this.multicast(item.group, item.bytes, s.protocol);
          break;
        default:
          this.#push(s, item);
      }
    }
  }

  #push(s: Sock, item: Entry): void {
    s.queue.push(item);
    for (const w of [...s.waiters]) w();
  }
}

/** True when `replies` end request `seq` (an ERROR or DONE for it) or come later. */
function answers(replies: readonly ReplyItem[], seq: number): boolean {
  for (const r of replies) {
    if (r.kind === "later" || r.kind === "deferred") return true;
    if (r.kind !== "datagram") continue;
    const b = r.bytes;
    for (let off = 0; off + NLMSG_HDRLEN <= b.length;) {
      const len = readU32(b, off);
      const type = readU16(b, off + 4);
      const s = readU32(b, off + 8);
      if ((type === NLMSG.ERROR || type === NLMSG.DONE) && (s === seq || s === 0)) return true;
      if (len < NLMSG_HDRLEN) break;
      off += (len + 3) & ~3;
    }
  }
  return false;
}
