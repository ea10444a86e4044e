/**
 * Netlink for Deno and Node: AF_NETLINK sockets through FFI, with requests,
 * dumps and event streams as promises and async iterators, a zero-copy
 * codec, and typed errors that carry the kernel's extended ACK.
 *
 * @example
 * ```ts ignore
 * import { MessageWriter, NETLINK, NetlinkSocket, NLM_F } from "./mod.ts";
 * const RTM_GETLINK = 18;
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
 * const w = new MessageWriter().begin(RTM_GETLINK, NLM_F.DUMP);
 * w.fixed(16); // struct ifinfomsg
 * for await (const link of sock.dump(w)) console.log(link.type, link.length);
 * ```
 *
 * @module
 */
export * from "./src/constants.ts";
export * from "./src/errors.ts";
export { Message } from "./src/message.ts";
export { AttributeDecoder, MAX_NEST_DEPTH } from "./src/attribute.ts";
export { MessageWriter } from "./src/writer.ts";
export { type Ack, errorOf, parseAck, parseDone } from "./src/ack.ts";
export {
  type DumpOptions,
  type MappedDumpOptions,
  type MappedRequestOptions,
  NetlinkSocket,
  type OpenOptions,
  type ReplyMapper,
  type RequestOptions,
  type SocketStats,
  type WaitOptions,
} from "./src/socket.ts";
export type { Receiver, Sys } from "./src/sys.ts";
export {
  AF,
  formatAddress,
  formatMac,
  formatPrefix,
  parseAddress,
  parseMac,
  parsePrefix,
  type Prefix,
} from "./src/address.ts";
export * from "./src/nlrtable/constants.ts";
export {
  type DeleteReason,
  type RouteEntry,
  type RouteEvent,
  type RouteSpec,
} from "./src/nlrtable/codec.ts";
export {
  type AddOptions,
  type Greeting,
  type ListOptions,
  NlrTable,
  type NlrTableOptions,
  type RouteChange,
  Watch,
} from "./src/nlrtable/client.ts";
export { RouteView } from "./src/rtnl/route_view.ts";
export { createNetns, deleteNetns, NETNS_DIR } from "./src/rtnl/netns.ts";
export {
  type LinkChange,
  type LinkInfo,
  linkInfo,
  type LinkKindSpec,
  type LinkRef,
} from "./src/rtnl/links.ts";
export { decodeGroup, type Nexthop, type NexthopSpec } from "./src/rtnl/nexthops.ts";
export { BOND_MODE, IPVLAN_MODE, MACVLAN_MODE, OPERSTATE } from "./src/rtnl/link_kinds.ts";
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
} from "./src/rtnl/routes.ts";
export {
  type Address,
  type Link,
  type Neighbour,
  type Route,
  type RouteSpec as RtnlRouteSpec,
  Rtnl,
  type RtnlEvent,
  RTNLGRP,
} from "./src/rtnl/client.ts";
export {
  type AnyOps,
  type Decoded,
  type DoOptions,
  FamilyClient,
  GENL_HDRLEN,
  GENL_ID_CTRL,
  type GenlFamily,
  listFamilies,
  type OpRequest,
  type OpsOf,
  readGenlFamily,
  resolveFamily,
} from "./src/ynl/family.ts";
export {
  type Attrs,
  decodeAttrs,
  decodeStruct,
  encodeAttrs,
  encodeStruct,
  structBytes,
} from "./src/ynl/codec.ts";
export type {
  AttrKind,
  AttrSetSpec,
  AttrSpec,
  EnumSpec,
  FamilySpec,
  MemberSpec,
  OpMessage,
  OpSpec,
  StructSpec,
  SubMessageFormat,
} from "./src/ynl/schema.ts";
export {
  isUdevMessage,
  parseUevent,
  type Uevent,
  UEVENT_GROUP_KERNEL,
  type UeventItem,
  uevents,
} from "./src/uevent.ts";
export * from "./src/families/rt_link.ts";
export * from "./src/families/rt_addr.ts";
export * from "./src/families/rt_route.ts";
export * from "./src/families/rt_neigh.ts";
export * from "./src/families/rt_nexthop.ts";
export { familyTables } from "./src/families/mod.ts";
