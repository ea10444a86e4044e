/**
 * rtnetlink's common jobs: {@linkcode Rtnl} lists and changes links (by
 * kind, tun/tap included), addresses (flags, lifetimes, peer), routes
 * (multipath, nexthop objects), policy rules, neighbours and proxy
 * entries, the bridge FDB and bridge VLANs, and follows their events;
 * named namespaces are made, listed and deleted by {@linkcode createNetns},
 * {@linkcode listNetns} and {@linkcode deleteNetns}. {@linkcode RouteView}
 * reads a route message in place (no copy), for `map` callbacks over big
 * dumps. The generated tables behind them are `./families/rt_link`,
 * `./families/rt_addr`, `./families/rt_route`, `./families/rt_rule`,
 * `./families/rt_neigh`, `./families/rt_nexthop` and `./families/rt_bridge`.
 *
 * @example
 * ```ts ignore
 * import { Rtnl } from "jsr:@netlink-ts/netlink/rtnl";
 * await using rtnl = Rtnl.open();
 * for (const link of await rtnl.links()) console.log(link.index, link.name, link.up);
 * await rtnl.addRoute({ dst: "10.9.0.0/16", gateway: "10.0.0.2" });
 * ```
 *
 * @module
 */
export {
  type Address,
  type Link,
  type Neighbour,
  type Route,
  type RouteSpec,
  Rtnl,
  RTNL_EVENT_GROUPS,
  type RtnlEvent,
  type RtnlEventKind,
  RTNLGRP,
} from "./client.ts";
export { RouteView } from "./route_view.ts";
export { type EventOptions, rtnlEvents } from "./events.ts";
export {
  type BridgeVlanChange,
  type BridgeVlanState,
  RTM_VLAN,
  RTNLGRP_BRVLAN,
  toBridgeVlanChanges,
} from "./vlan_events.ts";
export { createNetns, deleteNetns, listNetns, NETNS_DIR } from "./netns.ts";
export {
  type LinkChange,
  type LinkInfo,
  linkInfo,
  type LinkKindSpec,
  type LinkRef,
} from "./links.ts";
export {
  type AddressFlag,
  addressFlagNames,
  addressRequest,
  type AddressSpec,
  type Lifetime,
} from "./addresses.ts";
export {
  addNeighbour,
  flushNeighbours,
  type IndexOf,
  listNeighbours,
  neighbourRequest,
  type NeighbourSpec,
  type NeighbourState,
} from "./neighbours.ts";
export {
  addFdb,
  AF_BRIDGE,
  deleteFdb,
  type FdbMode,
  fdbRequest,
  type FdbSpec,
  listFdb,
} from "./fdb.ts";
export {
  type BridgeVlan,
  bridgeVlans,
  type BridgeVlanSpec,
  bridgeVlanSpec,
  changeBridgeVlan,
  type LinkVlans,
} from "./bridge_vlans.ts";
export { setupTun, TUN_FLAGS, tunFlags, type TunInfo, tunInfo, type TunSpec } from "./tun.ts";
export {
  FIB_RULE,
  RT_TABLE,
  type Rule,
  type RuleAction,
  ruleRequest,
  type RuleSpec,
  toRule,
} from "./rules.ts";
export { decodeGroup, type Nexthop, type NexthopSpec } from "./nexthops.ts";
export { BOND_MODE, IPVLAN_MODE, MACVLAN_MODE, OPERSTATE } from "./link_kinds.ts";
export {
  decodeMultipath,
  encodeMultipath,
  type NextHop,
  type NextHopSpec,
  type RouteHop,
  type RouteMetrics,
  type RouteMode,
  type RouteProtocol,
  type RouteScope,
  type RouteType,
  RT_SCOPE,
  RTNH_F,
  RTPROT,
} from "./routes.ts";
/** The overrun item of every event stream (the root exports it too). */
export { isOverrun, Overrun } from "../errors.ts";
