/**
 * A link as `ip -j link` (and `ip -j -d link`, and the link part of `ip -j
 * address`) writes it: iproute2's ip/ipaddress.c print_linkinfo, key by
 * key, in its order.
 *
 * @module
 */
import type { Ifinfomsg, LinkAttrs, LinkinfoAttrs } from "../../families/rt_link.ts";
import { IFINFO_FLAGS } from "../../families/rt_link.ts";
import { compact, flagBits, hex, linkTypeName, lladdr } from "./format.ts";
import { groupName, IFF, LINK_FLAG_ORDER, LINK_MODES, OPER_STATES } from "./names.ts";

/**
 * What every formatter needs to know about the namespace's links.
 *
 * @example
 * ```ts
 * import type { LinkIndex } from "./link.ts";
 * const links: LinkIndex = { names: new Map([[1, "lo"]]), types: new Map([[1, 772]]) };
 * ```
 */
export interface LinkIndex {
  /** Interface names by index (ll_index_to_name). */
  names: Map<number, string>;
  /** Link types (ARPHRD_*) by index (ll_index_to_type). */
  types: Map<number, number>;
}

/**
 * `ll_index_to_name`: the name, or `if%d` for an index the dump did not hold.
 *
 * @example
 * ```ts
 * import { nameOf } from "./link.ts";
 * nameOf({ names: new Map([[1, "lo"]]), types: new Map() }, 7); // "if7"
 * ```
 */
export function nameOf(links: LinkIndex, index: number): string {
  return links.names.get(index) ?? `if${index}`;
}

/**
 * How the link is being shown.
 *
 * @example
 * ```ts
 * import type { LinkOptions } from "./link.ts";
 * const opts: LinkOptions = { details: true, doLink: true, family: 17 };
 * ```
 */
export interface LinkOptions {
  /** `-d`: the details. */
  details?: boolean;
  /** `ip link` (do_link) rather than `ip address`. */
  doLink?: boolean;
  /** The family filter (0 for none, 17 AF_PACKET for `ip link`, 2/10 for -4/-6). */
  family?: number;
  /** With `details`: the `linkinfo` formatter (./link_details.ts, loaded only for -d). */
  linkinfo?: (info: LinkinfoAttrs, names: (index: number) => string) => Record<string, unknown>;
}

/**
 * print_link_flags: the flag names ip prints, NO-CARRIER first when up without carrier.
 *
 * @example
 * ```ts
 * import { linkFlags } from "./link.ts";
 * linkFlags(0x10049); // ["LOOPBACK", "UP", "LOWER_UP"]
 * ```
 */
export function linkFlags(raw: number): (string | number)[] {
  let flags = raw >>> 0;
  const out: (string | number)[] = [];
  if (flags & IFF.UP && !(flags & IFF.RUNNING)) out.push("NO-CARRIER");
  flags &= ~IFF.RUNNING;
  for (const [name, bit] of LINK_FLAG_ORDER) {
    if (flags & bit) {
      flags &= ~bit;
      out.push(name);
    }
  }
  // ip prints the rest with %x: a hex string in JSON
  if (flags) out.push((flags >>> 0).toString(16));
  return out;
}

/**
 * The JSON object of one link.
 *
 * @example
 * ```ts
 * import { linkJson } from "./link.ts";
 * const links = { names: new Map([[1, "lo"]]), types: new Map([[1, 772]]) };
 * linkJson({ ifiIndex: 1, ifiType: 772, ifiFlags: 0x10049 }, { ifname: "lo", mtu: 65536 }, links);
 * // { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP", "LOWER_UP"], mtu: 65536, link_type: "loopback" }
 * ```
 */
export function linkJson(
  header: Ifinfomsg,
  a: LinkAttrs,
  links: LinkIndex,
  opts: LinkOptions = {},
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const flags = flagBits(header.ifiFlags, IFINFO_FLAGS);
  const type = header.ifiType ?? 0;
  o.ifindex = header.ifiIndex ?? 0;
  // print_name_and_link
  if (a.link !== undefined) {
    if (a.link === 0) o.link = null;
    else if (a.linkNetnsid !== undefined) o.link_index = a.link;
    else o.link = nameOf(links, a.link);
  }
  o.ifname = a.ifname ?? `if${o.ifindex}`;
  o.flags = linkFlags(flags);
  if (a.mtu !== undefined) o.mtu = a.mtu;
  if (a.qdisc !== undefined) o.qdisc = a.qdisc;
  if (a.master !== undefined) o.master = nameOf(links, a.master);
  if (a.operstate !== undefined) {
    const s = numberOf(a.operstate, OPER_STATES);
    if (s < OPER_STATES.length) o.operstate = OPER_STATES[s];
    else o.operstate_index = s;
  }
  if (opts.doLink && a.linkmode !== undefined) {
    const m = numberOf(a.linkmode, LINK_MODES);
    if (m < LINK_MODES.length) o.linkmode = LINK_MODES[m];
    else o.linkmode_index = m;
  }
  if (a.group !== undefined) o.group = groupName(a.group);
  if (a.txqlen) o.txqlen = a.txqlen; // showqueue: a zero queue is not printed
  if (a.event !== undefined) {
    if (a.event >= LINK_EVENTS.length) o.event = a.event;
    else if (a.event) o.event = LINK_EVENTS[a.event];
  }
  const family = opts.family ?? 0;
  if (!family || family === 17 || opts.details) {
    o.link_type = linkTypeName(type);
    if (a.address) o.address = lladdr(a.address, type);
    if (a.broadcast) {
      if (flags & IFF.POINTOPOINT) o.link_pointtopoint = true;
      o.broadcast = lladdr(a.broadcast, type);
    }
    const perm = a.permAddress;
    if (perm && (!a.address || hex(a.address) !== hex(perm))) o.permaddr = lladdr(perm, type);
  }
  if (a.linkNetnsid !== undefined) o.link_netnsid = a.linkNetnsid;
  if (a.protoDown) o.proto_down = true;
  if (opts.details) details(o, a, links, opts);
  if ((opts.doLink || opts.details) && a.ifalias !== undefined) o.ifalias = a.ifalias;
  const alt = a.propList?.altIfname;
  if (a.propList) o.altnames = alt === undefined ? [] : Array.isArray(alt) ? alt : [alt];
  return o;
}

// ipaddress.c link_events (IFLA_EVENT_*)
const LINK_EVENTS = [
  "NONE",
  "REBOOT",
  "FEATURE CHANGE",
  "BONDING FAILOVER",
  "NOTIFY PEERS",
  "RESEND IGMP",
  "BONDING OPTION",
];

// ipaddress.c print_af_spec (IN6_ADDR_GEN_MODE_*)
const ADDR_GEN_MODES = ["eui64", "none", "stable_secret", "random"];

function numberOf(v: unknown, names: readonly string[]): number {
  if (typeof v === "number") return v;
  const i = names.findIndex((n) => n.toLowerCase() === String(v).toLowerCase());
  return i < 0 ? Number(v) : i;
}

function details(
  o: Record<string, unknown>,
  a: LinkAttrs,
  links: LinkIndex,
  opts: LinkOptions,
): void {
  if (a.promiscuity !== undefined) o.promiscuity = a.promiscuity;
  if (a.allmulti !== undefined) o.allmulti = a.allmulti;
  if (a.minMtu !== undefined) o.min_mtu = a.minMtu;
  if (a.maxMtu !== undefined) o.max_mtu = a.maxMtu;
  if (a.linkinfo && opts.linkinfo) o.linkinfo = opts.linkinfo(a.linkinfo, (i) => nameOf(links, i));
  const mode = a.afSpec?.inet6?.addrGenMode;
  if (opts.doLink && mode !== undefined) {
    o.inet6_addr_gen_mode = ADDR_GEN_MODES[mode] ?? `0x${mode.toString(16).padStart(2, "0")}`;
  }
  compact(Object.assign(o, {
    num_tx_queues: a.numTxQueues,
    num_rx_queues: a.numRxQueues,
    gso_max_size: a.gsoMaxSize,
    gso_max_segs: a.gsoMaxSegs,
    tso_max_size: a.tsoMaxSize,
    tso_max_segs: a.tsoMaxSegs,
    gro_max_size: a.groMaxSize,
    phys_port_name: a.physPortName,
    phys_port_id: a.physPortId && hex(a.physPortId),
    phys_switch_id: a.physSwitchId && hex(a.physSwitchId),
    parentbus: a.parentDevBusName,
    parentdev: a.parentDevName,
  }));
}
