/**
 * The link kinds whose IFLA_INFO_DATA the kernel's rt-link spec does not
 * describe (not in 6.12's, nor 7.2's): vxlan, macvlan/macvtap and ipvlan,
 * written in the generated tables' schema so that src/ynl/codec.ts encodes
 * and decodes them like any spec'd set. Numbers are `<linux/if_link.h>`'s.
 * So are the enums the spec leaves unnamed: operstate, bond, macvlan and
 * ipvlan modes. When a kernel spec gains one of these, it replaces the
 * entry here.
 *
 * @module
 */
import type { AttrSetSpec, AttrSpec, FamilySpec } from "../ynl/schema.ts";

/** IF_OPER_* (RFC 2863 operational states), by the names `ip` prints (upper case there). */
export const OPERSTATE = {
  unknown: 0,
  notpresent: 1,
  down: 2,
  lowerlayerdown: 3,
  testing: 4,
  dormant: 5,
  up: 6,
} as const;

/** BOND_MODE_*, by the names `ip -d link` prints. */
export const BOND_MODE = {
  "balance-rr": 0,
  "active-backup": 1,
  "balance-xor": 2,
  broadcast: 3,
  "802.3ad": 4,
  "balance-tlb": 5,
  "balance-alb": 6,
} as const;

/** MACVLAN_MODE_* (macvlan and macvtap), by the names `ip -d link` prints. */
export const MACVLAN_MODE = {
  private: 1,
  vepa: 2,
  bridge: 4,
  passthru: 8,
  source: 16,
} as const;

/** IPVLAN_MODE_*, by the names `ip -d link` prints. */
export const IPVLAN_MODE = { l2: 0, l3: 1, l3s: 2 } as const;

type Row = [number, string, AttrSpec["kind"], Partial<AttrSpec>?];

function set(name: string, rows: Row[]): AttrSetSpec {
  return {
    name,
    attrs: rows.map(([type, n, kind, more]) => ({
      type,
      name: n,
      key: n.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      kind,
      ...more,
    })),
  };
}

/** Attributes of IFLA_VXLAN_* the library reads and writes. */
export interface VxlanAttrs {
  /** VNI. */
  id?: number;
  /** Remote or multicast group, IPv4. */
  group?: Uint8Array;
  /** Underlying device index. */
  link?: number;
  /** Local address, IPv4. */
  local?: Uint8Array;
  /** TTL. */
  ttl?: number;
  /** Learning (0/1). */
  learning?: number;
  /** FDB ageing, seconds. */
  ageing?: number;
  /** UDP destination port. */
  port?: number;
  /** Remote or multicast group, IPv6. */
  group6?: Uint8Array;
  /** Local address, IPv6. */
  local6?: Uint8Array;
  /** Attributes not described here. */
  unknown?: Record<number, Uint8Array[]>;
}

/** Attributes of IFLA_MACVLAN_* (macvlan and macvtap). */
export interface MacvlanAttrs {
  /** MACVLAN_MODE_*. */
  mode?: number;
  /** MACVLAN_FLAG_*. */
  flags?: number;
  /** Attributes not described here. */
  unknown?: Record<number, Uint8Array[]>;
}

/** Attributes of IFLA_IPVLAN_*. */
export interface IpvlanAttrs {
  /** IPVLAN_MODE_*. */
  mode?: number;
  /** IPVLAN_F_*. */
  flags?: number;
  /** Attributes not described here. */
  unknown?: Record<number, Uint8Array[]>;
}

/** The tables of the kinds above, in the schema of the generated families. */
export const linkKinds: FamilySpec = {
  name: "rt-link-kinds",
  protocol: "netlink-raw",
  protonum: 0,
  structs: {},
  enums: {},
  subMessages: {},
  ops: {},
  mcastGroups: {},
  sets: {
    vxlan: set("vxlan", [
      [1, "id", "u32"],
      [2, "group", "binary", { hint: "ipv4" }],
      [3, "link", "u32"],
      [4, "local", "binary", { hint: "ipv4" }],
      [5, "ttl", "u8"],
      [7, "learning", "u8"],
      [8, "ageing", "u32"],
      [15, "port", "u16", { bigEndian: true }],
      [16, "group6", "binary", { hint: "ipv6" }],
      [17, "local6", "binary", { hint: "ipv6" }],
    ]),
    macvlan: set("macvlan", [[1, "mode", "u32"], [2, "flags", "u16"]]),
    ipvlan: set("ipvlan", [[1, "mode", "u16"], [2, "flags", "u16"]]),
  },
};

/** The set of {@linkcode linkKinds} that describes a kind's data, if any. */
export function kindSet(kind: string): string | undefined {
  return kind === "vxlan"
    ? "vxlan"
    : kind === "macvlan" || kind === "macvtap"
    ? "macvlan"
    : kind === "ipvlan"
    ? "ipvlan"
    : undefined;
}
