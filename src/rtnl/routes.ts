/**
 * Routes beyond the basics: types, scope, protocol, preferred source,
 * metrics, multipath (ECMP) with weights and per-hop gateway and device,
 * replace and append, and what `ip route get` answers. Attributes are the
 * generated rt-route ones; only `struct rtnexthop` (RTA_MULTIPATH's items),
 * which the kernel's spec leaves as bytes, and the scope/protocol numbers
 * of `<linux/rtnetlink.h>`, which it does not name, are stated here.
 *
 * @module
 */
import { nameOf as tableName } from "../tables.ts";
import { AttributeDecoder } from "../attribute.ts";
import { ParseError } from "../errors.ts";
import { MessageWriter } from "../writer.ts";
import { type Attrs, decodeAttrs, encodeAttrs } from "../ynl/codec.ts";
import {
  type MetricsAttrs,
  type RouteAttrs,
  RTM_TYPE,
  type Rtmsg,
  rtRoute,
} from "../families/rt_route.ts";
import { parseAddress, parsePrefix } from "../address.ts";
import { hint } from "../suggest.ts";
import { integer, named } from "./check.ts";

/** Route types by name (the generated `rtm-type` enum of rt-route). */
export type RouteType = keyof typeof RTM_TYPE;

/** Route scopes (RT_SCOPE_* of `<linux/rtnetlink.h>`), by the names `ip` prints. */
export const RT_SCOPE = { universe: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;

/** Route scope names. */
export type RouteScope = keyof typeof RT_SCOPE;

/** Routing protocols (RTPROT_* of `<linux/rtnetlink.h>`), by the names `ip` prints. */
export const RTPROT = {
  unspec: 0,
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  dhcp: 16,
  bird: 12,
  zebra: 11,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
} as const;

/** Routing protocol names. */
export type RouteProtocol = keyof typeof RTPROT;

/** RTNH_F_* flags of a next hop (`<linux/rtnetlink.h>`). */
export const RTNH_F = {
  dead: 1,
  pervasive: 2,
  onlink: 4,
  offload: 8,
  linkdown: 16,
  unresolved: 32,
  trap: 64,
} as const;

/** One next hop of a multipath route, decoded from its `struct rtnexthop`. */
export interface NextHop {
  /** Outgoing interface index (rtnh_ifindex). */
  ifindex: number;
  /** Weight, 1..256 (rtnh_hops + 1, as `ip` prints it). */
  weight: number;
  /** RTNH_F_* flags. */
  flags: number;
  /** Gateway (RTA_GATEWAY inside the hop), bytes. */
  gateway?: Uint8Array;
  /** Every attribute of the hop, decoded as rt-route attributes. */
  attrs: RouteAttrs;
}

/** What a next hop of a new multipath route takes (device already resolved to an index). */
export interface NextHopSpec {
  /** Outgoing interface index. */
  ifindex: number;
  /** Weight, 1..256. Default 1. */
  weight?: number;
  /** Gateway, bytes. */
  gateway?: Uint8Array;
  /** RTNH_F_* flags (e.g. onlink). */
  flags?: number;
}

const RTNH_SIZE = 8;

/**
 * Decodes RTA_MULTIPATH: a run of `struct rtnexthop` (len u16, flags u8,
 * hops u8, ifindex s32), each followed by rt-route attributes.
 *
 * @example
 * ```ts
 * import { decodeMultipath } from "./routes.ts";
 * decodeMultipath(new Uint8Array([8, 0, 0, 1, 3, 0, 0, 0])); // [{ ifindex: 3, weight: 2, ... }]
 * ```
 */
export function decodeMultipath(bytes: Uint8Array): NextHop[] {
  const out: NextHop[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o + RTNH_SIZE <= bytes.length) {
    const len = dv.getUint16(o, true);
    if (len < RTNH_SIZE || o + len > bytes.length) {
      throw new ParseError(`bad rtnexthop length ${len} at ${o} of ${bytes.length}`, o);
    }
    const attrs = decodeAttrs(
      rtRoute,
      "route-attrs",
      new AttributeDecoder(bytes, o + RTNH_SIZE, o + len),
    ) as RouteAttrs;
    out.push({
      ifindex: dv.getInt32(o + 4, true),
      weight: bytes[o + 3] + 1,
      flags: bytes[o + 2],
      gateway: attrs.gateway,
      attrs,
    });
    o += (len + 3) & ~3;
  }
  if (o !== bytes.length) {
    throw new ParseError(`${bytes.length - o} trailing bytes after the next hops`, o);
  }
  return out;
}

/**
 * Encodes next hops as RTA_MULTIPATH's value.
 *
 * @example
 * ```ts
 * import { encodeMultipath } from "./routes.ts";
 * encodeMultipath([{ ifindex: 3, weight: 2, gateway: new Uint8Array([10, 0, 0, 2]) }]);
 * ```
 */
export function encodeMultipath(hops: readonly NextHopSpec[]): Uint8Array {
  const parts = hops.map((h) => {
    const w = new MessageWriter(64).begin(0);
    w.fixed(RTNH_SIZE);
    const attrs: RouteAttrs = {};
    if (h.gateway) attrs.gateway = h.gateway;
    encodeAttrs(rtRoute, "route-attrs", w, attrs as Attrs);
    const b = w.finish().slice(16);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, b.length, true);
    b[2] = h.flags ?? 0;
    b[3] = (h.weight ?? 1) - 1;
    dv.setInt32(4, h.ifindex, true);
    return b;
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The name of a number in one of the tables above, or the number itself as text. */
export function nameOf(table: Readonly<Record<string, number>>, n: number): string {
  return tableName(table, n) ?? String(n);
}

/** Route metrics as the generated rt-route `rta-metrics` set has them (mtu, advmss, ...). */
export type RouteMetrics = MetricsAttrs;

/** What `Rtnl.addRoute` and `Rtnl.deleteRoute` take. */
export interface RouteSpec {
  /** Destination prefix, e.g. "10.2.0.0/16" or "default" (IPv4) / "::/0". */
  dst: string;
  /** Next hop. */
  gateway?: string;
  /** Outgoing interface (name or index). */
  dev?: string | number;
  /** Metric. */
  metric?: number;
  /** Table id. Default main (254). */
  table?: number;
  /** Type. Default "unicast". */
  type?: RouteType;
  /** Scope. Default "universe" with a gateway or multipath, "host" for local, else "link". */
  scope?: RouteScope;
  /** Protocol. Default "boot" (as `ip route add`). */
  protocol?: RouteProtocol;
  /** Preferred source address. */
  prefsrc?: string;
  /** Metrics, e.g. `{ mtu: 1400, advmss: 1360 }`. */
  metrics?: RouteMetrics;
  /** Next hops of a multipath (ECMP) route, instead of `gateway`/`dev`. */
  multipath?: readonly RouteHop[];
  /** A nexthop object's id (`ip route add ... nhid N`), instead of `gateway`/`dev`. */
  nexthop?: number;
}

/** One next hop of a multipath {@linkcode RouteSpec}. */
export interface RouteHop {
  /** Gateway address. */
  gateway?: string;
  /** Outgoing interface (name or index). */
  dev?: string | number;
  /** Weight, 1..256. Default 1. */
  weight?: number;
}

/** How `Rtnl.addRoute` treats an existing route with the same key. */
export type RouteMode = "create" | "replace" | "append";

const ROUTE_KEYS = [
  "dst",
  "gateway",
  "dev",
  "metric",
  "table",
  "type",
  "scope",
  "protocol",
  "prefsrc",
  "metrics",
  "multipath",
  "nexthop",
];
const HOP_KEYS = ["gateway", "dev", "weight"];

const RT_TABLE_MAIN = 254;

/**
 * The rt-route request for `spec`, checked by the names the caller used
 * before anything is sent; `index` resolves a link name to its index.
 *
 * @example
 * ```ts ignore
 * const r = await routeRequest({ dst: "10.9.0.0/16", type: "blackhole" }, async () => 1);
 * ```
 */
export async function routeRequest(
  spec: RouteSpec,
  index: (link: string | number, what: string) => Promise<number>,
): Promise<{ header: Rtmsg; attrs: RouteAttrs }> {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`a route is { dst, gateway?, dev?, metric?, table? }, got ${spec}`);
  }
  for (const k of Object.keys(spec)) {
    if (!ROUTE_KEYS.includes(k)) {
      throw new TypeError(`a route has no field ${k}${hint(k, ROUTE_KEYS)}`);
    }
  }
  // checked here, by the names the caller used, before anything is sent
  const metric = spec.metric === undefined
    ? undefined
    : integer("route metric", spec.metric, 0, 0xffffffff);
  const table = integer("route table", spec.table ?? RT_TABLE_MAIN, 0, 0xffffffff);
  const type = named("route type", RTM_TYPE, spec.type ?? "unicast");
  const protocol = named("route protocol", RTPROT, spec.protocol ?? "boot");
  const p = spec.dst === "default" ? parsePrefix("0.0.0.0/0") : parsePrefix(spec.dst);
  const attrs: RouteAttrs = {};
  if (p.length > 0) attrs.dst = p.address;
  if (spec.gateway) attrs.gateway = parseAddress(spec.gateway);
  if (spec.dev !== undefined) attrs.oif = await index(spec.dev, "route dev");
  if (metric !== undefined) attrs.priority = metric;
  if (spec.prefsrc !== undefined) attrs.prefsrc = parseAddress(spec.prefsrc);
  if (spec.metrics !== undefined) attrs.metrics = spec.metrics;
  if (spec.multipath !== undefined) {
    if (!Array.isArray(spec.multipath) || spec.multipath.length === 0) {
      throw new TypeError(
        `route multipath: takes a non-empty array of { gateway?, dev?, weight? }`,
      );
    }
    const hops = [];
    for (const [i, h] of spec.multipath.entries()) {
      if (typeof h !== "object" || h === null) {
        throw new TypeError(`route multipath[${i}]: takes { gateway?, dev?, weight? }, got ${h}`);
      }
      for (const k of Object.keys(h)) {
        if (!HOP_KEYS.includes(k)) {
          throw new TypeError(`route multipath[${i}] has no field ${k}${hint(k, HOP_KEYS)}`);
        }
      }
      if (h.dev === undefined) throw new TypeError(`route multipath[${i}]: needs a dev`);
      hops.push({
        ifindex: await index(h.dev, `route multipath[${i}].dev`),
        weight: integer(`route multipath[${i}].weight`, h.weight ?? 1, 1, 256),
        gateway: h.gateway === undefined ? undefined : parseAddress(h.gateway),
      });
    }
    attrs.multipath = encodeMultipath(hops);
  }
  if (spec.nexthop !== undefined) {
    attrs.nhId = integer("route nexthop", spec.nexthop, 1, 0xffffffff);
  }
  attrs.table = table;
  const scope = spec.scope !== undefined
    ? named("route scope", RT_SCOPE, spec.scope)
    : spec.gateway || spec.multipath || spec.nexthop
    ? RT_SCOPE.universe
    : type === RTM_TYPE.local
    ? RT_SCOPE.host
    : type === RTM_TYPE.unicast
    ? RT_SCOPE.link
    : RT_SCOPE.universe;
  return {
    header: {
      rtmFamily: p.family,
      rtmDstLen: p.length,
      rtmTable: table < 256 ? table : 0,
      rtmProtocol: protocol,
      rtmScope: scope,
      rtmType: type,
    },
    attrs,
  };
}
