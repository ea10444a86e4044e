/**
 * The shapes `Rtnl` returns (links, addresses, routes,
 * neighbours) and how each is made from a decoded message of its generated
 * family.
 *
 * @module
 */
import { flagNames } from "../tables.ts";
import type { Decoded } from "../ynl/family.ts";
import type { AddrAttrs, Ifaddrmsg } from "../families/rt_addr.ts";
import type { Ifinfomsg, LinkAttrs, RtnlLinkStats64 } from "../families/rt_link.ts";
import { type Ndmsg, type NeighbourAttrs, NTF_FLAGS, NUD_STATE } from "../families/rt_neigh.ts";
import { type RouteAttrs, RTM_TYPE, type Rtmsg } from "../families/rt_route.ts";
import { OPERSTATE } from "./link_kinds.ts";
import { swap16 } from "./fdb.ts";
import { type AddressFlag, addressFlagNames, type Lifetime } from "./addresses.ts";
import { type LinkInfo, linkInfo } from "./links.ts";
import {
  decodeMultipath,
  nameOf,
  type NextHop,
  type RouteMetrics,
  RT_SCOPE,
  RTPROT,
} from "./routes.ts";

const IFF_UP = 1;

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function life(n?: number): Lifetime | undefined {
  return n === undefined ? undefined : n === 0xffffffff ? "forever" : n;
}

/** A network interface. */
export interface Link {
  /** Interface index. */
  index: number;
  /** Interface name. */
  name: string;
  /** IFF_* flags. */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** MTU, when reported. */
  mtu?: number;
  /** Link kind (veth, bridge, ...), when it has one. */
  kind?: string;
  /** Hardware address (bytes). */
  address?: Uint8Array;
  /** The kind and its data, typed (undefined without IFLA_LINKINFO). */
  info?: LinkInfo;
  /** Operational state ("up", "down", "lowerlayerdown", "unknown", ...). */
  operstate: string;
  /** Carrier, when reported. */
  carrier?: boolean;
  /** Index of the master (bridge, bond, vrf), when enslaved. */
  master?: number;
  /** Alias, when set. */
  alias?: string;
  /** Transmit queue length, when reported. */
  txqueuelen?: number;
  /** 64-bit counters, when reported. */
  stats64?: RtnlLinkStats64;
  /** The fixed header. */
  header: Ifinfomsg;
  /** Every attribute, decoded. */
  attrs: LinkAttrs;
}

/** An interface address. */
export interface Address {
  /** AF_INET or AF_INET6. */
  family: number;
  /** Interface index. */
  index: number;
  /** Prefix length. */
  prefixLength: number;
  /** The address (IFA_ADDRESS; the peer on point-to-point links), bytes. */
  address?: Uint8Array;
  /** The local address (IFA_LOCAL), bytes. */
  local?: Uint8Array;
  /** Label (IPv4). */
  label?: string;
  /** Scope. */
  scope: number;
  /** IFA_F_* flags (IFA_FLAGS when present, else the header's 8 bits). */
  flags: number;
  /** Those flags by the spec's names ("nodad", "noprefixroute", "permanent", ...). */
  flagNames: AddressFlag[];
  /** IPv4 broadcast address, bytes. */
  broadcast?: Uint8Array;
  /** Seconds of validity left, or "forever". */
  validLifetime?: Lifetime;
  /** Seconds of preference left, or "forever". */
  preferredLifetime?: Lifetime;
  /** Metric of its prefix route. */
  metric?: number;
  /** The fixed header. */
  header: Ifaddrmsg;
  /** Every attribute, decoded. */
  attrs: AddrAttrs;
}

/** A route. */
export interface Route {
  /** AF_INET or AF_INET6. */
  family: number;
  /** Destination prefix length. */
  dstLength: number;
  /** Destination (absent for the default route), bytes. */
  dst?: Uint8Array;
  /** Gateway, bytes. */
  gateway?: Uint8Array;
  /** Outgoing interface index. */
  oif?: number;
  /** Preferred source, bytes. */
  prefsrc?: Uint8Array;
  /** Metric. */
  priority?: number;
  /** Table id (RTA_TABLE when present, else rtm_table). */
  table: number;
  /** Routing protocol (RTPROT_*). */
  protocol: number;
  /** Scope (RT_SCOPE_*). */
  scope: number;
  /** Type (RTN_*). */
  type: number;
  /** The type by name ("unicast", "blackhole", ...), as `ip` prints it. */
  typeName: string;
  /** The scope by name ("universe", "link", "host", ...). */
  scopeName: string;
  /** The protocol by name ("boot", "kernel", "static", ...), or its number as text. */
  protocolName: string;
  /** Metrics (RTA_METRICS), decoded. */
  metrics?: RouteMetrics;
  /** The next hops of a multipath route (RTA_MULTIPATH), decoded. */
  multipath?: NextHop[];
  /** The nexthop object the route uses (RTA_NH_ID). */
  nexthopId?: number;
  /** The fixed header. */
  header: Rtmsg;
  /** Every attribute, decoded. */
  attrs: RouteAttrs;
}

/** A neighbour (ARP or NDP) entry. */
export interface Neighbour {
  /** AF_INET or AF_INET6. */
  family: number;
  /** Interface index. */
  index: number;
  /** NUD_* state bits. */
  state: number;
  /** The neighbour's address, bytes. */
  dst?: Uint8Array;
  /** Its link-layer address, bytes. */
  lladdr?: Uint8Array;
  /** The state bits by the spec's `nud-state` names ("permanent", "reachable", ...). */
  stateNames: string[];
  /** NTF_* flags. */
  flags: number;
  /** Those flags by the spec's `ntf-flags` names ("self", "master", "proxy", "router", ...). */
  flagNames: string[];
  /** VLAN id (bridge FDB). */
  vlan?: number;
  /** VNI (vxlan FDB). */
  vni?: number;
  /** Index of the bridge whose FDB holds it (NDA_MASTER). */
  master?: number;
  /** Index of the device to reach a vxlan remote through (NDA_IFINDEX, `via`). */
  via?: number;
  /** A vxlan remote's UDP port (NDA_PORT, in host order). */
  port?: number;
  /** The fixed header. */
  header: Ndmsg;
  /** Every attribute, decoded. */
  attrs: NeighbourAttrs;
}

/** A decoded message as a {@linkcode Link}. */
export function toLink(d: Decoded<Ifinfomsg, LinkAttrs>): Link {
  const h = d.header, a = d.attrs;
  return {
    index: h.ifiIndex ?? 0,
    name: a.ifname ?? "",
    flags: h.ifiFlags ?? 0,
    up: ((h.ifiFlags ?? 0) & IFF_UP) !== 0,
    mtu: a.mtu,
    kind: a.linkinfo?.kind,
    address: a.address,
    info: linkInfo(a),
    operstate: nameOf(OPERSTATE, a.operstate ?? 0),
    carrier: a.carrier === undefined ? undefined : a.carrier !== 0,
    master: a.master,
    alias: a.ifalias,
    txqueuelen: a.txqlen,
    stats64: a.stats64,
    header: h,
    attrs: a,
  };
}

/** A decoded message as a {@linkcode Address}. */
export function toAddress(d: Decoded<Ifaddrmsg, AddrAttrs>): Address {
  const h = d.header, a = d.attrs;
  return {
    family: h.ifaFamily ?? 0,
    index: h.ifaIndex ?? 0,
    prefixLength: h.ifaPrefixlen ?? 0,
    address: a.address,
    local: a.local,
    label: a.label,
    scope: h.ifaScope ?? 0,
    flags: a.flags ?? h.ifaFlags ?? 0,
    flagNames: addressFlagNames(a.flags ?? h.ifaFlags ?? 0),
    broadcast: a.broadcast === undefined ? undefined : u32be(a.broadcast),
    validLifetime: life(a.cacheinfo?.ifaValid),
    preferredLifetime: life(a.cacheinfo?.ifaPrefered),
    metric: a.rtPriority,
    header: h,
    attrs: a,
  };
}

/** A decoded message as a {@linkcode Route}. */
export function toRoute(d: Decoded<Rtmsg, RouteAttrs>): Route {
  const h = d.header, a = d.attrs;
  return {
    family: h.rtmFamily ?? 0,
    dstLength: h.rtmDstLen ?? 0,
    dst: a.dst,
    gateway: a.gateway,
    oif: a.oif,
    prefsrc: a.prefsrc,
    priority: a.priority,
    table: a.table ?? h.rtmTable ?? 0,
    protocol: h.rtmProtocol ?? 0,
    scope: h.rtmScope ?? 0,
    type: h.rtmType ?? 0,
    typeName: nameOf(RTM_TYPE, h.rtmType ?? 0),
    scopeName: nameOf(RT_SCOPE, h.rtmScope ?? 0),
    protocolName: nameOf(RTPROT, h.rtmProtocol ?? 0),
    metrics: a.metrics,
    multipath: a.multipath ? decodeMultipath(a.multipath) : undefined,
    nexthopId: a.nhId,
    header: h,
    attrs: a,
  };
}

/** A decoded message as a {@linkcode Neighbour}. */
export function toNeighbour(d: Decoded<Ndmsg, NeighbourAttrs>): Neighbour {
  const h = d.header, a = d.attrs;
  return {
    family: h.ndmFamily ?? 0,
    index: h.ndmIfindex ?? 0,
    state: h.ndmState ?? 0,
    dst: a.dst,
    lladdr: a.lladdr,
    stateNames: flagNames(NUD_STATE, h.ndmState ?? 0),
    flags: h.ndmFlags ?? 0,
    flagNames: flagNames(NTF_FLAGS, h.ndmFlags ?? 0),
    vlan: a.vlan,
    vni: a.vni,
    master: a.master,
    via: a.ifindex,
    port: a.port === undefined ? undefined : swap16(a.port),
    header: h,
    attrs: a,
  };
}
