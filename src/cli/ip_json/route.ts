/**
 * `ip -j route`: iproute2's ip/iproute.c print_route, key by key, and the
 * filter of `ip route show [table ID]` (filter_nlmsg).
 *
 * @module
 */
import type { RouteAttrs, Rtmsg } from "../../families/rt_route.ts";
import { RTM_TYPE, rtRoute } from "../../families/rt_route.ts";
import { decodeMultipath, RTNH_F } from "../../rtnl/routes.ts";
import { enumValue, ntop } from "./format.ts";
import { type LinkIndex, nameOf } from "./link.ts";
import { protocolName, scopeName, tableName } from "./names.ts";

const AF_INET = 2, AF_INET6 = 10;
const RT_TABLE_MAIN = 254, RT_TABLE_LOCAL = 255;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const USER_HZ = 100;
// print_rt_pref: ICMPV6_ROUTER_PREF_MEDIUM 0, HIGH 1, LOW 3
const ROUTER_PREF: Record<number, string> = { 0: "medium", 1: "high", 3: "low" };

// <linux/rtnetlink.h> RTM_F_* (no spec names rtm_flags)
const RTM_F = {
  NOTIFY: 0x100,
  CLONED: 0x200,
  OFFLOAD: 0x4000,
  TRAP: 0x8000,
  OFFLOAD_FAILED: 0x20000000,
} as const;

/**
 * A route message, decoded.
 *
 * @example
 * ```ts
 * import type { RouteMessage } from "./route.ts";
 * const m: RouteMessage = { header: { rtmFamily: 2, rtmTable: 254 }, attrs: {} };
 * ```
 */
export interface RouteMessage {
  /** The fixed header. */
  header: Rtmsg;
  /** Its attributes. */
  attrs: RouteAttrs;
}

/**
 * rtm_get_table: RTA_TABLE when present, else rtm_table.
 *
 * @example
 * ```ts
 * import { routeTable } from "./route.ts";
 * routeTable({ header: { rtmTable: 252 }, attrs: { table: 1000 } }); // 1000
 * ```
 */
export function routeTable(m: RouteMessage): number {
  return m.attrs.table ?? m.header.rtmTable ?? 0;
}

/**
 * The filter of `ip route show`: a table (0: all), as filter_nlmsg applies it.
 *
 * @example
 * ```ts
 * import { routeFilter } from "./route.ts";
 * const main = routeFilter(254);
 * main({ header: { rtmFamily: 2, rtmTable: 255 }, attrs: {} }); // false
 * ```
 */
export function routeFilter(table: number): (m: RouteMessage) => boolean {
  let ip6MultipleTables = false; // a static in ip: set by the first IPv6 route not in main
  return (m) => {
    const h = m.header;
    const t = routeTable(m);
    if (h.rtmFamily === AF_INET6 && t !== RT_TABLE_MAIN) ip6MultipleTables = true;
    if ((h.rtmFlags ?? 0) & RTM_F.CLONED) return false;
    const type = enumValue(h.rtmType, RTM_TYPE) ?? 0;
    if (h.rtmFamily === AF_INET6 && !ip6MultipleTables) {
      if (table) {
        if (table === RT_TABLE_LOCAL) return type === RTM_TYPE.local;
        if (table === RT_TABLE_MAIN) return type !== RTM_TYPE.local;
        return false;
      }
    } else if (table > 0 && table !== t) return false;
    return true;
  };
}

/** print_rt_flags: the flags ip names, in its order. */
function rtFlags(flags: number): string[] {
  const out: string[] = [];
  if (flags & RTNH_F.dead) out.push("dead");
  if (flags & RTNH_F.onlink) out.push("onlink");
  if (flags & RTNH_F.pervasive) out.push("pervasive");
  if (flags & RTNH_F.offload) out.push("offload");
  if (flags & RTNH_F.trap) out.push("trap");
  if (flags & RTM_F.NOTIFY) out.push("notify");
  if (flags & RTNH_F.linkdown) out.push("linkdown");
  if (flags & RTNH_F.unresolved) out.push("unresolved");
  if (flags & RTM_F.OFFLOAD) out.push("rt_offload");
  if (flags & RTM_F.TRAP) out.push("rt_trap");
  if (flags & RTM_F.OFFLOAD_FAILED) out.push("rt_offload_failed");
  return out;
}

/** An address (or prefix) as ip prints dst and from: `x` for a host, `x/len` else. */
function prefix(addr: Uint8Array | undefined, len: number, family: number): string | undefined {
  const hostLen = family === AF_INET6 ? 128 : family === AF_INET ? 32 : -1;
  if (addr) return len !== hostLen ? `${ntop(addr)}/${len}` : ntop(addr);
  return undefined;
}

// iproute.c mx_names, by the rt-route spec's metric attributes (type order, from RTAX_MTU)
const METRICS = rtRoute.sets.metrics.attrs.filter((a) => a.type >= 2).sort((a, b) =>
  a.type - b.type
);

function metricsJson(mx: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const lock = Number(mx.lock ?? 0);
  for (const spec of METRICS) {
    const v = mx[spec.key];
    if (v === undefined && !(lock & (1 << spec.type))) continue;
    if (spec.name === "cc-algo") {
      o.congestion = v ?? "";
      continue;
    }
    let val = Number(v ?? 0) >>> 0;
    if (spec.name === "hoplimit" && val === 0xffffffff) continue;
    if (spec.name === "features") {
      const ECN = 1;
      if (val & ECN) o.ecn = null;
      if (val & ~ECN) o.features = `0x${val.toString(16)}`;
      continue;
    }
    if (spec.name === "rtt") val = Math.floor(val / 8);
    else if (spec.name === "rttvar") val = Math.floor(val / 4);
    o[spec.name === "rto-min" ? "rto_min" : spec.name.replaceAll("-", "_")] = val;
  }
  return o;
}

/**
 * print_route: one route's JSON object.
 *
 * @example
 * ```ts
 * import { routeJson } from "./route.ts";
 * const links = { names: new Map([[2, "eth0"]]), types: new Map() };
 * routeJson({
 *   header: { rtmFamily: 2, rtmDstLen: 32, rtmTable: 254, rtmProtocol: 3, rtmScope: 253, rtmType: 1 },
 *   attrs: { dst: new Uint8Array([10, 0, 0, 1]), oif: 2 },
 * }, links, { table: 254 }); // { dst: "10.0.0.1", dev: "eth0", scope: "link", flags: [] }
 * ```
 */
export function routeJson(
  m: RouteMessage,
  links: LinkIndex,
  opts: { table?: number; details?: boolean } = {},
): Record<string, unknown> {
  const h = m.header, a = m.attrs;
  const family = h.rtmFamily ?? 0;
  const type = enumValue(h.rtmType, RTM_TYPE) ?? 0;
  const flags = h.rtmFlags ?? 0;
  const o: Record<string, unknown> = {};
  if (type !== RTM_TYPE.unicast || opts.details) o.type = typeName(type);
  const dstLen = h.rtmDstLen ?? 0;
  o.dst = prefix(a.dst, dstLen, family) ?? (dstLen ? `0/${dstLen} ` : "default");
  const srcLen = h.rtmSrcLen ?? 0;
  if (a.src) o.from = prefix(a.src, srcLen, family);
  else if (srcLen) o.src = `0/${srcLen}`;
  if (a.nhId !== undefined) o.nhid = a.nhId;
  if (a.newdst) o.to = ntop(a.newdst);
  if (h.rtmTos) o.tos = `0x${h.rtmTos.toString(16).padStart(2, "0")}`;
  if (a.gateway) o.gateway = ntop(a.gateway);
  if (a.oif !== undefined) o.dev = nameOf(links, a.oif);
  const table = routeTable(m);
  if (table && (table !== RT_TABLE_MAIN || opts.details) && !opts.table) {
    o.table = tableName(table);
  }
  if (!(flags & RTM_F.CLONED)) {
    const proto = h.rtmProtocol ?? 0;
    if (proto !== RTPROT_BOOT || opts.details) o.protocol = protocolName(proto);
    const scope = h.rtmScope ?? 0;
    if (scope !== RT_SCOPE_UNIVERSE || opts.details) o.scope = scopeName(scope);
  }
  if (a.prefsrc) o.prefsrc = ntop(a.prefsrc);
  if (a.priority !== undefined) o.metric = a.priority;
  o.flags = rtFlags(flags);
  if (a.mark) o.mark = a.mark;
  if (a.flow !== undefined) {
    const to = a.flow & 0xffff, from = a.flow >>> 16;
    o.flow = from ? { from: String(from), to: String(to) } : { to: String(to) };
  }
  if (a.uid !== undefined) o.uid = a.uid;
  const ci = a.cacheinfo;
  if (ci && (family === AF_INET || family === AF_INET6)) {
    if (ci.rtaExpires) o.expires = Math.trunc((ci.rtaExpires | 0) / USER_HZ);
    if (ci.rtaError) o.error = ci.rtaError;
  }
  if (a.metrics) o.metrics = [metricsJson(a.metrics as Record<string, unknown>)];
  if (a.iif !== undefined) o.iif = nameOf(links, a.iif);
  if (a.pref !== undefined) o.pref = ROUTER_PREF[a.pref] ?? a.pref;
  if (a.ttlPropagate !== undefined) o["ttl-propogate"] = a.ttlPropagate !== 0;
  if (a.multipath) {
    o.nexthops = decodeMultipath(a.multipath).map((nh) => {
      const n: Record<string, unknown> = {};
      if (nh.attrs.newdst) n.to = ntop(nh.attrs.newdst);
      if (nh.attrs.gateway) n.gateway = ntop(nh.attrs.gateway);
      if (nh.attrs.flow !== undefined) {
        const to = nh.attrs.flow & 0xffff, from = nh.attrs.flow >>> 16;
        n.flow = from ? { from: String(from), to: String(to) } : { to: String(to) };
      }
      n.dev = nameOf(links, nh.ifindex);
      n.weight = nh.weight;
      n.flags = rtFlags(nh.flags);
      return n;
    });
  }
  return o;
}

/** rtnl_rtntype_n2a: the spec's `rtm-type` name, "none" for unspec, else the number. */
function typeName(type: number): string {
  if (type === 0) return "none";
  for (const [name, v] of Object.entries(RTM_TYPE)) if (v === type) return name;
  return String(type);
}
