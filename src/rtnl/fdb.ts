/**
 * The bridge forwarding database (`bridge fdb`): add, append, replace,
 * delete and list entries of a bridge (`master`) or of a device's own
 * table (`self`: a vxlan's remotes, with `dst` and `vni`), per VLAN. FDB
 * entries are AF_BRIDGE neighbour messages of the generated rt-neigh
 * family; the defaults are those of `bridge fdb add`.
 *
 * @module
 */
import { parseAddress, parseMac } from "../address.ts";
import { NLM_F } from "../constants.ts";
import type { DumpOptions, WaitOptions } from "../socket.ts";
import { hint } from "../suggest.ts";
import type { FamilyClient } from "../ynl/family.ts";
import {
  type Ndmsg,
  type NeighbourAttrs,
  NTF_FLAGS,
  NUD_STATE,
  type RtNeighOps,
} from "../families/rt_neigh.ts";
import { integer } from "./check.ts";
import { type Neighbour, toNeighbour } from "./decoded.ts";
import type { LinkRef } from "./links.ts";
import type { IndexOf } from "./neighbours.ts";

/** AF_BRIDGE (PF_BRIDGE of `<linux/socket.h>`). */
export const AF_BRIDGE = 7;

/** What `Rtnl.addFdb` and `Rtnl.deleteFdb` take. */
export interface FdbSpec {
  /** The MAC address ("00:00:00:00:00:00" for a vxlan's default remotes). */
  mac: string;
  /** The bridge port, or the device whose own table it goes in. */
  dev: LinkRef;
  /** In the master bridge's table (`master`). */
  master?: boolean;
  /** In the device's own table (`self`); the default when `master` is not given. */
  self?: boolean;
  /** VLAN id (`vlan`). */
  vlan?: number;
  /** A vxlan remote's IP address (`dst`). */
  dst?: string;
  /** A vxlan remote's VNI (`vni`). */
  vni?: number;
  /** The device to reach a vxlan remote through (`via`). */
  via?: LinkRef;
  /** A vxlan remote's UDP port (`port`). */
  port?: number;
  /** "permanent" (the default), "static" or "dynamic", as `bridge fdb add` takes them. */
  state?: "permanent" | "static" | "dynamic";
  /** Learned externally (`extern_learn`). */
  externLearn?: boolean;
  /** Never moves to another port (`sticky`). */
  sticky?: boolean;
}

/**
 * NDA_PORT is a `__be16` in the kernel (vxlan's nla_put_be16/nla_get_be16),
 * but Linux 7.2's rt-neigh spec declares it a u16 without a byte order, so
 * the generated codec reads it in host order: this swaps it back.
 *
 * @example
 * ```ts
 * import { swap16 } from "./fdb.ts";
 * swap16(4789); // 46354
 * ```
 */
export function swap16(n: number): number {
  return ((n & 0xff) << 8) | (n >> 8 & 0xff);
}

/** How `Rtnl.addFdb` treats an existing entry. */
export type FdbMode = "create" | "append" | "replace";

const KEYS = [
  "mac",
  "dev",
  "master",
  "self",
  "vlan",
  "dst",
  "vni",
  "via",
  "port",
  "state",
  "externLearn",
  "sticky",
];

/**
 * The AF_BRIDGE rt-neigh request for `spec`, checked before anything is sent.
 *
 * @example
 * ```ts ignore
 * import { fdbRequest } from "./fdb.ts";
 * await fdbRequest({ mac: "00:00:00:00:00:00", dev: "vx0", dst: "10.0.0.2" }, ix);
 * ```
 */
export async function fdbRequest(
  spec: FdbSpec,
  index: IndexOf,
): Promise<{ header: Ndmsg; attrs: NeighbourAttrs }> {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`an fdb entry is { mac, dev, master?, self?, vlan?, dst? }, got ${spec}`);
  }
  for (const k of Object.keys(spec)) {
    if (!KEYS.includes(k)) throw new TypeError(`an fdb entry has no field ${k}${hint(k, KEYS)}`);
  }
  const attrs: NeighbourAttrs = { lladdr: parseMac(spec.mac) };
  if (spec.vlan !== undefined) attrs.vlan = integer("fdb vlan", spec.vlan, 1, 4094);
  if (spec.dst !== undefined) attrs.dst = parseAddress(spec.dst);
  if (spec.vni !== undefined) attrs.vni = integer("fdb vni", spec.vni, 0, 0xffffff);
  if (spec.via !== undefined) attrs.ifindex = await index(spec.via, "fdb via");
  if (spec.port !== undefined) attrs.port = swap16(integer("fdb port", spec.port, 1, 0xffff));
  let flags = 0;
  if (spec.master) flags |= NTF_FLAGS.master;
  if (spec.self || !spec.master) flags |= NTF_FLAGS.self;
  if (spec.externLearn) flags |= NTF_FLAGS["ext-learned"];
  if (spec.sticky) flags |= NTF_FLAGS.sticky;
  const state = spec.state ?? "permanent";
  const ndmState = state === "permanent"
    ? NUD_STATE.noarp | NUD_STATE.permanent
    : state === "static"
    ? NUD_STATE.noarp | NUD_STATE.reachable
    : state === "dynamic"
    ? NUD_STATE.reachable
    : undefined;
  if (ndmState === undefined) {
    throw new TypeError(`fdb state: "permanent", "static" or "dynamic", got ${String(state)}`);
  }
  return {
    header: {
      ndmFamily: AF_BRIDGE,
      ndmIfindex: await index(spec.dev, "fdb dev"),
      ndmState,
      ndmFlags: flags,
    },
    attrs,
  };
}

/**
 * Adds an FDB entry: `mode` "create" (EEXIST if there is one), "append"
 * (another remote for the same MAC, `bridge fdb append`) or "replace".
 *
 * @example
 * ```ts ignore
 * import { addFdb } from "./fdb.ts";
 * await addFdb(rtnl.neigh, ix, { mac: "00:00:00:00:00:00", dev: "vx0", dst: "10.0.0.2" }, {
 *   mode: "append",
 * });
 * ```
 */
export async function addFdb(
  neigh: FamilyClient<RtNeighOps>,
  index: IndexOf,
  spec: FdbSpec,
  options: WaitOptions & { mode?: FdbMode } = {},
): Promise<void> {
  const { mode = "create", ...rest } = options;
  const flags = mode === "create"
    ? NLM_F.CREATE | NLM_F.EXCL
    : mode === "append"
    ? NLM_F.CREATE | NLM_F.APPEND
    : mode === "replace"
    ? NLM_F.CREATE | NLM_F.REPLACE
    : undefined;
  if (flags === undefined) {
    throw new TypeError(`fdb mode: "create", "append" or "replace", got ${String(mode)}`);
  }
  await neigh.do("newneigh", await fdbRequest(spec, index), { ...rest, flags });
}

/**
 * Deletes an FDB entry (for a vxlan, the remote `dst` of the MAC).
 *
 * @example
 * ```ts ignore
 * import { deleteFdb } from "./fdb.ts";
 * await deleteFdb(rtnl.neigh, ix, { mac: "02:00:00:00:00:01", dev: "eth1", master: true });
 * ```
 */
export async function deleteFdb(
  neigh: FamilyClient<RtNeighOps>,
  index: IndexOf,
  spec: FdbSpec,
  options: WaitOptions = {},
): Promise<void> {
  await neigh.do("delneigh", await fdbRequest(spec, index), options);
}

/**
 * Every FDB entry (`bridge fdb show`), or those of the link `dev`.
 *
 * @example
 * ```ts ignore
 * import { listFdb } from "./fdb.ts";
 * for (const e of await listFdb(rtnl.neigh, ix, { dev: "vx0" })) console.log(e.lladdr, e.dst);
 * ```
 */
export async function listFdb(
  neigh: FamilyClient<RtNeighOps>,
  index: IndexOf,
  opts: DumpOptions & { dev?: LinkRef } = {},
): Promise<Neighbour[]> {
  const { dev, ...options } = opts;
  const ifindex = dev === undefined ? undefined : await index(dev, "fdb dev");
  const out: Neighbour[] = [];
  for await (const d of neigh.dump("getneigh", { header: { ndmFamily: AF_BRIDGE } }, options)) {
    const e = toNeighbour(d);
    if (ifindex === undefined || e.index === ifindex) out.push(e);
  }
  return out;
}
