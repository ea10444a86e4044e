/**
 * `linkinfo` of `ip -j -d link`: the kind and its data as iproute2's
 * ip/iplink_bridge.c, iplink_bridge_slave.c and iplink_vxlan.c print them
 * (veth prints its kind only). Bridge and bridge-port data come decoded by
 * the generated rt-link family; vxlan, which no kernel spec describes,
 * is read from its raw attributes.
 *
 * @module
 */
import type { LinkinfoAttrs } from "../../families/rt_link.ts";
import { ntop } from "./format.ts";

type Obj = Record<string, unknown>;

/** A `%#llx` number as ip's JSON writes it: "0" for zero, else "0x..". */
function hex0x(v: number): string {
  return v ? `0x${v.toString(16)}` : "0";
}

/** A jiffies timer (centiseconds) as ip's "%i.%.2i": seconds, two decimals. */
function timer(v: unknown): number {
  const j = Number(v);
  return Math.trunc(j / 100) + (j % 100) / 100;
}

/** br_dump_bridge_id: "%.2x%.2x." and glibc ether_ntoa (unpadded hex). */
function bridgeId(v: unknown): string {
  const id = v as { prio?: number; addr?: Uint8Array };
  const p = id.prio ?? 0; // the two bytes read as a native (little-endian) u16
  const pr = [p & 0xff, p >> 8].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${pr}.${[...(id.addr ?? [])].map((x) => x.toString(16)).join(":")}`;
}

type Row = [json: string, key: string, how: "u" | "hex" | "timer" | "on" | "mac" | "id"];

// iplink_bridge.c bridge_print_opt, in its order
const BRIDGE: Row[] = [
  ["forward_delay", "forwardDelay", "u"],
  ["hello_time", "helloTime", "u"],
  ["max_age", "maxAge", "u"],
  ["ageing_time", "ageingTime", "u"],
  ["stp_state", "stpState", "u"],
  ["priority", "priority", "u"],
  ["vlan_filtering", "vlanFiltering", "u"],
];
const BRIDGE_2: Row[] = [
  ["root_port", "rootPort", "u"],
  ["root_path_cost", "rootPathCost", "u"],
  ["topology_change", "topologyChange", "u"],
  ["topology_change_detected", "topologyChangeDetected", "u"],
  ["hello_timer", "helloTimer", "timer"],
  ["tcn_timer", "tcnTimer", "timer"],
  ["topology_change_timer", "topologyChangeTimer", "timer"],
  ["gc_timer", "gcTimer", "timer"],
  ["vlan_default_pvid", "vlanDefaultPvid", "u"],
  ["vlan_stats_enabled", "vlanStatsEnabled", "u"],
  ["vlan_stats_per_port", "vlanStatsPerPort", "u"],
  ["group_fwd_mask", "groupFwdMask", "hex"],
  ["group_addr", "groupAddr", "mac"],
  ["mcast_snooping", "mcastSnooping", "u"],
];
const BRIDGE_3: Row[] = [
  ["mcast_router", "mcastRouter", "u"],
  ["mcast_query_use_ifaddr", "mcastQueryUseIfaddr", "u"],
  ["mcast_querier", "mcastQuerier", "u"],
  ["mcast_hash_elasticity", "mcastHashElasticity", "u"],
  ["mcast_hash_max", "mcastHashMax", "u"],
  ["mcast_last_member_cnt", "mcastLastMemberCnt", "u"],
  ["mcast_startup_query_cnt", "mcastStartupQueryCnt", "u"],
  ["mcast_last_member_intvl", "mcastLastMemberIntvl", "u"],
  ["mcast_membership_intvl", "mcastMembershipIntvl", "u"],
  ["mcast_querier_intvl", "mcastQuerierIntvl", "u"],
  ["mcast_query_intvl", "mcastQueryIntvl", "u"],
  ["mcast_query_response_intvl", "mcastQueryResponseIntvl", "u"],
  ["mcast_startup_query_intvl", "mcastStartupQueryIntvl", "u"],
  ["mcast_stats_enabled", "mcastStatsEnabled", "u"],
  ["mcast_igmp_version", "mcastIgmpVersion", "u"],
  ["mcast_mld_version", "mcastMldVersion", "u"],
  ["nf_call_iptables", "nfCallIptables", "u"],
  ["nf_call_ip6tables", "nfCallIp6tables", "u"],
  ["nf_call_arptables", "nfCallArptables", "u"],
];

// iplink_bridge_slave.c port_states (BR_STATE_*)
const PORT_STATES = ["disabled", "listening", "learning", "forwarding", "blocking"];
// iplink_bridge_slave.c fwd_mask_tbl
const FWD_MASK = { 0: "stp", 2: "lacp", 14: "lldp" } as Record<number, string>;

// iplink_bridge_slave.c bridge_slave_print_opt, in its order (after state)
const BRPORT: Row[] = [
  ["priority", "priority", "u"],
  ["cost", "cost", "u"],
  ["hairpin", "mode", "on"],
  ["guard", "guard", "on"],
  ["root_block", "protect", "on"],
  ["fastleave", "fastLeave", "on"],
  ["learning", "learning", "on"],
  ["flood", "unicastFlood", "on"],
  ["id", "id", "hex"],
  ["no", "no", "hex"],
  ["designated_port", "designatedPort", "u"],
  ["designated_cost", "designatedCost", "u"],
  ["bridge_id", "bridgeId", "id"],
  ["root_id", "rootId", "id"],
  ["hold_timer", "holdTimer", "timer"],
  ["message_age_timer", "messageAgeTimer", "timer"],
  ["forward_delay_timer", "forwardDelayTimer", "timer"],
  ["topology_change_ack", "topologyChangeAck", "u"],
  ["config_pending", "configPending", "u"],
  ["proxy_arp", "proxyarp", "on"],
  ["proxy_arp_wifi", "proxyarpWifi", "on"],
  ["multicast_router", "multicastRouter", "u"],
  ["mcast_flood", "mcastFlood", "on"],
  ["bcast_flood", "bcastFlood", "on"],
  ["mcast_to_unicast", "mcastToUcast", "on"],
  ["neigh_suppress", "neighSuppress", "on"],
];
const BRPORT_2: Row[] = [
  ["vlan_tunnel", "vlanTunnel", "on"],
  ["isolated", "isolated", "on"],
  ["locked", "locked", "on"],
];

function rows(o: Obj, d: Obj, table: Row[]): void {
  for (const [json, key, how] of table) {
    const v = d[key];
    if (v === undefined) continue;
    o[json] = how === "u"
      ? Number(v)
      : how === "hex"
      ? hex0x(Number(v))
      : how === "timer"
      ? timer(v)
      : how === "on"
      ? Number(v) !== 0
      : how === "mac"
      ? [...(v as Uint8Array)].map((x) => x.toString(16).padStart(2, "0")).join(":")
      : bridgeId(v);
  }
}

function bridgeJson(d: Obj): Obj {
  const o: Obj = {};
  rows(o, d, BRIDGE);
  // ip prints the bridge id for both (it reads IFLA_BR_BRIDGE_ID for root_id too)
  if (d.bridgeId !== undefined) o.bridge_id = bridgeId(d.bridgeId);
  if (d.rootId !== undefined) o.root_id = bridgeId(d.bridgeId ?? d.rootId);
  rows(o, d, BRIDGE_2);
  const bm = d.multiBoolopt as { optval?: number; optmask?: number } | undefined;
  if (bm) {
    const noLl = 1 << 0, mcvl = 1 << 1; // BR_BOOLOPT_NO_LL_LEARN, BR_BOOLOPT_MCAST_VLAN_SNOOPING
    if ((bm.optmask ?? 0) & noLl) o.no_linklocal_learn = (bm.optval ?? 0) & noLl ? 1 : 0;
    if ((bm.optmask ?? 0) & mcvl) o.mcast_vlan_snooping = (bm.optval ?? 0) & mcvl ? 1 : 0;
  }
  rows(o, d, BRIDGE_3);
  return o;
}

function brportJson(d: Obj, names: (i: number) => string): Obj {
  const o: Obj = {};
  if (d.state !== undefined) {
    const s = Number(d.state);
    if (s < PORT_STATES.length) o.state = PORT_STATES[s];
    else o.state_index = s;
  }
  rows(o, d, BRPORT);
  if (d.groupFwdMask !== undefined) {
    const m = Number(d.groupFwdMask);
    o.group_fwd_mask = hex0x(m);
    const parts: string[] = [];
    for (let i = 0; i < 16; i++) {
      if (m & (1 << i)) parts.push(FWD_MASK[i] ?? `0x${(1 << i).toString(16)}`);
    }
    o.group_fwd_mask_str = parts.length ? parts.join(",") : "0x0";
  }
  rows(o, d, BRPORT_2);
  if (d.backupPort !== undefined) o.backup_port = names(Number(d.backupPort));
  return o;
}

/** Reads a raw attribute stream into type → payload. */
function rawAttrs(b: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 0; at + 4 <= b.length;) {
    const len = v.getUint16(at, true);
    if (len < 4 || at + len > b.length) break;
    out.set(v.getUint16(at + 2, true) & 0x3fff, b.subarray(at + 4, at + len));
    at += (len + 3) & ~3;
  }
  return out;
}

// <linux/if_link.h> IFLA_VXLAN_* (no kernel spec describes vxlan)
const VX = {
  ID: 1,
  GROUP: 2,
  LINK: 3,
  LOCAL: 4,
  TTL: 5,
  TOS: 6,
  LEARNING: 7,
  AGEING: 8,
  LIMIT: 9,
  PORT_RANGE: 10,
  PROXY: 11,
  RSC: 12,
  L2MISS: 13,
  L3MISS: 14,
  PORT: 15,
  GROUP6: 16,
  LOCAL6: 17,
  UDP_CSUM: 18,
  UDP_ZERO_CSUM6_TX: 19,
  UDP_ZERO_CSUM6_RX: 20,
  REMCSUM_TX: 21,
  REMCSUM_RX: 22,
  GBP: 23,
  COLLECT_METADATA: 25,
  LABEL: 26,
  GPE: 27,
  TTL_INHERIT: 28,
  DF: 29,
  VNIFILTER: 30,
} as const;

function vxlanJson(data: Uint8Array, names: (i: number) => string): Obj {
  const t = rawAttrs(data);
  const o: Obj = {};
  const u8 = (k: number) => t.get(k)?.[0] ?? 0;
  const u32 = (k: number) => {
    const b = t.get(k);
    return b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true) : 0;
  };
  const zero = (b: Uint8Array) => b.every((x) => x === 0);
  if (t.has(VX.COLLECT_METADATA) && u8(VX.COLLECT_METADATA)) o.external = true;
  if (t.has(VX.VNIFILTER) && u8(VX.VNIFILTER)) o.vnifilter = true;
  if ((t.get(VX.ID)?.length ?? 0) >= 4) o.id = u32(VX.ID);
  const g = t.get(VX.GROUP), g6 = t.get(VX.GROUP6);
  if (g) {
    if (!zero(g)) o[(g[0] & 0xf0) === 0xe0 ? "group" : "remote"] = ntop(g);
  } else if (g6 && !zero(g6)) o[g6[0] === 0xff ? "group6" : "remote6"] = ntop(g6);
  const l = t.get(VX.LOCAL), l6 = t.get(VX.LOCAL6);
  if (l) {
    if (!zero(l)) o.local = ntop(l);
  } else if (l6 && !zero(l6)) o.local6 = ntop(l6);
  if (t.has(VX.LINK) && u32(VX.LINK)) o.link = names(u32(VX.LINK));
  const pr = t.get(VX.PORT_RANGE);
  if (pr) o.port_range = { low: (pr[0] << 8) | pr[1], high: (pr[2] << 8) | pr[3] };
  const port = t.get(VX.PORT);
  if (port) o.port = (port[0] << 8) | port[1];
  if (t.has(VX.LEARNING)) o.learning = u8(VX.LEARNING) !== 0;
  for (const [k, name] of [[VX.PROXY, "proxy"], [VX.RSC, "rsc"], [VX.L2MISS, "l2miss"]] as const) {
    if (t.has(k) && u8(k)) o[name] = true;
  }
  if (t.has(VX.L3MISS) && u8(VX.L3MISS)) o.l3miss = true;
  if (u8(VX.TOS)) o.tos = hex0x(u8(VX.TOS));
  if (!(t.has(VX.TTL_INHERIT) && u8(VX.TTL_INHERIT)) && t.has(VX.TTL)) o.ttl = u8(VX.TTL);
  if (t.has(VX.DF)) {
    const df = u8(VX.DF);
    if (df <= 2) o.df = ["unset", "set", "inherit"][df];
  }
  const label = t.get(VX.LABEL);
  if (label && label.length >= 4) {
    const v = new DataView(label.buffer, label.byteOffset, 4).getUint32(0, false);
    if (v) o.label = hex0x(v);
  }
  if (t.has(VX.AGEING)) o.ageing = u32(VX.AGEING);
  if (t.has(VX.LIMIT) && u32(VX.LIMIT)) o.limit = u32(VX.LIMIT);
  if (t.has(VX.UDP_CSUM)) o.udp_csum = u8(VX.UDP_CSUM) !== 0;
  if (t.has(VX.UDP_ZERO_CSUM6_TX)) o.udp_zero_csum6_tx = u8(VX.UDP_ZERO_CSUM6_TX) !== 0;
  if (t.has(VX.UDP_ZERO_CSUM6_RX)) o.udp_zero_csum6_rx = u8(VX.UDP_ZERO_CSUM6_RX) !== 0;
  if (t.has(VX.REMCSUM_TX) && u8(VX.REMCSUM_TX)) o.remcsum_tx = true;
  if (t.has(VX.REMCSUM_RX) && u8(VX.REMCSUM_RX)) o.remcsum_rx = true;
  if (t.has(VX.GBP)) o.gbp = true;
  if (t.has(VX.GPE)) o.gpe = true;
  return o;
}

/**
 * ipaddress.c print_linktype: the `linkinfo` object.
 *
 * @example
 * ```ts
 * import { linkinfoJson } from "./link_details.ts";
 * linkinfoJson({ kind: "veth" }, (i) => `if${i}`); // { info_kind: "veth" }
 * ```
 */
export function linkinfoJson(info: LinkinfoAttrs, names: (i: number) => string): Obj {
  const o: Obj = {};
  const li = info as Obj;
  const kind = li.kind as string | undefined;
  if (kind !== undefined) {
    o.info_kind = kind;
    const data = li.data;
    if (kind === "bridge") {
      o.info_data = data && typeof data === "object" ? bridgeJson(data as Obj) : {};
    } else if (kind === "vxlan") {
      o.info_data = data instanceof Uint8Array ? vxlanJson(data, names) : {};
    }
  }
  const slave = li.slaveKind as string | undefined;
  if (slave !== undefined) {
    o.info_slave_kind = slave;
    const sd = li.slaveData;
    if (slave === "bridge") {
      o.info_slave_data = sd && typeof sd === "object" && !(sd instanceof Uint8Array)
        ? brportJson(sd as Obj, names)
        : {};
    }
  }
  return o;
}
