/**
 * {@linkcode Rtnl}: rtnetlink's common jobs (links, addresses, routes and
 * neighbours; veth pairs; link state; events) on top of the families
 * generated from the kernel's specs. Addresses stay bytes unless you format
 * them; attributes the spec does not know are kept under `attrs.unknown`.
 *
 * @module
 */
import { AF, parseAddress } from "../address.ts";
import { NETLINK, NLM_F } from "../constants.ts";
import { NetlinkError, SyscallError } from "../errors.ts";
import { loadSys } from "../sys.ts";
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
  toRoute,
} from "./decoded.ts";
import { changeRequest, type LinkChange, type LinkKindSpec, linkRequest } from "./links.ts";
import { type Nexthop, nexthopRequest, type NexthopSpec, toNexthop } from "./nexthops.ts";
import { type RouteMode, routeRequest, type RouteSpec, RT_SCOPE } from "./routes.ts";
import { FamilyClient } from "../ynl/family.ts";
import { rtAddr, type RtAddrOps } from "../families/rt_addr.ts";
import { rtLink, type RtLinkOps } from "../families/rt_link.ts";
import { rtNeigh, type RtNeighOps } from "../families/rt_neigh.ts";
import { rtNexthop, type RtNexthopOps } from "../families/rt_nexthop.ts";
import { rtNsid, type RtNsidOps } from "../families/rt_nsid.ts";
import { nsidOf } from "./netns.ts";
import * as nb from "./neighbours.ts";
import * as fdb from "./fdb.ts";
import * as brv from "./bridge_vlans.ts";
import { addressRequest, type AddressSpec } from "./addresses.ts";
import * as rule from "./rules.ts";
import { type EventOptions, type RtnlEvent, type RtnlEventKind, rtnlEvents } from "./events.ts";
import { setupTun } from "./tun.ts";
import { type RouteAttrs, rtRoute, type RtRouteOps } from "../families/rt_route.ts";

export type { Address, Link, Neighbour, Route } from "./decoded.ts";
export type { RouteSpec } from "./routes.ts";

export { RTNL_EVENT_GROUPS, type RtnlEvent, type RtnlEventKind, RTNLGRP } from "./events.ts";

const IFF_UP = 1;
const RT_TABLE_MAIN = 254;
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
    return (await this.link.dumpAll("getlink", {}, options)).map(toLink);
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

  readonly #ix = (link: string | number, what: string) => this.#index(link, what);

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
    if (spec?.kind === "tun" || spec?.kind === "tap") {
      // the kernel makes these through /dev/net/tun only, in the opener's namespace
      await linkRequest(name, { kind: "dummy" }, this.#ix); // the name's checks
      // TUNSETIFF attaches to an existing device of the name: refuse as RTM_NEWLINK would
      if ((await this.links(options)).some((l) => l.name === name)) {
        throw new SyscallError("TUNSETIFF", -17, name);
      }
      const ns = this.#options.netns;
      const path = ns === undefined || ns.includes("/") ? ns : `/var/run/netns/${ns}`;
      setupTun(this.#options.sys ?? loadSys(), name, spec, true, path);
      return;
    }
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

  /**
   * Changes a link's kind data in place (`ip link set DEV type KIND ...`),
   * e.g. `changeLinkKind("bond0", { kind: "bond", miimon: 200 })`; the kernel
   * says which fields of a kind can change (EOPNOTSUPP or EINVAL otherwise).
   */
  async changeLinkKind(
    link: string | number,
    spec: LinkKindSpec,
    options: WaitOptions = {},
  ): Promise<void> {
    const ifiIndex = await this.#index(link);
    if (spec?.kind === "veth") {
      throw new TypeError("changeLinkKind: a veth has no kind data to change");
    }
    const { linkinfo } = await linkRequest("-", spec, this.#ix);
    await this.link.do("newlink", { header: { ifiIndex }, attrs: { linkinfo } }, options);
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

  /**
   * Adds an address, e.g. `addAddress("eth0", "10.0.0.1/24")`, or with
   * flags, lifetimes, peer, broadcast, label ({@linkcode AddressSpec});
   * `mode: "replace"` changes an existing one (`ip address replace`).
   */
  async addAddress(
    link: string | number,
    spec: string | AddressSpec,
    options: WaitOptions & { mode?: "create" | "replace" } = {},
  ): Promise<void> {
    const { mode = "create", ...rest } = options;
    if (mode !== "create" && mode !== "replace") {
      throw new TypeError(`address mode: "create" or "replace", got ${String(mode)}`);
    }
    const r = addressRequest(await this.#index(link), spec);
    await this.addr.do("newaddr", r, {
      ...rest,
      flags: NLM_F.CREATE | (mode === "create" ? NLM_F.EXCL : NLM_F.REPLACE),
    });
  }

  /** Deletes an address ("ADDRESS/LEN", or its spec with the peer). */
  async deleteAddress(
    link: string | number,
    spec: string | AddressSpec,
    options: WaitOptions = {},
  ): Promise<void> {
    await this.addr.do("deladdr", addressRequest(await this.#index(link), spec), options);
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

  /** Adds a rule (`ip rule add`); see {@linkcode rule.RuleSpec}. */
  addRule(spec: rule.RuleSpec, options: WaitOptions = {}): Promise<void> {
    return rule.addRule(this.socket, spec, options);
  }

  /** Deletes the first rule matching `spec` (`ip rule del`); fields left out match any. */
  deleteRule(spec: rule.RuleSpec, options: WaitOptions = {}): Promise<void> {
    return rule.deleteRule(this.socket, spec, options);
  }

  /** Every IPv4 and IPv6 rule, or those of one version (`ip rule list`). */
  rules(opts: DumpOptions & { ipVersion?: 4 | 6 } = {}): Promise<rule.Rule[]> {
    return rule.rules(this.socket, opts);
  }

  /** Every neighbour entry, or those of one IP version, or the proxy entries (`proxy: true`). */
  neighbours(
    opts: DumpOptions & { ipVersion?: 4 | 6; proxy?: boolean } = {},
  ): Promise<Neighbour[]> {
    return nb.listNeighbours(this.neigh, opts);
  }

  /**
   * Adds a neighbour entry: `addNeighbour("eth0", "10.0.0.9", "02:00:00:00:00:09")`
   * (permanent), or a {@linkcode nb.NeighbourSpec} with a state, router or
   * proxy flag; `mode: "replace"` as `ip neigh replace`.
   */
  addNeighbour(
    link: string | number,
    dst: string,
    lladdr: string,
    options?: WaitOptions,
  ): Promise<void>;
  /** Adds (or with `mode: "replace"` replaces) the neighbour entry `spec`. */
  addNeighbour(
    spec: nb.NeighbourSpec,
    options?: WaitOptions & { mode?: "create" | "replace" },
  ): Promise<void>;
  addNeighbour(
    a: string | number | nb.NeighbourSpec,
    b?: string | WaitOptions & { mode?: "create" | "replace" },
    lladdr?: string,
    options: WaitOptions = {},
  ): Promise<void> {
    if (typeof a === "object") return nb.addNeighbour(this.neigh, this.#ix, a, b as WaitOptions);
    return nb.addNeighbour(this.neigh, this.#ix, { dev: a, dst: b as string, lladdr }, options);
  }

  /** Deletes a neighbour entry (by link and address, or by its spec, e.g. a proxy one). */
  deleteNeighbour(link: string | number, dst: string, options?: WaitOptions): Promise<void>;
  /** Deletes the neighbour entry `spec` (a proxy one with `proxy: true`). */
  deleteNeighbour(spec: nb.NeighbourSpec, options?: WaitOptions): Promise<void>;
  async deleteNeighbour(
    a: string | number | nb.NeighbourSpec,
    b?: string | WaitOptions,
    options: WaitOptions = {},
  ): Promise<void> {
    const spec = typeof a === "object" ? a : { dev: a, dst: b as string };
    const r = await nb.neighbourRequest(spec, this.#ix);
    await this.neigh.do("delneigh", r, typeof a === "object" ? b as WaitOptions : options);
  }

  /** Deletes what `ip neigh flush` would (see {@linkcode nb.flushNeighbours}); returns how many. */
  flushNeighbours(opts: Parameters<typeof nb.flushNeighbours>[2] = {}): Promise<number> {
    return nb.flushNeighbours(this.neigh, this.#ix, opts);
  }

  /** Adds a bridge FDB entry (`bridge fdb add/append/replace`); see {@linkcode fdb.FdbSpec}. */
  addFdb(spec: fdb.FdbSpec, options: WaitOptions & { mode?: fdb.FdbMode } = {}): Promise<void> {
    return fdb.addFdb(this.neigh, this.#ix, spec, options);
  }

  /** Deletes a bridge FDB entry (`bridge fdb del`). */
  deleteFdb(spec: fdb.FdbSpec, options: WaitOptions = {}): Promise<void> {
    return fdb.deleteFdb(this.neigh, this.#ix, spec, options);
  }

  /** Every bridge FDB entry (`bridge fdb show`), or those of `dev`. */
  fdb(opts: DumpOptions & { dev?: string | number } = {}): Promise<Neighbour[]> {
    return fdb.listFdb(this.neigh, this.#ix, opts);
  }

  /** Adds VLANs to a bridge port or bridge (`bridge vlan add`); see {@linkcode brv.BridgeVlanSpec}. */
  addBridgeVlan(spec: brv.BridgeVlanSpec, options: WaitOptions = {}): Promise<void> {
    return brv.changeBridgeVlan(this.socket, this.#ix, spec, false, options);
  }

  /** Deletes VLANs of a bridge port or bridge (`bridge vlan del`). */
  deleteBridgeVlan(spec: brv.BridgeVlanSpec, options: WaitOptions = {}): Promise<void> {
    return brv.changeBridgeVlan(this.socket, this.#ix, spec, true, options);
  }

  /** The VLANs of every bridge port and bridge (`bridge vlan show`). */
  bridgeVlans(options: DumpOptions = {}): Promise<brv.LinkVlans[]> {
    return brv.bridgeVlans(this.socket, options);
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
    options: EventOptions = {},
  ): AsyncIterableIterator<RtnlEvent> {
    return rtnlEvents(this.#options, kinds, options);
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
