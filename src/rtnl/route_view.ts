/**
 * {@linkcode RouteView}: a lazy, zero-copy typed view of one RTM_NEWROUTE
 * message, for dumps of hundreds of thousands of routes. Construction walks
 * the attributes once and remembers where the common ones are; values are
 * read when asked. Nothing is allocated but the view itself.
 *
 * @module
 */
import { readU16, readU32, view } from "../bytes.ts";
import { ParseError } from "../errors.ts";
import type { Message } from "../message.ts";
import { rtRoute } from "../families/rt_route.ts";
import { decodeAttrs } from "../ynl/codec.ts";
import type { RouteAttrs } from "../families/rt_route.ts";

const RTMSG_SIZE = 12;
const attrType = (name: string) =>
  rtRoute.sets["route-attrs"].attrs.find((a) => a.name === name)!.type;
const RTA_DST = attrType("dst");
const RTA_OIF = attrType("oif");
const RTA_GATEWAY = attrType("gateway");
const RTA_PRIORITY = attrType("priority");
const RTA_PREFSRC = attrType("prefsrc");
const RTA_TABLE = attrType("table");

/**
 * A route, read lazily from its message. Keep it as long as the message
 * (messages from a socket are owned: as long as you like).
 *
 * @example
 * ```ts ignore
 * import { MessageWriter, NETLINK, NetlinkSocket, NLM_F } from "../../mod.ts";
 * import { RouteView } from "./mod.ts";
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
 * const w = new MessageWriter().begin(26, NLM_F.DUMP);
 * w.fixed(12);
 * for await (const m of sock.dump(w)) {
 *   const r = new RouteView(m);
 *   if (r.dstLength === 32) r.oif;
 * }
 * ```
 */
export class RouteView {
  /** The message viewed. */
  readonly message: Message;
  readonly #b: Uint8Array;
  readonly #h: number;
  #dst = -1;
  #gw = -1;
  #prefsrc = -1;
  #oif = -1;
  #prio = -1;
  #table = -1;

  /** Walks the message's attributes once; throws ParseError on a bad one. */
  constructor(m: Message) {
    this.message = m;
    const b = m.data;
    this.#b = b;
    const h = m.offset + m.headerSize;
    this.#h = h;
    const end = m.offset + m.length;
    if (end - h < RTMSG_SIZE) throw new ParseError("route shorter than struct rtmsg", m.offset);
    let o = h + RTMSG_SIZE;
    while (o + 4 <= end) {
      const len = readU16(b, o);
      if (len < 4 || o + len > end) throw new ParseError("bad route attribute length", o);
      const type = readU16(b, o + 2) & 0x3fff;
      switch (type) {
        case RTA_DST:
          this.#dst = o;
          break;
        case RTA_GATEWAY:
          this.#gw = o;
          break;
        case RTA_OIF:
          this.#oif = o;
          break;
        case RTA_PRIORITY:
          this.#prio = o;
          break;
        case RTA_PREFSRC:
          this.#prefsrc = o;
          break;
        case RTA_TABLE:
          this.#table = o;
          break;
      }
      o += (len + 3) & ~3;
    }
  }

  #bytes(o: number): Uint8Array | undefined {
    return o < 0 ? undefined : view(this.#b, o + 4, o + readU16(this.#b, o));
  }

  #u32(o: number): number | undefined {
    return o < 0 || readU16(this.#b, o) < 8 ? undefined : readU32(this.#b, o + 4);
  }

  /** AF_INET or AF_INET6. */
  get family(): number {
    return this.#b[this.#h];
  }
  /** Destination prefix length. */
  get dstLength(): number {
    return this.#b[this.#h + 1];
  }
  /** Routing protocol (RTPROT_*). */
  get protocol(): number {
    return this.#b[this.#h + 5];
  }
  /** Scope (RT_SCOPE_*). */
  get scope(): number {
    return this.#b[this.#h + 6];
  }
  /** Type (RTN_*). */
  get type(): number {
    return this.#b[this.#h + 7];
  }
  /** Table id (RTA_TABLE when present, else rtm_table). */
  get table(): number {
    return this.#u32(this.#table) ?? this.#b[this.#h + 4];
  }
  /**
   * Destination (absent for a default route): a view of the message's
   * bytes, made at each call ({@linkcode RouteView.dstAt} reads the bytes
   * without one).
   */
  get dst(): Uint8Array | undefined {
    return this.#bytes(this.#dst);
  }
  /** Gateway: a view of the message's bytes, made at each call. */
  get gateway(): Uint8Array | undefined {
    return this.#bytes(this.#gw);
  }
  /** Preferred source: a view of the message's bytes, made at each call. */
  get prefsrc(): Uint8Array | undefined {
    return this.#bytes(this.#prefsrc);
  }
  /**
   * Where the destination's bytes start in `message.data`, or -1 when
   * there is none: what a C program holds as the attribute's payload
   * pointer. A view costs an allocation per route, about as much as the
   * rest of the route's decoding; this costs nothing. The address is 4
   * bytes long for AF_INET, 16 for AF_INET6.
   *
   * @example
   * ```ts ignore
   * import { RouteView } from "./route_view.ts";
   * declare const r: RouteView;
   * const firstOctet = r.dstAt < 0 ? undefined : r.message.data[r.dstAt];
   * ```
   */
  get dstAt(): number {
    return this.#dst < 0 ? -1 : this.#dst + 4;
  }
  /** Where the gateway's bytes start in `message.data`, or -1 (see {@linkcode RouteView.dstAt}). */
  get gatewayAt(): number {
    return this.#gw < 0 ? -1 : this.#gw + 4;
  }
  /** Where the preferred source's bytes start in `message.data`, or -1 (see {@linkcode RouteView.dstAt}). */
  get prefsrcAt(): number {
    return this.#prefsrc < 0 ? -1 : this.#prefsrc + 4;
  }
  /** Outgoing interface index. */
  get oif(): number | undefined {
    return this.#u32(this.#oif);
  }
  /** Metric. */
  get priority(): number | undefined {
    return this.#u32(this.#prio);
  }
  /** Every attribute, decoded by the generated rt-route tables (eager). */
  attrs(): RouteAttrs {
    return decodeAttrs(rtRoute, "route-attrs", this.message.attributes(RTMSG_SIZE)) as RouteAttrs;
  }
}
