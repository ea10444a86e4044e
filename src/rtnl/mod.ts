/**
 * rtnetlink's common jobs: {@linkcode Rtnl} lists and changes links,
 * addresses, routes and neighbours and follows their events;
 * {@linkcode RouteView} reads a route message in place (no copy), for
 * `map` callbacks over big dumps. The generated tables behind them are
 * `./families/rt_link`, `./families/rt_addr`, `./families/rt_route` and
 * `./families/rt_neigh`.
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
export { createNetns, deleteNetns, NETNS_DIR } from "./netns.ts";
export {
  type LinkChange,
  type LinkInfo,
  linkInfo,
  type LinkKindSpec,
  type LinkRef,
} from "./links.ts";
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
