/**
 * Bridge VLAN events (`bridge monitor vlan`): the RTM_NEWVLAN and
 * RTM_DELVLAN messages a vlan-filtering bridge sends on RTNLGRP_BRVLAN,
 * decoded through the project spec tools/specs/rt_bridge.yaml into one
 * {@linkcode BridgeVlanChange} per VLAN entry (or range) they carry.
 *
 * @module
 */
import type { Decoded } from "../ynl/family.ts";
import {
  BR_STATE,
  BRIDGE_VLAN_INFO_FLAGS as F,
  type BridgeVlanDbAttrs,
  type BrVlanMsg,
  rtBridge,
} from "../families/rt_bridge.ts";

/** A port's STP state in a VLAN, by the kernel's names (BR_STATE_*). */
export type BridgeVlanState = keyof typeof BR_STATE;

/** One VLAN (or range of VLANs) of a bridge or port that changed. */
export interface BridgeVlanChange {
  /** The port's (or the bridge's) index. */
  ifindex: number;
  /** VLAN id; the first of a range. */
  vid: number;
  /** The last id of a range `vid`..`vidEnd`; absent for one id. */
  vidEnd?: number;
  /** The port's pvid. */
  pvid: boolean;
  /** Egress untagged. */
  untagged: boolean;
  /** BRIDGE_VLAN_INFO_* flags, by the project spec's names. */
  flags: number;
  /** The port's STP state in the VLAN, when the kernel says it. */
  state?: BridgeVlanState;
  /** Global (per-bridge) VLAN options, not a port's VLAN. */
  global?: true;
}

/** RTM_NEWVLAN and RTM_DELVLAN, from the project spec. */
export const RTM_VLAN = {
  NEW: rtBridge.ops.newvlan.do!.request!.value,
  DEL: rtBridge.ops.delvlan.do!.request!.value,
} as const;

/** RTNLGRP_BRVLAN, from the project spec. */
export const RTNLGRP_BRVLAN: number = rtBridge.mcastGroups["rtnlgrp-brvlan"];

const STATES = Object.fromEntries(
  Object.entries(BR_STATE).map(([k, v]) => [v, k as BridgeVlanState]),
) as Record<number, BridgeVlanState>;

/**
 * The VLAN changes of one decoded RTM_NEWVLAN/RTM_DELVLAN message: one per
 * BRIDGE_VLANDB_ENTRY, then one per BRIDGE_VLANDB_GLOBAL_OPTIONS.
 *
 * @example
 * ```ts
 * import { toBridgeVlanChanges } from "./vlan_events.ts";
 * toBridgeVlanChanges({
 *   header: { family: 7, ifindex: 4 },
 *   attrs: { entry: [{ info: { flags: 6, vid: 10 }, state: 3 }] },
 * });
 * // [{ ifindex: 4, vid: 10, pvid: true, untagged: true, flags: 6, state: "forwarding" }]
 * ```
 */
export function toBridgeVlanChanges(
  d: Pick<Decoded<BrVlanMsg, BridgeVlanDbAttrs>, "header" | "attrs">,
): BridgeVlanChange[] {
  const ifindex = d.header.ifindex ?? 0;
  const out: BridgeVlanChange[] = [];
  for (const e of d.attrs.entry ?? []) {
    if (!e.info) continue;
    const flags = e.info.flags ?? 0, vid = e.info.vid ?? 0;
    const c: BridgeVlanChange = {
      ifindex,
      vid,
      pvid: (flags & F.pvid) !== 0,
      untagged: (flags & F.untagged) !== 0,
      flags,
    };
    if (e.range !== undefined && e.range > vid) c.vidEnd = e.range;
    if (e.state !== undefined) c.state = STATES[e.state];
    out.push(c);
  }
  for (const g of d.attrs.globalOptions ?? []) {
    if (g.id === undefined) continue;
    const c: BridgeVlanChange = {
      ifindex,
      vid: g.id,
      pvid: false,
      untagged: false,
      flags: 0,
      global: true,
    };
    if (g.range !== undefined && g.range > g.id) c.vidEnd = g.range;
    out.push(c);
  }
  return out;
}
