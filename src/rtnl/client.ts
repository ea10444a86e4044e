/**
 * {@linkcode Rtnl}: rtnetlink's common jobs (links, addresses, routes and
 * neighbours; veth pairs; link state; events) on top of the families
 * generated from the kernel's specs. Addresses stay bytes unless you format
 * them; attributes the spec does not know are kept under `attrs.unknown`.
 *
 * @module
 */
import { AF, parseAddress, parseMac, parsePrefix } from "../address.ts";
import { NETLINK, NLM_F } from "../constants.ts";
import { NetlinkError, Overrun, SyscallError } from "../errors.ts";
import { loadSys } from "../sys.ts";
import { unknownName } from "../suggest.ts";
import { type DumpOptions, NetlinkSocket, type OpenOptions, type WaitOptions } from "../socket.ts";
import type { Message } from "../message.ts";
import { MessageWriter } from "../writer.ts";
import { RouteView } from "./route_view.ts";
import { integer } from "./check.ts";
import {
  type Address,
  type Link,
  type Neighbour,
  type Route,
  toAddress,
  toLink,
  toNeighbour,
  toRoute,
} from "./decoded.ts";
import { changeRequest, type LinkChange, type LinkKindSpec, linkRequest } from "./links.ts";
import { type Nexthop, nexthopRequest, type NexthopSpec, toNexthop } from "./nexthops.ts";
import { type RouteMode, routeRequest, type RouteSpec, RT_SCOPE } from "./routes.ts";
import { type Decoded, FamilyClient } from "../ynl/family.ts";
import { type AddrAttrs, type Ifaddrmsg, rtAddr, type RtAddrOps } from "../families/rt_addr.ts";
import { type Ifinfomsg, type LinkAttrs, rtLink, type RtLinkOps } from "../families/rt_link.ts";
import { type Ndmsg, type NeighbourAttrs, rtNeigh, type RtNeighOps } from "../families/rt_neigh.ts";
import { rtNexthop, type RtNexthopOps } from "../families/rt_nexthop.ts";
import { rtNsid, type RtNsidOps } from "../families/rt_nsid.ts";
import { nsidOf } from "./netns.ts";
import { type RouteAttrs, type Rtmsg, rtRoute, type RtRouteOps } from "../families/rt_route.ts";

export type { Address, Link, Neighbour, Route } from "./decoded.ts";
export type { RouteSpec } from "./routes.ts";

/** rtnetlink multicast groups, by the kernel's names (`RTNLGRP_LINK` is `RTNLGRP.LINK`). */
export const RTNLGRP = {
  LINK: 1,
  NEIGH: 3,
  IPV4_IFADDR: 5,
  IPV4_ROUTE: 7,
  IPV6_IFADDR: 9,
  IPV6_ROUTE: 11,
} as const;

/**
 * The kinds of event {@linkcode Rtnl.events} takes and yields, named as the
 * objects of `ip monitor` (and the `kind` of each {@linkcode RtnlEvent}),
 * with the groups each joins for IPv4 and for IPv6.
 *
 * @example
 * ```ts
 * import { RTNL_EVENT_GROUPS } from "./client.ts";
 * Object.keys(RTNL_EVENT_GROUPS); // ["link", "address", "route", "neighbour"]
 * ```
 */
export const RTNL_EVENT_GROUPS = {
  link: { 4: [RTNLGRP.LINK], 6: [RTNLGRP.LINK] },
  address: { 4: [RTNLGRP.IPV4_IFADDR], 6: [RTNLGRP.IPV6_IFADDR] },
  route: { 4: [RTNLGRP.IPV4_ROUTE], 6: [RTNLGRP.IPV6_ROUTE] },
  neighbour: { 4: [RTNLGRP.NEIGH], 6: [RTNLGRP.NEIGH] },
} as const;

/** A kind of rtnetlink event: `"link"`, `"address"`, `"route"` or `"neighbour"`. */
export type RtnlEventKind = keyof typeof RTNL_EVENT_GROUPS;

/** The groups of `kinds`; a name that is not a kind is a TypeError naming the valid ones. */
function eventGroups(kinds: readonly string[], ipVersion?: 4 | 6): number[] {
  const valid = Object.keys(RTNL_EVENT_GROUPS);
  const groups = new Set<number>();
  for (const k of kinds) {
    if (!Object.hasOwn(RTNL_EVENT_GROUPS, k)) {
      throw new TypeError(`Rtnl.events: ${unknownName("event kind", k, valid)}`);
    }
    const g = RTNL_EVENT_GROUPS[k as RtnlEventKind];
    for (const n of ipVersion === 6 ? g[6] : ipVersion === 4 ? g[4] : [...g[4], ...g[6]]) {
      groups.add(n);
    }
  }
  return [...groups];
}

/** An rtnetlink event, decoded. */
export type RtnlEvent =
  | { kind: "link"; action: "new" | "del"; link: Link }
  | { kind: "address"; action: "new" | "del"; address: Address }
  | { kind: "route"; action: "new" | "del"; route: Route }
  | { kind: "neighbour"; action: "new" | "del"; neighbour: Neighbour }
  | Overrun
  | { kind: "other"; type: number };

const IFF_UP = 1;
const RT_TABLE_MAIN = 254;
const NUD_PERMANENT = 0x80;
const RTM_GETROUTE = 26;

/** A link given by name (1..15 bytes) or index (a positive s32); else a TypeError/RangeError. */
function linkRef(what: string, link: unknown): string | number {
  if (typeof link === "number") return integer(what, link, 1, 0x7fffffff);
  if (typeof link === "string" && link.length > 0) return link;
  throw new TypeError(`${what}: a link name or index, got ${JSON.stringify(link) ?? typeof link}`);
}

function familyNumber(v?: 4 | 6): number {
  return v === 4 ? AF.INET : v === 6 ? AF.INET6 : AF.UNSPEC;
}

/**
 * rtnetlink, typed. One socket serves every call; events use their own.
 *
 * @example
 * ```ts ignore
 * import { Rtnl } from "./mod.ts";
 * await using rtnl = Rtnl.open({ netns: "test" });
 * await rtnl.addVeth("v0", "v1");
 * await rtnl.setLinkUp("v0");
 * await rtnl.addAddress("v0", "10.0.0.1/24");
 * await rtnl.addRoute({ dst: "10.9.0.0/16", gateway: "10.0.0.2" });
 * for (const r of await rtnl.routes({ ipVersion: 4 })) console.log(r.dstLength, r.oif);
 * ```
 */
export class Rtnl implements AsyncDisposable {
  /** The socket. */
  readonly socket: NetlinkSocket;
  /** The rt-link family over it. */
  readonly link: FamilyClient<RtLinkOps>;
  /** The rt-addr family over it. */
  readonly addr: FamilyClient<RtAddrOps>;
  /** The rt-route family over it. */
  readonly route: FamilyClient<RtRouteOps>;
  /** The rt-neigh family over it. */
  readonly neigh: FamilyClient<RtNeighOps>;
  /** The rt-nexthop family over it. */
  readonly nexthop: FamilyClient<RtNexthopOps>;
  readonly #options: OpenOptions;

  private constructor(socket: NetlinkSocket, options: OpenOptions) {
    this.socket = socket;
    this.#options = options;
    this.link = FamilyClient.attach<RtLinkOps>(rtLink, socket);
    this.addr = FamilyClient.attach<RtAddrOps>(rtAddr, socket);
    this.route = FamilyClient.attach<RtRouteOps>(rtRoute, socket);
    this.neigh = FamilyClient.attach<RtNeighOps>(rtNeigh, socket);
    this.nexthop = FamilyClient.attach<RtNexthopOps>(rtNexthop, socket);
  }

  /** Opens an rtnetlink socket (in `options.netns`, if given). */
  static open(options: OpenOptions = {}): Rtnl {
    return new Rtnl(NetlinkSocket.open(NETLINK.ROUTE, { ...options, groups: [] }), options);
  }

  /** Every link. */
  async links(options: DumpOptions = {}): Promise<Link[]> {
    const out: Link[] = [];
    for await (const d of this.link.dump("getlink", {}, options)) out.push(toLink(d));
    return out;
  }

  /** One link, by name or index. `ENODEV` if there is none. */
  async getLink(link: string | number, options: WaitOptions = {}): Promise<Link> {
    linkRef("link", link);
    const request = typeof link === "number"
      ? { header: { ifiIndex: link } }
      : { attrs: { ifname: link } };
    const [d] = await this.link.do("getlink", request, options);
    if (!d) {
      throw new NetlinkError(19, { message: `no reply for link ${link}` }, {
        operation: "RTM_GETLINK",
      });
    }
    return toLink(d);
  }

  async #index(link: string | number, what = "link"): Promise<number> {
    const ref = linkRef(what, link);
    return typeof ref === "number" ? ref : (await this.getLink(ref)).index;
  }

  /**
   * Creates a link of a kind, with its typed data, e.g.
   * `addLink("br0", { kind: "bridge", vlanFiltering: true })` or
   * `addLink("vx0", { kind: "vxlan", vni: 42, remote: "10.0.0.2", port: 4789 })`.
   */
  async addLink(name: string, spec: LinkKindSpec, options: WaitOptions = {}): Promise<void> {
    const attrs = await linkRequest(name, spec, (ref, what) => this.#index(ref, what));
    await this.link.do("newlink", { attrs }, { ...options, flags: NLM_F.CREATE | NLM_F.EXCL });
  }

  /** Creates a veth pair. */
  addVeth(name: string, peer: string, options: WaitOptions = {}): Promise<void> {
    return this.addLink(name, { kind: "veth", peer }, options);
  }

  /**
   * Changes a link: MTU, MAC, name, alias, txqueuelen, up/down, master
   * (`null`: nomaster), namespace, in one request.
   */
  async setLink(link: string | number, change: LinkChange, options: WaitOptions = {}) {
    const ifiIndex = await this.#index(link);
    const r = await changeRequest(change, (ref, what) => this.#index(ref, what));
    let nsFd = -1;
    if (change.netns !== undefined) {
      const path = change.netns.includes("/") ? change.netns : `/var/run/netns/${change.netns}`;
      const sys = this.#options.sys ?? loadSys();
      if (!sys.openNamespace) throw new TypeError("link netns: this Sys cannot open namespaces");
      nsFd = sys.openNamespace(path);
      if (nsFd < 0) throw new SyscallError("open", nsFd, path);
      r.attrs.netNsFd = nsFd;
    }
    try {
      await this.link.do("newlink", {
        header: { ifiIndex, ifiFlags: r.flags, ifiChange: r.change },
        attrs: r.attrs,
      }, options);
    } finally {
      if (nsFd >= 0) (this.#options.sys ?? loadSys()).close(nsFd);
    }
  }

  /** Deletes a link (both ends of a veth pair go). */
  async deleteLink(link: string | number, options: WaitOptions = {}): Promise<void> {
    linkRef("link", link);
    const request = typeof link === "number"
      ? { header: { ifiIndex: link } }
      : { attrs: { ifname: link } };
    await this.link.do("dellink", request, options);
  }

  /** Sets a link up (or down with `up = false`). */
  async setLinkUp(link: string | number, up = true, options: WaitOptions = {}): Promise<void> {
    await this.link.do("newlink", {
      header: { ifiIndex: await this.#index(link), ifiFlags: up ? IFF_UP : 0, ifiChange: IFF_UP },
    }, options);
  }

  /** Every address, or those of one IP version. */
  async addresses(opts: DumpOptions & { ipVersion?: 4 | 6 } = {}): Promise<Address[]> {
    const out: Address[] = [];
    const request = { header: { ifaFamily: familyNumber(opts.ipVersion) } };
    for await (const d of this.addr.dump("getaddr", request, opts)) out.push(toAddress(d));
    return out;
  }

  #addrRequest(index: number, prefix: string) {
    const p = parsePrefix(prefix);
    return {
      header: { ifaFamily: p.family, ifaPrefixlen: p.length, ifaIndex: index },
      attrs: { local: p.address, address: p.address },
    };
  }

  /** Adds an address, e.g. `addAddress("eth0", "10.0.0.1/24")`. */
  async addAddress(link: string | number, prefix: string, options: WaitOptions = {}) {
    await this.addr.do("newaddr", this.#addrRequest(await this.#index(link), prefix), {
      ...options,
      flags: NLM_F.CREATE | NLM_F.EXCL,
    });
  }

  /** Deletes an address. */
  async deleteAddress(link: string | number, prefix: string, options: WaitOptions = {}) {
    await this.addr.do("deladdr", this.#addrRequest(await this.#index(link), prefix), options);
  }

  /** Every route of the main table (or `table`), or of one IP version. */
  async routes(
    opts: DumpOptions & { ipVersion?: 4 | 6; table?: number } = {},
  ): Promise<Route[]> {
    const out: Route[] = [];
    const request = { header: { rtmFamily: familyNumber(opts.ipVersion) } };
    const table = opts.table ?? RT_TABLE_MAIN;
    for await (const d of this.route.dump("getroute", request, opts)) {
      const r = toRoute(d);
      if (table === 0 || r.table === table) out.push(r);
    }
    return out;
  }

  /**
   * Streams routes as lazy views ({@linkcode RouteView}): for big tables,
   * nothing is decoded until asked and nothing is kept.
   */
  routeViews(opts: DumpOptions & { ipVersion?: 4 | 6 } = {}): AsyncIterableIterator<RouteView> {
    const w = new MessageWriter(32).begin(RTM_GETROUTE, NLM_F.DUMP);
    w.buffer[w.fixed(12)] = familyNumber(opts.ipVersion);
    const inner = this.socket.dump(w.finish().slice(), opts);
    // a mapping iterator, not an async generator: one promise per route, not three
    const view = (r: IteratorResult<Message>): IteratorResult<RouteView> =>
      r.done ? r : { value: new RouteView(r.value), done: false };
    const it: AsyncIterableIterator<RouteView> = {
      next: () => inner.next().then(view),
      return: async (v?: unknown) => {
        await inner.return?.(v);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /**
   * Adds a route: `mode` "create" (the default) fails with EEXIST on an
   * existing one, "replace" overwrites it (`ip route replace`), "append"
   * adds another route with the same key (`ip route append`).
   */
  async addRoute(
    spec: RouteSpec,
    options: WaitOptions & { mode?: RouteMode } = {},
  ): Promise<void> {
    const { mode = "create", ...rest } = options;
    const flags = mode === "create"
      ? NLM_F.CREATE | NLM_F.EXCL
      : mode === "replace"
      ? NLM_F.CREATE | NLM_F.REPLACE
      : mode === "append"
      ? NLM_F.CREATE | NLM_F.APPEND
      : undefined;
    if (flags === undefined) {
      throw new TypeError(`route mode: "create", "replace" or "append", got ${String(mode)}`);
    }
    await this.route.do(
      "newroute",
      await routeRequest(spec, (ref, what) => this.#index(ref, what)),
      { ...rest, flags },
    );
  }

  /**
   * The route the kernel would use to reach `dst` (what `ip route get`
   * answers), optionally from a source, through an interface or with a mark.
   */
  async routeGet(
    dst: string,
    opts: WaitOptions & {
      from?: string;
      oif?: string | number;
      iif?: string | number;
      mark?: number;
    } = {},
  ): Promise<Route> {
    const { from, oif, iif, mark, ...options } = opts;
    const d = parseAddress(dst);
    const attrs: RouteAttrs = { dst: d };
    let srcLen = 0;
    if (from !== undefined) {
      attrs.src = parseAddress(from);
      if (attrs.src.length !== d.length) {
        throw new TypeError(`routeGet: from ${from} is not of the family of ${dst}`);
      }
      srcLen = d.length * 8;
    }
    if (oif !== undefined) attrs.oif = await this.#index(oif, "routeGet oif");
    if (iif !== undefined) attrs.iif = await this.#index(iif, "routeGet iif");
    if (mark !== undefined) attrs.mark = integer("routeGet mark", mark, 0, 0xffffffff);
    const [r] = await this.route.do("getroute", {
      header: {
        rtmFamily: d.length === 4 ? AF.INET : AF.INET6,
        rtmDstLen: d.length * 8,
        rtmSrcLen: srcLen,
      },
      attrs,
    }, options);
    if (!r) {
      throw new NetlinkError(113, { message: `no route to ${dst}` }, { operation: "RTM_GETROUTE" });
    }
    return toRoute(r);
  }

  /** Deletes a route. */
  async deleteRoute(spec: RouteSpec, options: WaitOptions = {}): Promise<void> {
    const r = await routeRequest(spec, (ref, what) => this.#index(ref, what));
    if (spec.scope === undefined) r.header.rtmScope = RT_SCOPE.nowhere;
    if (spec.protocol === undefined) r.header.rtmProtocol = 0;
    if (spec.type === undefined) r.header.rtmType = 0; // any type, as `ip route del`
    await this.route.do("delroute", r, options);
  }

  /**
   * Creates a nexthop object (`ip nexthop add`): a gateway and/or device, a
   * blackhole, or a group of others with weights; `mode: "replace"` changes
   * an existing one.
   */
  async addNexthop(
    spec: NexthopSpec,
    options: WaitOptions & { mode?: "create" | "replace" } = {},
  ): Promise<void> {
    const { mode = "create", ...rest } = options;
    if (mode !== "create" && mode !== "replace") {
      throw new TypeError(`nexthop mode: "create" or "replace", got ${String(mode)}`);
    }
    const r = await nexthopRequest(spec, (ref, what) => this.#index(ref, what));
    const flags = NLM_F.CREATE | (mode === "create" ? NLM_F.EXCL : NLM_F.REPLACE);
    await this.nexthop.do("newnexthop", r, { ...rest, flags });
  }

  /** Every nexthop object (`ip nexthop show`). */
  async nexthops(options: DumpOptions = {}): Promise<Nexthop[]> {
    const out: Nexthop[] = [];
    for await (const d of this.nexthop.dump("getnexthop", {}, options)) out.push(toNexthop(d));
    return out;
  }

  /** Deletes a nexthop object by id (routes using it go with it). */
  async deleteNexthop(id: number, options: WaitOptions = {}): Promise<void> {
    await this.nexthop.do("delnexthop", {
      attrs: { id: integer("nexthop id", id, 1, 0xffffffff) },
    }, options);
  }

  /**
   * The id this client's namespace gives another (a name under
   * /var/run/netns or a path), as `ip netns list-id` shows it; undefined
   * when none is assigned.
   */
  nsid(netns: string, options: WaitOptions = {}): Promise<number | undefined> {
    const client = FamilyClient.attach<RtNsidOps>(rtNsid, this.socket);
    return nsidOf(client, netns, { ...options, sys: this.#options.sys });
  }

  /** Every neighbour entry, or those of one IP version. */
  async neighbours(opts: DumpOptions & { ipVersion?: 4 | 6 } = {}): Promise<Neighbour[]> {
    const out: Neighbour[] = [];
    const request = { header: { ndmFamily: familyNumber(opts.ipVersion) } };
    for await (const d of this.neigh.dump("getneigh", request, opts)) out.push(toNeighbour(d));
    return out;
  }

  #neighRequest(link: number, dst: string, lladdr?: string) {
    const addr = parseAddress(dst);
    const attrs: NeighbourAttrs = { dst: addr };
    if (lladdr) attrs.lladdr = parseMac(lladdr);
    return {
      header: {
        ndmFamily: addr.length === 4 ? AF.INET : AF.INET6,
        ndmIfindex: link,
        ndmState: NUD_PERMANENT,
      },
      attrs,
    };
  }

  /** Adds a permanent neighbour entry, e.g. `addNeighbour("eth0", "10.0.0.9", "02:00:00:00:00:09")`. */
  async addNeighbour(
    link: string | number,
    dst: string,
    lladdr: string,
    options: WaitOptions = {},
  ): Promise<void> {
    await this.neigh.do("newneigh", this.#neighRequest(await this.#index(link), dst, lladdr), {
      ...options,
      flags: NLM_F.CREATE | NLM_F.EXCL,
    });
  }

  /** Deletes a neighbour entry. */
  async deleteNeighbour(link: string | number, dst: string, options: WaitOptions = {}) {
    await this.neigh.do("delneigh", this.#neighRequest(await this.#index(link), dst), options);
  }

  /**
   * Decoded events of the given kinds ({@linkcode RTNL_EVENT_GROUPS}: the
   * names the events' `kind` has), of IPv4 and IPv6 unless `ipVersion`
   * says one, on a socket of their own. A name that is not a kind throws a
   * TypeError naming the nearest and the valid ones. The
   * socket opens, and the subscription starts, at the first `next()` (a
   * `for await` loop calls it at once), so an iterator that is never
   * started holds nothing; leaving the loop, `return()` or the signal
   * closes it. To hear the events of changes you are about to make, start
   * reading first: the first `next()` has subscribed when it returns its
   * promise. An overrun is an item; the stream goes on.
   *
   * @example
   * ```ts ignore
   * import { Rtnl } from "../../mod.ts";
   * await using rtnl = Rtnl.open();
   * const events = rtnl.events(["link"], { signal: AbortSignal.timeout(5000) });
   * const first = events.next(); // subscribed from here
   * await rtnl.addVeth("v0", "v1");
   * console.log((await first).value); // { kind: "link", action: "new", ... }
   * ```
   */
  events(
    kinds: readonly RtnlEventKind[],
    options: { ipVersion?: 4 | 6; signal?: AbortSignal; receiveBufferSize?: number } = {},
  ): AsyncIterableIterator<RtnlEvent> {
    if (options.ipVersion !== undefined && options.ipVersion !== 4 && options.ipVersion !== 6) {
      throw new RangeError(`Rtnl.events: ipVersion is 4 or 6, not ${options.ipVersion}`);
    }
    const groups = eventGroups(kinds, options.ipVersion);
    const family = options.ipVersion === undefined ? undefined : familyNumber(options.ipVersion);
    const open = () =>
      NetlinkSocket.open(NETLINK.ROUTE, {
        ...this.#options,
        groups,
        receiveBufferSize: options.receiveBufferSize ?? this.#options.receiveBufferSize,
        signal: options.signal,
      });
    return (async function* (): AsyncGenerator<RtnlEvent> {
      // Opened here, at the first next(): the generator's body runs then.
      const sock = open();
      const clients = {
        link: FamilyClient.attach<RtLinkOps>(rtLink, sock),
        addr: FamilyClient.attach<RtAddrOps>(rtAddr, sock),
        route: FamilyClient.attach<RtRouteOps>(rtRoute, sock),
        neigh: FamilyClient.attach<RtNeighOps>(rtNeigh, sock),
      };
      try {
        for await (const m of sock.events()) {
          if (m instanceof Overrun) {
            yield m;
            continue;
          }
          const t = m.type;
          if (t === 16 || t === 17) {
            yield {
              kind: "link",
              action: t === 16 ? "new" : "del",
              link: toLink(clients.link.decode(m) as Decoded<Ifinfomsg, LinkAttrs>),
            };
          } else if (t === 20 || t === 21) {
            yield {
              kind: "address",
              action: t === 20 ? "new" : "del",
              address: toAddress(clients.addr.decode(m) as Decoded<Ifaddrmsg, AddrAttrs>),
            };
          } else if (t === 24 || t === 25) {
            yield {
              kind: "route",
              action: t === 24 ? "new" : "del",
              route: toRoute(clients.route.decode(m) as Decoded<Rtmsg, RouteAttrs>),
            };
          } else if (t === 28 || t === 29) {
            const neighbour = toNeighbour(
              clients.neigh.decode(m) as Decoded<Ndmsg, NeighbourAttrs>,
            );
            // One group carries both families' neighbours.
            if (family !== undefined && neighbour.family !== family) continue;
            yield {
              kind: "neighbour",
              action: t === 28 ? "new" : "del",
              neighbour,
            };
          } else yield { kind: "other", type: t };
        }
      } finally {
        await sock.close();
      }
    })();
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.socket.close();
  }

  /** Same as {@linkcode Rtnl.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
