/**
 * Links by kind: what `Rtnl.addLink` takes for each kind, what a
 * link's IFLA_LINKINFO decodes to (a union discriminated on `kind`), and
 * the requests of `Rtnl.setLink`. Attributes are the generated
 * rt-link ones, and for the kinds the kernel's spec leaves as bytes, those
 * of ./link_kinds.ts.
 *
 * @module
 */
import { nameOf } from "../tables.ts";
import { parseAddress, parseMac } from "../address.ts";
import { AttributeDecoder } from "../attribute.ts";
import { MessageWriter } from "../writer.ts";
import { type Attrs, decodeAttrs, encodeAttrs } from "../ynl/codec.ts";
import {
  type LinkAttrs,
  type LinkinfoBondAttrs,
  type LinkinfoBridgeAttrs,
  type LinkinfoTunAttrs,
  type LinkinfoVlanAttrs,
  type LinkinfoVrfAttrs,
  rtLink,
  VLAN_PROTOCOLS,
} from "../families/rt_link.ts";
import { integer, named } from "./check.ts";
import { type TunInfo, tunInfo, type TunSpec } from "./tun.ts";
import {
  BOND_MODE,
  IPVLAN_MODE,
  type IpvlanAttrs,
  kindSet,
  linkKinds,
  MACVLAN_MODE,
  type MacvlanAttrs,
  type VxlanAttrs,
} from "./link_kinds.ts";

/** A link given by name or index. */
export type LinkRef = string | number;

/** What `Rtnl.addLink` creates, by kind. */
export type LinkKindSpec =
  | { kind: "veth"; peer: string }
  | { kind: "bridge"; stp?: boolean; vlanFiltering?: boolean; ageingTime?: number }
  | { kind: "vlan"; link: LinkRef; id: number; protocol?: keyof typeof VLAN_PROTOCOLS }
  | {
    kind: "vxlan";
    vni: number;
    remote?: string;
    group?: string;
    local?: string;
    port?: number;
    dev?: LinkRef;
  }
  | { kind: "macvlan" | "macvtap"; link: LinkRef; mode?: keyof typeof MACVLAN_MODE }
  | { kind: "ipvlan"; link: LinkRef; mode?: keyof typeof IPVLAN_MODE }
  | { kind: "bond"; mode?: keyof typeof BOND_MODE; miimon?: number }
  | { kind: "vrf"; table: number }
  | { kind: "dummy" | "ifb" | "wireguard" }
  | TunSpec;

/** A link's kind and its typed data, decoded from IFLA_LINKINFO. */
export type LinkInfo =
  | { kind: "veth" }
  | { kind: "bridge"; stp: boolean; vlanFiltering: boolean; ageingTime?: number }
  | { kind: "vlan"; id?: number; protocol?: string }
  | {
    kind: "vxlan";
    vni?: number;
    remote?: Uint8Array;
    group?: Uint8Array;
    local?: Uint8Array;
    port?: number;
    dev?: number;
  }
  | { kind: "macvlan" | "macvtap"; mode?: string }
  | { kind: "ipvlan"; mode?: string }
  | { kind: "bond"; mode?: string; miimon?: number }
  | { kind: "vrf"; table?: number }
  | TunInfo
  | { kind: "other"; name: string };

/** What `Rtnl.setLink` changes; absent fields are left alone. */
export interface LinkChange {
  /** MTU. */
  mtu?: number;
  /** MAC address, e.g. "02:00:00:00:00:01". */
  address?: string;
  /** New name (1..15 bytes). */
  name?: string;
  /** Alias (`ip link set ... alias`); "" clears it. */
  alias?: string;
  /** Transmit queue length. */
  txqueuelen?: number;
  /** Administratively up or down. */
  up?: boolean;
  /** Enslave to this bridge/bond/vrf, or `null` for nomaster. */
  master?: LinkRef | null;
  /**
   * Move to this network namespace: a name under `/var/run/netns` or a path
   * such as `/proc/PID/ns/net` (`ip link set ... netns`).
   */
  netns?: string;
}

const KINDS = [
  "veth",
  "bridge",
  "vlan",
  "vxlan",
  "macvlan",
  "macvtap",
  "ipvlan",
  "bond",
  "vrf",
  "dummy",
  "ifb",
  "wireguard",
  "tun",
  "tap",
];
const CHANGE_KEYS = ["mtu", "address", "name", "alias", "txqueuelen", "up", "master", "netns"];
const VETH_INFO_PEER = 1;
const IFINFOMSG_SIZE = 16;
const IFF_UP = 1;

function keysOf(what: string, x: object, valid: readonly string[]) {
  for (const k of Object.keys(x)) {
    if (!valid.includes(k)) {
      throw new TypeError(`${what} has no field ${k}; valid: ${valid.join(", ")}`);
    }
  }
}

function bytesOf(f: typeof linkKinds, set: string, attrs: Attrs): Uint8Array {
  const w = new MessageWriter(64).begin(0);
  encodeAttrs(f, set, w, attrs);
  return w.finish().slice(16);
}

function ifname(what: string, name: unknown): string {
  if (typeof name !== "string" || name.length === 0 || new TextEncoder().encode(name).length > 15) {
    throw new TypeError(`${what}: a name of 1..15 bytes, got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * The rt-link attributes that create `name` as `spec` says; `index`
 * resolves the links a kind refers to.
 *
 * @example
 * ```ts ignore
 * const attrs = await linkRequest("br0", { kind: "bridge", stp: true }, async () => 1);
 * ```
 */
export async function linkRequest(
  name: string,
  spec: LinkKindSpec,
  index: (link: LinkRef, what: string) => Promise<number>,
): Promise<LinkAttrs> {
  ifname("link name", name);
  if (typeof spec !== "object" || spec === null || !KINDS.includes(spec.kind)) {
    const kind = (spec as { kind?: unknown } | null)?.kind;
    throw new TypeError(`link kind: no ${JSON.stringify(kind)}; valid: ${KINDS.join(", ")}`);
  }
  const attrs: LinkAttrs = { ifname: name };
  const where = `${spec.kind} link`;
  switch (spec.kind) {
    case "veth": {
      keysOf(where, spec, ["kind", "peer"]);
      // VETH_INFO_PEER: struct ifinfomsg, then the peer's rt-link attributes
      const w = new MessageWriter(64).begin(0);
      const nest = w.nestStart(VETH_INFO_PEER);
      w.fixed(IFINFOMSG_SIZE);
      encodeAttrs(rtLink, "link-attrs", w, { ifname: ifname("veth peer", spec.peer) });
      w.nestEnd(nest);
      attrs.linkinfo = { kind: "veth", data: w.finish().slice(16) };
      break;
    }
    case "bridge": {
      keysOf(where, spec, ["kind", "stp", "vlanFiltering", "ageingTime"]);
      const data: LinkinfoBridgeAttrs = {};
      if (spec.stp !== undefined) data.stpState = spec.stp ? 1 : 0;
      if (spec.vlanFiltering !== undefined) data.vlanFiltering = spec.vlanFiltering ? 1 : 0;
      if (spec.ageingTime !== undefined) {
        data.ageingTime = integer("bridge ageingTime", spec.ageingTime, 0, 0xffffffff);
      }
      attrs.linkinfo = { kind: "bridge", data: data as Attrs };
      break;
    }
    case "vlan": {
      keysOf(where, spec, ["kind", "link", "id", "protocol"]);
      const data: LinkinfoVlanAttrs = { id: integer("vlan id", spec.id, 0, 4094) };
      if (spec.protocol !== undefined) {
        data.protocol = named("vlan protocol", VLAN_PROTOCOLS, spec.protocol);
      }
      attrs.link = await index(spec.link, "vlan link");
      attrs.linkinfo = { kind: "vlan", data: data as Attrs };
      break;
    }
    case "vxlan": {
      keysOf(where, spec, ["kind", "vni", "remote", "group", "local", "port", "dev"]);
      const data: VxlanAttrs = { id: integer("vxlan vni", spec.vni, 0, 0xffffff) };
      if (spec.remote !== undefined && spec.group !== undefined) {
        throw new TypeError("vxlan: remote or group, not both");
      }
      const peer = spec.remote ?? spec.group;
      if (peer !== undefined) {
        const a = parseAddress(peer);
        const multicast = a.length === 4 ? a[0] >= 224 && a[0] <= 239 : a[0] === 0xff;
        if (multicast !== (spec.group !== undefined)) {
          throw new TypeError(
            `vxlan: ${peer} is ${multicast ? "" : "not "}multicast: give it as ${
              multicast ? "group" : "remote"
            }`,
          );
        }
        if (a.length === 4) data.group = a;
        else data.group6 = a;
      }
      if (spec.local !== undefined) {
        const a = parseAddress(spec.local);
        if (a.length === 4) data.local = a;
        else data.local6 = a;
      }
      if (spec.port !== undefined) data.port = integer("vxlan port", spec.port, 0, 0xffff);
      if (spec.dev !== undefined) data.link = await index(spec.dev, "vxlan dev");
      attrs.linkinfo = { kind: "vxlan", data: bytesOf(linkKinds, "vxlan", data as Attrs) };
      break;
    }
    case "macvlan":
    case "macvtap": {
      keysOf(where, spec, ["kind", "link", "mode"]);
      const data: MacvlanAttrs = {};
      if (spec.mode !== undefined) data.mode = named(`${spec.kind} mode`, MACVLAN_MODE, spec.mode);
      attrs.link = await index(spec.link, `${spec.kind} link`);
      attrs.linkinfo = { kind: spec.kind, data: bytesOf(linkKinds, "macvlan", data as Attrs) };
      break;
    }
    case "ipvlan": {
      keysOf(where, spec, ["kind", "link", "mode"]);
      const data: IpvlanAttrs = {};
      if (spec.mode !== undefined) data.mode = named("ipvlan mode", IPVLAN_MODE, spec.mode);
      attrs.link = await index(spec.link, "ipvlan link");
      attrs.linkinfo = { kind: "ipvlan", data: bytesOf(linkKinds, "ipvlan", data as Attrs) };
      break;
    }
    case "bond": {
      keysOf(where, spec, ["kind", "mode", "miimon"]);
      const data: LinkinfoBondAttrs = {};
      if (spec.mode !== undefined) data.mode = named("bond mode", BOND_MODE, spec.mode);
      if (spec.miimon !== undefined) {
        data.miimon = integer("bond miimon", spec.miimon, 0, 0x7fffffff);
      }
      attrs.linkinfo = { kind: "bond", data: data as Attrs };
      break;
    }
    case "vrf": {
      keysOf(where, spec, ["kind", "table"]);
      const data: LinkinfoVrfAttrs = { table: integer("vrf table", spec.table, 1, 0xffffffff) };
      attrs.linkinfo = { kind: "vrf", data: data as Attrs };
      break;
    }
    case "tun":
    case "tap":
      throw new TypeError(
        `${spec.kind} link: made through /dev/net/tun (Rtnl.addLink), not rtnetlink`,
      );
    default:
      keysOf(where, spec, ["kind"]);
      attrs.linkinfo = { kind: spec.kind };
  }
  return attrs;
}

function nameIn(table: Readonly<Record<string, number>>, n: number | undefined) {
  return n === undefined ? undefined : nameOf(table, n) ?? String(n);
}

function extra<T>(kind: string, data: unknown): T {
  const set = kindSet(kind)!;
  return (data instanceof Uint8Array
    ? decodeAttrs(linkKinds, set, new AttributeDecoder(data))
    : (data ?? {})) as T;
}

/**
 * A link's kind and its data, typed, from its decoded rt-link attributes;
 * undefined for a link without IFLA_LINKINFO (lo, physical devices).
 *
 * @example
 * ```ts ignore
 * const info = linkInfo(link.attrs);
 * if (info?.kind === "bridge") console.log(info.stp, info.vlanFiltering);
 * ```
 */
export function linkInfo(attrs: LinkAttrs): LinkInfo | undefined {
  const li = attrs.linkinfo;
  if (!li?.kind) return undefined;
  const d = li.data;
  switch (li.kind) {
    case "veth":
      return { kind: "veth" };
    case "bridge": {
      const b = (d ?? {}) as LinkinfoBridgeAttrs;
      return {
        kind: "bridge",
        stp: (b.stpState ?? 0) !== 0,
        vlanFiltering: (b.vlanFiltering ?? 0) !== 0,
        ageingTime: b.ageingTime,
      };
    }
    case "vlan": {
      const v = (d ?? {}) as LinkinfoVlanAttrs;
      return { kind: "vlan", id: v.id, protocol: nameIn(VLAN_PROTOCOLS, v.protocol) };
    }
    case "vxlan": {
      const x = extra<VxlanAttrs>("vxlan", d);
      const peer = x.group ?? x.group6;
      const multicast = peer &&
        (peer.length === 4 ? peer[0] >= 224 && peer[0] <= 239 : peer[0] === 0xff);
      return {
        kind: "vxlan",
        vni: x.id,
        remote: multicast ? undefined : peer,
        group: multicast ? peer : undefined,
        local: x.local ?? x.local6,
        port: x.port,
        dev: x.link,
      };
    }
    case "macvlan":
    case "macvtap":
      return { kind: li.kind, mode: nameIn(MACVLAN_MODE, extra<MacvlanAttrs>(li.kind, d).mode) };
    case "ipvlan":
      return { kind: "ipvlan", mode: nameIn(IPVLAN_MODE, extra<IpvlanAttrs>("ipvlan", d).mode) };
    case "bond": {
      const b = (d ?? {}) as LinkinfoBondAttrs;
      return { kind: "bond", mode: nameIn(BOND_MODE, b.mode), miimon: b.miimon };
    }
    case "vrf":
      return { kind: "vrf", table: ((d ?? {}) as LinkinfoVrfAttrs).table };
    case "tun":
      return tunInfo((d ?? {}) as LinkinfoTunAttrs);
    default:
      return { kind: "other", name: li.kind };
  }
}

/**
 * The header flags and rt-link attributes of a change; `index` resolves
 * `master`.
 *
 * @example
 * ```ts ignore
 * const r = await changeRequest({ mtu: 1400, up: true }, async () => 1);
 * ```
 */
export async function changeRequest(
  change: LinkChange,
  index: (link: LinkRef, what: string) => Promise<number>,
): Promise<{ flags: number; change: number; attrs: LinkAttrs }> {
  if (typeof change !== "object" || change === null) {
    throw new TypeError(`a link change is an object of ${CHANGE_KEYS.join(", ")}`);
  }
  keysOf("a link change", change, CHANGE_KEYS);
  const attrs: LinkAttrs = {};
  if (change.mtu !== undefined) attrs.mtu = integer("link mtu", change.mtu, 0, 0xffffffff);
  if (change.address !== undefined) attrs.address = parseMac(change.address);
  if (change.name !== undefined) attrs.ifname = ifname("link name", change.name);
  if (change.alias !== undefined) {
    if (typeof change.alias !== "string") throw new TypeError("link alias: takes a string");
    attrs.ifalias = change.alias;
  }
  if (change.txqueuelen !== undefined) {
    attrs.txqlen = integer("link txqueuelen", change.txqueuelen, 0, 0xffffffff);
  }
  if (change.master !== undefined) {
    attrs.master = change.master === null ? 0 : await index(change.master, "link master");
  }
  if (change.netns !== undefined && (typeof change.netns !== "string" || change.netns === "")) {
    throw new TypeError(`link netns: a namespace name or path, got ${String(change.netns)}`);
  }
  if (change.up !== undefined && typeof change.up !== "boolean") {
    throw new TypeError(`link up: takes true or false, got ${String(change.up)}`);
  }
  return {
    flags: change.up ? IFF_UP : 0,
    change: change.up === undefined ? 0 : IFF_UP,
    attrs,
  };
}
