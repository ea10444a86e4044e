/**
 * What `ip -j link|address|route|neigh show` prints, from the same dumps ip
 * sends, through the generated families; only the families a command needs
 * are loaded (rt-link always: every object names its links). The rules are
 * iproute2 6.1's (the `ip` of this project's test host); later versions add
 * keys (gso_ipv4_max_size, ...) that this does not print.
 *
 * @module
 */
import { NETLINK } from "../../constants.ts";
import { NetlinkSocket } from "../../socket.ts";
import { FamilyClient } from "../../ynl/family.ts";
import type { FamilySpec } from "../../ynl/schema.ts";
import { RTEXT_FILTER, rtLink, type RtLinkOps } from "../../families/rt_link.ts";
import { type LinkIndex, linkJson } from "./link.ts";

/**
 * What to list.
 *
 * @example
 * ```ts
 * import type { IpObject } from "./show.ts";
 * const what: IpObject = "route";
 * ```
 */
export type IpObject = "link" | "address" | "route" | "neighbour";

/**
 * The options of a listing, as ip's.
 *
 * @example
 * ```ts
 * import type { ShowOptions } from "./show.ts";
 * const opts: ShowOptions = { ipVersion: 6, table: 0 };
 * ```
 */
export interface ShowOptions {
  /** -4 / -6. */
  ipVersion?: 4 | 6;
  /** -d. */
  details?: boolean;
  /** The namespace (a name under /var/run/netns, or a path). */
  netns?: string;
  /** `route show table ID`: a table id, 0 for all; ip's default is main. */
  table?: number;
  /** `neigh show proxy`. */
  proxy?: boolean;
  /** A bound on the whole listing. */
  signal?: AbortSignal;
}

const AF_UNSPEC = 0, AF_INET = 2, AF_INET6 = 10, AF_PACKET = 17;
const RT_TABLE_MAIN = 254;
const NTF_PROXY = 8;

// rt-link attributes ip prints nothing of (counters without -s, VF and port
// data, XDP, which this does not print) and those it prints only with -d
const UNPRINTED = new Set([
  "stats",
  "stats64",
  "map",
  "xdp",
  "vfinfo-list",
  "vf-ports",
  "port-self",
  "devlink-port",
  "dpll-pin",
]);
const DETAILS_ONLY = new Set(["linkinfo", "af-spec"]);

/**
 * The rt-link spec with the attributes this listing does not print read as
 * padding: the codec skips them instead of decoding nests of counters.
 */
function linkSpec(details: boolean): FamilySpec {
  const set = rtLink.sets["link-attrs"];
  const skip = (name: string) => UNPRINTED.has(name) || (!details && DETAILS_ONLY.has(name));
  return {
    ...rtLink,
    sets: {
      ...rtLink.sets,
      "link-attrs": {
        ...set,
        attrs: set.attrs.map((a) => skip(a.name) ? { ...a, kind: "pad" as const } : a),
      },
    },
  };
}

/**
 * The objects ip would print, in its order.
 *
 * @example
 * ```ts ignore
 * import { show } from "./show.ts";
 * console.log(JSON.stringify(await show("route", { ipVersion: 4, netns: "blue" })));
 * ```
 */
export async function show(what: IpObject, opts: ShowOptions = {}): Promise<unknown[]> {
  const family = opts.ipVersion === 4 ? AF_INET : opts.ipVersion === 6 ? AF_INET6 : AF_UNSPEC;
  const dump = { signal: opts.signal };
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: opts.netns });
  const link = FamilyClient.attach<RtLinkOps>(linkSpec(opts.details ?? false), sock);
  const listLinks = async (ifiFamily: number) => {
    const out = [];
    // rtnl_linkdump_req_filter_fn: the mask only for AF_UNSPEC and AF_PACKET
    // (stats are skipped too: nothing here prints them)
    const attrs = ifiFamily === AF_UNSPEC || ifiFamily === AF_PACKET
      ? { extMask: RTEXT_FILTER.vf | RTEXT_FILTER["skip-stats"] }
      : {};
    for await (const d of link.dump("getlink", { header: { ifiFamily }, attrs }, dump)) out.push(d);
    return out;
  };
  // ip_link_list asks with its family: AF_PACKET for `ip link`, -4/-6 for `ip address`
  const linkFamily = what === "link" ? AF_PACKET : what === "address" ? family : AF_UNSPEC;
  const links = await listLinks(linkFamily);
  // The kernel's IPv6 answer is its own, shorter one: no txqlen, which ip then
  // reads with SIOCGIFTXQLEN (dev->tx_queue_len), the value a full dump has.
  const full = linkFamily === AF_INET6 ? await listLinks(AF_UNSPEC) : links;
  const index: LinkIndex = { names: new Map(), types: new Map() };
  const txqlen = new Map<number, number | undefined>();
  for (const l of full) {
    index.names.set(l.header.ifiIndex ?? 0, l.attrs.ifname ?? "");
    index.types.set(l.header.ifiIndex ?? 0, l.header.ifiType ?? 0);
    txqlen.set(l.header.ifiIndex ?? 0, l.attrs.txqlen);
  }
  for (const l of links) l.attrs.txqlen ??= txqlen.get(l.header.ifiIndex ?? 0);
  const linkinfo = opts.details ? (await import("./link_details.ts")).linkinfoJson : undefined;

  if (what === "link") {
    return links.map((l) =>
      linkJson(l.header, l.attrs, index, {
        details: opts.details,
        doLink: true,
        family: AF_PACKET,
        linkinfo,
      })
    );
  }
  if (what === "address") {
    const [{ rtAddr }, addr] = await Promise.all([
      import("../../families/rt_addr.ts"),
      import("./addr.ts"),
    ]);
    const client = FamilyClient.attach(rtAddr, sock);
    const addrs: import("./addr.ts").AddrMessage[] = [];
    for await (const d of client.dump("getaddr", { header: { ifaFamily: family } }, dump)) {
      addrs.push(d as import("./addr.ts").AddrMessage);
    }
    return links.filter((l) => addr.keepLink(l.header.ifiIndex ?? 0, addrs, family)).map((l) => ({
      ...linkJson(l.header, l.attrs, index, { details: opts.details, family, linkinfo }),
      addr_info: addr.addrInfo(l.header.ifiIndex ?? 0, addrs, family),
    }));
  }
  if (what === "route") {
    const [{ rtRoute }, route] = await Promise.all([
      import("../../families/rt_route.ts"),
      import("./route.ts"),
    ]);
    const table = opts.table ?? RT_TABLE_MAIN;
    // iproute_list_flush_or_save: a table filter without -4/-6 lists IPv4
    const dumpFamily = family === AF_UNSPEC && table ? AF_INET : family;
    const client = FamilyClient.attach(rtRoute, sock);
    const keep = route.routeFilter(table);
    const out: unknown[] = [];
    // iproute_dump_filter: the table goes in the request (the kernel filters,
    // and answers ENOENT for a table that does not exist, as ip shows)
    const request = { header: { rtmFamily: dumpFamily }, attrs: table ? { table } : {} };
    for await (const d of client.dump("getroute", request, dump)) {
      const m = d as import("./route.ts").RouteMessage;
      if (family && m.header.rtmFamily !== family) continue;
      if (keep(m)) out.push(route.routeJson(m, index, { table, details: opts.details }));
    }
    return out;
  }
  const [{ rtNeigh }, neigh] = await Promise.all([
    import("../../families/rt_neigh.ts"),
    import("./neigh.ts"),
  ]);
  const client = FamilyClient.attach(rtNeigh, sock);
  const out: unknown[] = [];
  const request = { header: { ndmFamily: family, ndmFlags: opts.proxy ? NTF_PROXY : 0 } };
  for await (const d of client.dump("getneigh", request, dump)) {
    const m = d as import("./neigh.ts").NeighMessage;
    if (family && m.header.ndmFamily !== family) continue;
    if (neigh.neighShown(m)) out.push(neigh.neighJson(m, index));
  }
  return out;
}
