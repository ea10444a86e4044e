/**
 * Nexthop objects and groups (`ip nexthop`), typed, on the rt-nexthop
 * family the project describes in tools/specs/rt_nexthop.yaml (no kernel
 * ships a spec for it). A group's members are `struct nexthop_grp`s, laid
 * out by that spec's table.
 *
 * @module
 */
import { parseAddress } from "../address.ts";
import { ParseError } from "../errors.ts";
import { decodeStruct, structBytes } from "../ynl/codec.ts";
import type { Decoded } from "../ynl/family.ts";
import {
  NEXTHOP_GRP_TYPE,
  type NexthopAttrs,
  type NexthopGrp,
  type Nhmsg,
  rtNexthop,
} from "../families/rt_nexthop.ts";
import { integer, named } from "./check.ts";
import { nameOf, RTPROT } from "./routes.ts";

/** A nexthop object, decoded. */
export interface Nexthop {
  /** Its id. */
  id: number;
  /** AF_INET, AF_INET6, or 0 for a group or blackhole. */
  family: number;
  /** Gateway, bytes. */
  gateway?: Uint8Array;
  /** Outgoing interface index. */
  oif?: number;
  /** A blackhole nexthop. */
  blackhole: boolean;
  /** The members of a group, with their weights (1..256; 16-bit ones decode too). */
  group?: { id: number; weight: number }[];
  /** The group's type ("mpath", "resilient"), for a group. */
  groupType?: string;
  /** Protocol by name ("boot", "static", ...). */
  protocol: string;
  /** The fixed header. */
  header: Nhmsg;
  /** Every attribute, decoded. */
  attrs: NexthopAttrs;
}

/** What `Rtnl.addNexthop` creates: a gateway/device hop, a blackhole, or a group. */
export type NexthopSpec =
  | { id: number; gateway?: string; dev?: string | number; onlink?: boolean }
  | { id: number; blackhole: true }
  | {
    id: number;
    group: readonly { id: number; weight?: number }[];
    type?: keyof typeof NEXTHOP_GRP_TYPE;
  };

const GRP_SIZE = 8;
const KEYS = ["id", "gateway", "dev", "onlink", "blackhole", "group", "type"];
const AF_INET = 2, AF_INET6 = 10;
const RTNH_F_ONLINK = 4;
const RTPROT_BOOT = 3;

/**
 * Decodes a group's NHA_GROUP: a run of `struct nexthop_grp`.
 *
 * @example
 * ```ts
 * import { decodeGroup } from "./nexthops.ts";
 * decodeGroup(new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0])); // [{ id: 1, weight: 3 }]
 * ```
 */
export function decodeGroup(bytes: Uint8Array): { id: number; weight: number }[] {
  if (bytes.length % GRP_SIZE !== 0) {
    throw new ParseError(`nexthop group of ${bytes.length} bytes, not a multiple of 8`, 0);
  }
  const out = [];
  for (let o = 0; o < bytes.length; o += GRP_SIZE) {
    const g = decodeStruct(rtNexthop, "nexthop-grp", bytes, o, GRP_SIZE) as NexthopGrp;
    out.push({ id: g.id ?? 0, weight: ((g.weightHigh ?? 0) << 8 | (g.weight ?? 0)) + 1 });
  }
  return out;
}

/** A decoded rt-nexthop message as a {@linkcode Nexthop}. */
export function toNexthop(d: Decoded<Nhmsg, NexthopAttrs>): Nexthop {
  const h = d.header, a = d.attrs;
  return {
    id: a.id ?? 0,
    family: h.nhFamily ?? 0,
    gateway: a.gateway,
    oif: a.oif,
    blackhole: a.blackhole === true,
    group: a.group ? decodeGroup(a.group) : undefined,
    groupType: a.group ? nameOf(NEXTHOP_GRP_TYPE, a.groupType ?? 0) : undefined,
    protocol: nameOf(RTPROT, h.nhProtocol ?? 0),
    header: h,
    attrs: a,
  };
}

/**
 * The rt-nexthop request that creates `spec`; `index` resolves `dev`.
 *
 * @example
 * ```ts ignore
 * const r = await nexthopRequest({ id: 1, gateway: "10.0.0.2", dev: "eth0" }, async () => 2);
 * ```
 */
export async function nexthopRequest(
  spec: NexthopSpec,
  index: (link: string | number, what: string) => Promise<number>,
): Promise<{ header: Nhmsg; attrs: NexthopAttrs }> {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`a nexthop is { id, gateway?, dev? } | { id, blackhole } | { id, group }`);
  }
  for (const k of Object.keys(spec)) {
    if (!KEYS.includes(k)) throw new TypeError(`a nexthop has no field ${k}; valid: ${KEYS}`);
  }
  const attrs: NexthopAttrs = { id: integer("nexthop id", spec.id, 1, 0xffffffff) };
  let family = 0, flags = 0;
  if ("group" in spec) {
    if (!Array.isArray(spec.group) || spec.group.length === 0) {
      throw new TypeError("nexthop group: takes a non-empty array of { id, weight? }");
    }
    attrs.group = new Uint8Array(spec.group.length * GRP_SIZE);
    spec.group.forEach((m, i) => {
      // 1..256: the host's kernel (6.18) refuses weight_high with EINVAL
      const w = integer(`nexthop group[${i}].weight`, m.weight ?? 1, 1, 256) - 1;
      attrs.group!.set(
        structBytes(rtNexthop, "nexthop-grp", {
          id: integer(`nexthop group[${i}].id`, m.id, 1, 0xffffffff),
          weight: w,
        }),
        i * GRP_SIZE,
      );
    });
    attrs.groupType = named("nexthop group type", NEXTHOP_GRP_TYPE, spec.type ?? "mpath");
  } else if ("blackhole" in spec) {
    if (spec.blackhole !== true) throw new TypeError("nexthop blackhole: takes true");
    attrs.blackhole = true;
    family = AF_INET; // the kernel wants a family; ip sends AF_INET too
  } else {
    if (spec.gateway === undefined && spec.dev === undefined) {
      throw new TypeError("a nexthop needs a gateway, a dev, or both");
    }
    if (spec.gateway !== undefined) {
      attrs.gateway = parseAddress(spec.gateway);
      family = attrs.gateway.length === 4 ? AF_INET : AF_INET6;
    } else family = AF_INET;
    if (spec.dev !== undefined) attrs.oif = await index(spec.dev, "nexthop dev");
    if (spec.onlink) flags |= RTNH_F_ONLINK;
  }
  return { header: { nhFamily: family, nhProtocol: RTPROT_BOOT, nhFlags: flags }, attrs };
}
