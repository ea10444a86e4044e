/**
 * {@linkcode SockDiag}: lists TCP and UDP sockets (IPv4 and IPv6) and unix
 * sockets through NETLINK_SOCK_DIAG, as `ss` does, and destroys TCP
 * sockets (SOCK_DESTROY). Requests are encoded from the project's spec
 * (tools/specs/sock_diag.yaml); replies are decoded with its structs.
 *
 * @module
 */
import { formatAddress } from "../address.ts";
import { NetlinkError } from "../errors.ts";
import type { Message } from "../message.ts";
import type { OpenOptions, WaitOptions } from "../socket.ts";
import { decodeAttrs, decodeStruct } from "../ynl/codec.ts";
import { FamilyClient } from "../ynl/family.ts";
import {
  type InetDiagAttrs,
  type InetDiagMsg,
  sockDiag,
  TCP_STATE,
  type UnixDiagAttrs,
  type UnixDiagMsg,
} from "../families/sock_diag.ts";
import { portBytecode, type PortFilter } from "./bytecode.ts";

/** A TCP state name, as the spec spells it (`"listen"`, `"established"`, ...). */
export type TcpState = keyof typeof TCP_STATE;

const STATE_NAMES = Object.fromEntries(
  Object.entries(TCP_STATE).map(([k, v]) => [v, k]),
) as Record<number, TcpState>;
const IPPROTO = { tcp: 6, udp: 17 } as const;
const AF_INET = 2, AF_INET6 = 10, AF_UNIX = 1;
/** Every extension but vegas/dctcp: meminfo, info, cong, tos, tclass, skmeminfo, shutdown. */
const EXT_ALL = 1 | 2 | 8 | 16 | 32 | 64 | 128;
/** UDIAG_SHOW_NAME | VFS | PEER | ICONS | RQLEN | MEMINFO | UID */
const UNIX_SHOW_ALL = 0x7f;

/** Which inet sockets to list. */
export interface InetQuery extends PortFilter {
  /** `"tcp"` (default) or `"udp"`. */
  protocol?: "tcp" | "udp";
  /** 4, 6, or both (default). */
  family?: 4 | 6;
  /** States to list (default all). */
  states?: readonly TcpState[];
}

/** One inet socket. */
export interface InetSocket {
  /** 4 or 6. */
  family: 4 | 6;
  /** The transport. */
  protocol: "tcp" | "udp";
  /** Its state (UDP: `"close"` when unconnected, `"established"` when connected). */
  state: TcpState;
  /** Local address and port. */
  src: string;
  /** Local port. */
  sport: number;
  /** Remote address. */
  dst: string;
  /** Remote port. */
  dport: number;
  /** Bound interface index (0: none). */
  ifindex: number;
  /** The kernel's socket cookie (needed to destroy it). */
  cookie: bigint;
  /** Receive queue (listeners: accept queue length). */
  rqueue: number;
  /** Send queue (listeners: backlog). */
  wqueue: number;
  /** Owner uid. */
  uid: number;
  /** Inode number (0 for time-wait and request sockets). */
  inode: number;
  /** Timer kind and retransmits, as the kernel reports. */
  timer: number;
  /** Retransmits. */
  retrans: number;
  /** The header and extensions as decoded (tcp_info, meminfo, skmeminfo, cong...). */
  header: InetDiagMsg;
  /** Extensions: `info` (tcp_info), `meminfo`, `skmeminfo`, `cong`, `shutdown`... */
  attrs: InetDiagAttrs;
}

/** One unix socket. */
export interface UnixSocket {
  /** `"stream"`, `"dgram"` or `"seqpacket"`. */
  type: "stream" | "dgram" | "seqpacket";
  /** State (`"listen"`, `"established"`, `"close"`...). */
  state: TcpState;
  /** Inode number. */
  inode: number;
  /** Bound name: a path, `@name` for abstract names, or undefined. */
  name: string | undefined;
  /** The peer's inode (0: none). */
  peer: number;
  /** Inodes of pending connections (listeners). */
  pending: number[];
  /** Receive queue (listeners: pending connections). */
  rqueue: number;
  /** Send queue (listeners: backlog). */
  wqueue: number;
  /** Owner uid (kernels from 5.3). */
  uid: number | undefined;
  /** Everything decoded. */
  attrs: UnixDiagAttrs;
}

/** SOCK_DESTROY is refused: the kernel lacks CONFIG_INET_DIAG_DESTROY, or the socket is gone. */
export class DestroyError extends NetlinkError {
  /** Wraps the kernel's answer. */
  constructor(cause: NetlinkError) {
    super(cause.errno, cause.extAck, { operation: "SOCK_DESTROY" });
    this.name = "DestroyError";
    this.message = cause.errno === 95
      ? "SOCK_DESTROY: not supported by this kernel (CONFIG_INET_DIAG_DESTROY)"
      : cause.message;
  }
}

/**
 * A socket diagnostics client.
 *
 * @example
 * ```ts ignore
 * import { SockDiag } from "./inet.ts";
 * await using diag = await SockDiag.open();
 * for (const s of await diag.inet({ states: ["listen"] })) console.log(s.src, s.sport);
 * ```
 */
export class SockDiag implements AsyncDisposable {
  readonly #client: FamilyClient;

  private constructor(client: FamilyClient) {
    this.#client = client;
  }

  /** Opens a NETLINK_SOCK_DIAG socket (`netns` lists another namespace's sockets). */
  static async open(options: OpenOptions = {}): Promise<SockDiag> {
    return new SockDiag(await FamilyClient.open(sockDiag, options));
  }

  /** TCP or UDP sockets; states and ports are filtered by the kernel. */
  async inet(query: InetQuery = {}, options: WaitOptions = {}): Promise<InetSocket[]> {
    const protocol = query.protocol ?? "tcp";
    if (!(protocol in IPPROTO)) throw new TypeError(`protocol must be tcp or udp, not ${protocol}`);
    if (query.family !== undefined && query.family !== 4 && query.family !== 6) {
      throw new TypeError(`family must be 4 or 6, not ${query.family}`);
    }
    let states = 0xffffffff;
    if (query.states) {
      states = 0;
      for (const s of query.states) {
        const n = Object.hasOwn(TCP_STATE, s) ? TCP_STATE[s] : undefined;
        if (n === undefined) throw new TypeError(`unknown TCP state ${s}`);
        states |= 1 << n;
      }
    }
    const bytecode = portBytecode(query);
    const out: InetSocket[] = [];
    for (
      const af of query.family ? [query.family === 4 ? AF_INET : AF_INET6] : [AF_INET, AF_INET6]
    ) {
      const w = this.#client.encode("inet-diag", {
        header: {
          sdiagFamily: af,
          sdiagProtocol: IPPROTO[protocol],
          idiagExt: EXT_ALL,
          idiagStates: states,
        },
        attrs: bytecode ? { reqBytecode: bytecode } : {},
      }, "dump");
      for await (const m of this.#client.socket.dump(w.finish().slice(), options)) {
        out.push(inetOf(m, protocol));
      }
    }
    return out;
  }

  /** Unix sockets (all states). */
  async unix(options: WaitOptions = {}): Promise<UnixSocket[]> {
    const w = this.#client.encode("unix-diag", {
      header: { sdiagFamily: AF_UNIX, udiagStates: 0xffffffff, udiagShow: UNIX_SHOW_ALL },
    }, "dump");
    const out: UnixSocket[] = [];
    for await (const m of this.#client.socket.dump(w.finish().slice(), options)) {
      out.push(unixOf(m));
    }
    return out;
  }

  /**
   * Destroys a TCP socket (as `ss -K`): its peer sees a reset, its owner
   * ECONNABORTED. Throws {@linkcode DestroyError} when the kernel refuses.
   */
  async destroy(s: InetSocket, options: WaitOptions = {}): Promise<void> {
    if (s.protocol !== "tcp") throw new TypeError("only TCP sockets can be destroyed");
    const w = this.#client.encode("inet-destroy", {
      header: {
        sdiagFamily: s.family === 4 ? AF_INET : AF_INET6,
        sdiagProtocol: IPPROTO.tcp,
        idiagStates: 0xffffffff,
        idiagSport: s.sport,
        idiagDport: s.dport,
        idiagSrc: s.header.idiagSrc,
        idiagDst: s.header.idiagDst,
        idiagIf: s.ifindex,
        idiagCookie: s.cookie,
      },
    });
    try {
      await this.#client.socket.request(w.finish().slice(), { ...options, ack: true });
    } catch (e) {
      throw e instanceof NetlinkError ? new DestroyError(e) : e;
    }
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.#client.close();
  }

  /** Same as {@linkcode SockDiag.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const MSG = sockDiag.structs["inet-diag-msg"].size;
const UMSG = sockDiag.structs["unix-diag-msg"].size;

function inetOf(m: Message, protocol: "tcp" | "udp"): InetSocket {
  const h = decodeStruct(sockDiag, "inet-diag-msg", m.payload, 0, MSG) as Required<InetDiagMsg>;
  const attrs = decodeAttrs(sockDiag, "inet-diag-attrs", m.attributes(MSG)) as InetDiagAttrs;
  const v4 = h.idiagFamily === AF_INET;
  const addr = (b: Uint8Array) => formatAddress(v4 ? b.subarray(0, 4) : b);
  return {
    family: v4 ? 4 : 6,
    protocol,
    state: STATE_NAMES[h.idiagState] ?? (String(h.idiagState) as TcpState),
    src: addr(h.idiagSrc),
    sport: h.idiagSport,
    dst: addr(h.idiagDst),
    dport: h.idiagDport,
    ifindex: h.idiagIf,
    cookie: h.idiagCookie as bigint,
    rqueue: h.idiagRqueue,
    wqueue: h.idiagWqueue,
    uid: h.idiagUid,
    inode: h.idiagInode,
    timer: h.idiagTimer,
    retrans: h.idiagRetrans,
    header: h,
    attrs,
  };
}

const UNIX_TYPES = { 1: "stream", 2: "dgram", 5: "seqpacket" } as const;
const latin1 = new TextDecoder();

function unixOf(m: Message): UnixSocket {
  const h = decodeStruct(sockDiag, "unix-diag-msg", m.payload, 0, UMSG) as Required<UnixDiagMsg>;
  const attrs = decodeAttrs(sockDiag, "unix-diag-attrs", m.attributes(UMSG)) as UnixDiagAttrs;
  const raw = attrs.name as Uint8Array | undefined;
  let name: string | undefined;
  if (raw && raw.length) {
    name = raw[0] === 0 ? `@${latin1.decode(raw.subarray(1))}` : latin1.decode(raw);
  }
  const icons = attrs.icons as Uint8Array | undefined;
  const pending: number[] = [];
  if (icons) {
    const v = new DataView(icons.buffer, icons.byteOffset, icons.byteLength);
    for (let i = 0; i + 4 <= icons.length; i += 4) pending.push(v.getUint32(i, true));
  }
  const rq = attrs.rqlen as { udiagRqueue?: number; udiagWqueue?: number } | undefined;
  return {
    type: UNIX_TYPES[h.udiagType as 1 | 2 | 5] ?? "stream",
    state: STATE_NAMES[h.udiagState] ?? (String(h.udiagState) as TcpState),
    inode: h.udiagIno,
    name,
    peer: (attrs.peer as number | undefined) ?? 0,
    pending,
    rqueue: rq?.udiagRqueue ?? 0,
    wqueue: rq?.udiagWqueue ?? 0,
    uid: attrs.uid as number | undefined,
    attrs,
  };
}
