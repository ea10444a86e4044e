/**
 * rtnetlink events, typed, under one naming scheme: the kinds
 * {@linkcode RTNL_EVENT_GROUPS} names are what `Rtnl.events` takes, the
 * `kind` of what it yields, and what the monitor CLI takes.
 *
 * @module
 */
import { NETLINK } from "../constants.ts";
import { Overrun } from "../errors.ts";
import { NetlinkSocket, type OpenOptions } from "../socket.ts";
import { unknownName } from "../suggest.ts";
import { type Decoded, FamilyClient } from "../ynl/family.ts";
import { type AddrAttrs, type Ifaddrmsg, rtAddr, type RtAddrOps } from "../families/rt_addr.ts";
import { type Ifinfomsg, type LinkAttrs, rtLink, type RtLinkOps } from "../families/rt_link.ts";
import { type Ndmsg, type NeighbourAttrs, rtNeigh, type RtNeighOps } from "../families/rt_neigh.ts";
import { type RouteAttrs, type Rtmsg, rtRoute, type RtRouteOps } from "../families/rt_route.ts";
import { type FibRuleAttrs, type FibRuleHdr, rtRule, type RtRuleOps } from "../families/rt_rule.ts";
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
import { type Rule, toRule } from "./rules.ts";
import { type Nexthop, toNexthop } from "./nexthops.ts";
import {
  type NexthopAttrs,
  type Nhmsg,
  rtNexthop,
  type RtNexthopOps,
} from "../families/rt_nexthop.ts";
import { AF_BRIDGE } from "./fdb.ts";
import {
  type BridgeVlanDbAttrs,
  type BrVlanMsg,
  rtBridge,
  type RtBridgeOps,
} from "../families/rt_bridge.ts";
import {
  type BridgeVlanChange,
  RTM_VLAN,
  RTNLGRP_BRVLAN,
  toBridgeVlanChanges,
} from "./vlan_events.ts";

/** rtnetlink multicast groups, by the kernel's names (`RTNLGRP_LINK` is `RTNLGRP.LINK`). */
export const RTNLGRP = {
  LINK: 1,
  NEIGH: 3,
  IPV4_IFADDR: 5,
  IPV4_ROUTE: 7,
  IPV4_RULE: rtRule.mcastGroups["rtnlgrp-ipv4-rule"],
  IPV6_IFADDR: 9,
  IPV6_ROUTE: 11,
  IPV6_RULE: rtRule.mcastGroups["rtnlgrp-ipv6-rule"],
  NEXTHOP: rtNexthop.mcastGroups["rtnlgrp-nexthop"],
  BRVLAN: RTNLGRP_BRVLAN,
} as const;

/**
 * The kinds of event {@linkcode Rtnl.events} takes and yields, named as the
 * objects of `ip monitor` (and the `kind` of each {@linkcode RtnlEvent}),
 * with the groups each joins for IPv4 and for IPv6. "neighbour" is IP
 * neighbours, "fdb" the bridge FDB's entries (one kernel group carries both),
 * "vlan" a vlan-filtering bridge's VLANs (`bridge monitor vlan`).
 *
 * @example
 * ```ts
 * import { RTNL_EVENT_GROUPS } from "./events.ts";
 * Object.keys(RTNL_EVENT_GROUPS); // ["link", "address", "route", "neighbour", "rule", "fdb", "nexthop", "vlan"]
 * ```
 */
export const RTNL_EVENT_GROUPS = {
  link: { 4: [RTNLGRP.LINK], 6: [RTNLGRP.LINK] },
  address: { 4: [RTNLGRP.IPV4_IFADDR], 6: [RTNLGRP.IPV6_IFADDR] },
  route: { 4: [RTNLGRP.IPV4_ROUTE], 6: [RTNLGRP.IPV6_ROUTE] },
  neighbour: { 4: [RTNLGRP.NEIGH], 6: [RTNLGRP.NEIGH] },
  rule: { 4: [RTNLGRP.IPV4_RULE], 6: [RTNLGRP.IPV6_RULE] },
  fdb: { 4: [RTNLGRP.NEIGH], 6: [RTNLGRP.NEIGH] },
  nexthop: { 4: [RTNLGRP.NEXTHOP], 6: [RTNLGRP.NEXTHOP] },
  vlan: { 4: [RTNLGRP.BRVLAN], 6: [RTNLGRP.BRVLAN] },
} as const;

/** A kind of rtnetlink event: a key of {@linkcode RTNL_EVENT_GROUPS}. */
export type RtnlEventKind = keyof typeof RTNL_EVENT_GROUPS;

/** An rtnetlink event, decoded. */
export type RtnlEvent =
  | { kind: "link"; action: "new" | "del"; link: Link }
  | { kind: "address"; action: "new" | "del"; address: Address }
  | { kind: "route"; action: "new" | "del"; route: Route }
  | { kind: "neighbour"; action: "new" | "del"; neighbour: Neighbour }
  | { kind: "rule"; action: "new" | "del"; rule: Rule }
  | { kind: "fdb"; action: "new" | "del"; entry: Neighbour }
  | { kind: "nexthop"; action: "new" | "del"; nexthop: Nexthop }
  | { kind: "vlan"; action: "new" | "del"; vlan: BridgeVlanChange }
  | Overrun
  | { kind: "other"; type: number };

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

/** Options of {@linkcode rtnlEvents}. */
export interface EventOptions {
  /** One IP version's events only. */
  ipVersion?: 4 | 6;
  /** Ends the stream. */
  signal?: AbortSignal;
  /** SO_RCVBUF of the events' socket. */
  receiveBufferSize?: number;
}

const AF_INET = 2, AF_INET6 = 10;

/**
 * The events of `kinds` on a socket of their own, opened (in
 * `open.netns`, if given) at the first `next()`; see `Rtnl.events`.
 *
 * @example
 * ```ts ignore
 * import { rtnlEvents } from "./events.ts";
 * for await (const e of rtnlEvents({}, ["rule"])) console.log(e);
 * ```
 */
export function rtnlEvents(
  open: OpenOptions,
  kinds: readonly RtnlEventKind[],
  options: EventOptions = {},
): AsyncIterableIterator<RtnlEvent> {
  if (options.ipVersion !== undefined && options.ipVersion !== 4 && options.ipVersion !== 6) {
    throw new RangeError(`Rtnl.events: ipVersion is 4 or 6, not ${options.ipVersion}`);
  }
  const groups = eventGroups(kinds, options.ipVersion);
  const family = options.ipVersion === undefined
    ? undefined
    : options.ipVersion === 4
    ? AF_INET
    : AF_INET6;
  const wantNeighbours = kinds.includes("neighbour"), wantFdb = kinds.includes("fdb");
  const socket = () =>
    NetlinkSocket.open(NETLINK.ROUTE, {
      ...open,
      groups,
      receiveBufferSize: options.receiveBufferSize ?? open.receiveBufferSize,
      signal: options.signal,
    });
  return (async function* (): AsyncGenerator<RtnlEvent> {
    // Opened here, at the first next(): the generator's body runs then.
    const sock = socket();
    const clients = {
      link: FamilyClient.attach<RtLinkOps>(rtLink, sock),
      addr: FamilyClient.attach<RtAddrOps>(rtAddr, sock),
      route: FamilyClient.attach<RtRouteOps>(rtRoute, sock),
      neigh: FamilyClient.attach<RtNeighOps>(rtNeigh, sock),
      rule: FamilyClient.attach<RtRuleOps>(rtRule, sock),
      nexthop: FamilyClient.attach<RtNexthopOps>(rtNexthop, sock),
      bridge: FamilyClient.attach<RtBridgeOps>(rtBridge, sock),
    };
    try {
      for await (const m of sock.events()) {
        if (m instanceof Overrun) {
          yield m;
          continue;
        }
        const t = m.type;
        const action = t % 2 === 0 ? "new" : "del";
        if (t === 16 || t === 17) {
          yield {
            kind: "link",
            action,
            link: toLink(clients.link.decode(m) as Decoded<Ifinfomsg, LinkAttrs>),
          };
        } else if (t === 20 || t === 21) {
          yield {
            kind: "address",
            action,
            address: toAddress(clients.addr.decode(m) as Decoded<Ifaddrmsg, AddrAttrs>),
          };
        } else if (t === 24 || t === 25) {
          yield {
            kind: "route",
            action,
            route: toRoute(clients.route.decode(m) as Decoded<Rtmsg, RouteAttrs>),
          };
        } else if (t === 28 || t === 29) {
          const n = toNeighbour(clients.neigh.decode(m) as Decoded<Ndmsg, NeighbourAttrs>);
          // One group carries IP neighbours of both versions and the bridge's FDB.
          if (n.family === AF_BRIDGE) {
            if (wantFdb) yield { kind: "fdb", action, entry: n };
          } else if (wantNeighbours && (family === undefined || n.family === family)) {
            yield { kind: "neighbour", action, neighbour: n };
          }
        } else if (t === 32 || t === 33) {
          yield {
            kind: "rule",
            action,
            rule: toRule(clients.rule.decode(m) as Decoded<FibRuleHdr, FibRuleAttrs>),
          };
        } else if (t === 104 || t === 105) {
          const nexthop = toNexthop(clients.nexthop.decode(m) as Decoded<Nhmsg, NexthopAttrs>);
          // one group for both versions: a group or blackhole has no family
          if (family === undefined || nexthop.family === family || nexthop.family === 0) {
            yield { kind: "nexthop", action, nexthop };
          }
        } else if (t === RTM_VLAN.NEW || t === RTM_VLAN.DEL) {
          const d = clients.bridge.decode(m) as Decoded<BrVlanMsg, BridgeVlanDbAttrs>;
          const vlanAction = t === RTM_VLAN.NEW ? "new" : "del";
          for (const vlan of toBridgeVlanChanges(d)) {
            yield { kind: "vlan", action: vlanAction, vlan };
          }
        } else yield { kind: "other", type: t };
      }
    } finally {
      await sock.close();
    }
  })();
}
