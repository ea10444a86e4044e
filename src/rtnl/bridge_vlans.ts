/**
 * Bridge VLANs (`bridge vlan`): add, delete and list the VLANs of bridge
 * ports and of the bridge itself (`self`), with pvid and untagged. These
 * are AF_BRIDGE link messages whose IFLA_AF_SPEC holds IFLA_BRIDGE_*
 * attributes; no kernel spec describes them, so the project's
 * tools/specs/rt_bridge.yaml does, generated like the others.
 *
 * @module
 */
import type { DumpOptions, NetlinkSocket, WaitOptions } from "../socket.ts";
import { hint } from "../suggest.ts";
import { FamilyClient } from "../ynl/family.ts";
import {
  BRIDGE_FLAGS,
  BRIDGE_VLAN_INFO_FLAGS as F,
  type BridgeAfSpecAttrs,
  rtBridge,
  type RtBridgeOps,
  RTEXT_FILTER,
} from "../families/rt_bridge.ts";
import { integer } from "./check.ts";
import type { LinkRef } from "./links.ts";
import type { IndexOf } from "./neighbours.ts";
import { AF_BRIDGE } from "./fdb.ts";

/** What `Rtnl.addBridgeVlan` and `Rtnl.deleteBridgeVlan` take. */
export interface BridgeVlanSpec {
  /** The bridge port, or the bridge itself with `self`. */
  dev: LinkRef;
  /** VLAN id, 1..4094. */
  vid: number;
  /** The last id of a range `vid`..`vidEnd` (`vid 20-22`). */
  vidEnd?: number;
  /** Untagged frames entering the port get this VLAN (`pvid`). */
  pvid?: boolean;
  /** Frames leave the port untagged (`untagged`). */
  untagged?: boolean;
  /** On the device itself: the bridge's own VLANs (`self`). */
  self?: boolean;
  /** On the port, through its master bridge (`master`; the default). */
  master?: boolean;
}

/** One VLAN of a port, decoded. */
export interface BridgeVlan {
  /** VLAN id. */
  vid: number;
  /** The port's pvid. */
  pvid: boolean;
  /** Egress untagged. */
  untagged: boolean;
  /** BRIDGE_VLAN_INFO_* flags, by the project spec's names. */
  flags: number;
}

/** The VLANs of one link. */
export interface LinkVlans {
  /** Its index. */
  index: number;
  /** Its name. */
  name: string;
  /** Its master bridge's index, for a port. */
  master?: number;
  /** Its VLANs, one per id. */
  vlans: BridgeVlan[];
}

const KEYS = ["dev", "vid", "vidEnd", "pvid", "untagged", "self", "master"];

function client(socket: NetlinkSocket): FamilyClient<RtBridgeOps> {
  return FamilyClient.attach<RtBridgeOps>(rtBridge, socket);
}

/**
 * The AF_SPEC of a `bridge vlan add/del` for `spec`, checked before anything is sent.
 *
 * @example
 * ```ts
 * import { bridgeVlanSpec } from "./bridge_vlans.ts";
 * bridgeVlanSpec({ dev: "eth1", vid: 10, pvid: true, untagged: true }).vlanInfo;
 * // [{ flags: 6, vid: 10 }]
 * ```
 */
export function bridgeVlanSpec(spec: BridgeVlanSpec): BridgeAfSpecAttrs {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`a bridge vlan is { dev, vid, vidEnd?, pvid?, untagged? }, got ${spec}`);
  }
  for (const k of Object.keys(spec)) {
    if (!KEYS.includes(k)) throw new TypeError(`a bridge vlan has no field ${k}${hint(k, KEYS)}`);
  }
  const vid = integer("bridge vlan vid", spec.vid, 1, 4094);
  let flags = 0;
  if (spec.pvid) flags |= F.pvid;
  if (spec.untagged) flags |= F.untagged;
  const af: BridgeAfSpecAttrs = {};
  if (spec.self || spec.master) {
    af.flags = (spec.self ? BRIDGE_FLAGS.self : 0) | (spec.master ? BRIDGE_FLAGS.master : 0);
  }
  if (spec.vidEnd === undefined || spec.vidEnd === vid) af.vlanInfo = [{ flags, vid }];
  else {
    const end = integer("bridge vlan vidEnd", spec.vidEnd, vid + 1, 4094);
    if (spec.pvid) throw new TypeError("bridge vlan pvid: one vid, not a range");
    af.vlanInfo = [{ flags: flags | F["range-begin"], vid }, {
      flags: flags | F["range-end"],
      vid: end,
    }];
  }
  return af;
}

/**
 * Adds (`del` false) or deletes VLANs of a port or bridge (`bridge vlan add/del`).
 *
 * @example
 * ```ts ignore
 * import { changeBridgeVlan } from "./bridge_vlans.ts";
 * await changeBridgeVlan(rtnl.socket, ix, { dev: "tap0", vid: 10, pvid: true, untagged: true });
 * ```
 */
export async function changeBridgeVlan(
  socket: NetlinkSocket,
  index: IndexOf,
  spec: BridgeVlanSpec,
  del = false,
  options: WaitOptions = {},
): Promise<void> {
  const afSpec = bridgeVlanSpec(spec);
  const ifiIndex = await index(spec.dev, "bridge vlan dev");
  await client(socket).do(del ? "dellink" : "setlink", {
    header: { ifiFamily: AF_BRIDGE, ifiIndex },
    attrs: { afSpec },
  }, options);
}

/**
 * The VLANs of every bridge port and bridge (`bridge vlan show`), one
 * entry per id; links without VLANs are left out.
 *
 * @example
 * ```ts ignore
 * import { bridgeVlans } from "./bridge_vlans.ts";
 * for (const l of await bridgeVlans(rtnl.socket)) console.log(l.name, l.vlans.map((v) => v.vid));
 * ```
 */
export async function bridgeVlans(
  socket: NetlinkSocket,
  options: DumpOptions = {},
): Promise<LinkVlans[]> {
  const out: LinkVlans[] = [];
  const request = {
    header: { ifiFamily: AF_BRIDGE },
    attrs: { extMask: RTEXT_FILTER.brvlan },
  };
  for await (const d of client(socket).dump("getlink", request, options)) {
    const infos = d.attrs.afSpec?.vlanInfo ?? [];
    if (infos.length === 0) continue;
    out.push({
      index: d.header.ifiIndex ?? 0,
      name: d.attrs.ifname ?? "",
      master: d.attrs.master,
      vlans: infos.map((v) => ({
        vid: v.vid ?? 0,
        pvid: ((v.flags ?? 0) & F.pvid) !== 0,
        untagged: ((v.flags ?? 0) & F.untagged) !== 0,
        flags: v.flags ?? 0,
      })),
    });
  }
  return out;
}
