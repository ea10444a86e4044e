/**
 * tun and tap devices (`ip tuntap add/del`): the kernel makes them through
 * `/dev/net/tun` ioctls, not rtnetlink (RTM_NEWLINK of kind "tun" is
 * EOPNOTSUPP), so they go through {@linkcode Sys.tunSetup} in `ffi/`; what
 * they are is read back over rtnetlink like any link (the generated
 * rt-link `linkinfo-tun-attrs`).
 *
 * @module
 */
import { SyscallError } from "../errors.ts";
import type { Sys } from "../sys.ts";
import type { LinkinfoTunAttrs } from "../families/rt_link.ts";
import { integer } from "./check.ts";

/** What `Rtnl.addLink` takes for a tun or tap device (always persistent, as `ip tuntap add`). */
export interface TunSpec {
  /** "tun" (IP packets) or "tap" (Ethernet frames). */
  kind: "tun" | "tap";
  /** The user that may attach to it (`user`). */
  owner?: number;
  /** The group that may attach to it (`group`). */
  group?: number;
  /** Frames carry the packet information header (`pi`); default false, as ip. */
  pi?: boolean;
  /** Several queues (`multi_queue`). */
  multiQueue?: boolean;
  /** A virtio-net header on each frame (`vnet_hdr`). */
  vnetHdr?: boolean;
}

/** A tun or tap device's data, decoded. */
export interface TunInfo {
  /** The link kind as the kernel names it ("tun" for both). */
  kind: "tun";
  /** "tun" or "tap". */
  type: "tun" | "tap";
  /** Owner uid, when set. */
  owner?: number;
  /** Group gid, when set. */
  group?: number;
  /** Persistent (stays without an open fd). */
  persist: boolean;
  /** With the packet information header. */
  pi: boolean;
  /** Multi-queue. */
  multiQueue: boolean;
  /** With the virtio-net header. */
  vnetHdr: boolean;
  /** Queues attached. */
  numQueues?: number;
}

/** IFF_* flags of `<linux/if_tun.h>` (ifr_flags of TUNSETIFF). */
export const TUN_FLAGS = { tun: 1, tap: 2, multiQueue: 0x100, noPi: 0x1000, vnetHdr: 0x4000 };

const KEYS = ["kind", "owner", "group", "pi", "multiQueue", "vnetHdr"];
const NO_ID = 0xffffffff; // the kernel's INVALID_UID/GID: none set
const TUN_TYPE_TAP = 2; // IFLA_TUN_TYPE is IFF_TUN or IFF_TAP

/**
 * The TUNSETIFF flags of `spec`, checked.
 *
 * @example
 * ```ts
 * import { tunFlags } from "./tun.ts";
 * tunFlags({ kind: "tap" }); // 0x1002 (IFF_TAP | IFF_NO_PI)
 * ```
 */
export function tunFlags(spec: TunSpec): number {
  for (const k of Object.keys(spec)) {
    if (!KEYS.includes(k)) {
      throw new TypeError(`${spec.kind} link has no field ${k}; valid: ${KEYS.join(", ")}`);
    }
  }
  let flags = spec.kind === "tap" ? TUN_FLAGS.tap : TUN_FLAGS.tun;
  if (!spec.pi) flags |= TUN_FLAGS.noPi;
  if (spec.multiQueue) flags |= TUN_FLAGS.multiQueue;
  if (spec.vnetHdr) flags |= TUN_FLAGS.vnetHdr;
  return flags;
}

/**
 * Creates (`persist` true) or removes a persistent tun/tap device named
 * `name` in the namespace at `netnsPath` (the caller's when undefined).
 *
 * @example
 * ```ts ignore
 * import { setupTun } from "./tun.ts";
 * setupTun(loadSys(), "tap0", { kind: "tap", owner: 1000 }, true);
 * ```
 */
export function setupTun(
  sys: Sys,
  name: string,
  spec: TunSpec,
  persist: boolean,
  netnsPath?: string,
): void {
  const flags = tunFlags(spec);
  const owner = spec.owner === undefined ? -1 : integer("tun owner", spec.owner, 0, NO_ID - 1);
  const group = spec.group === undefined ? -1 : integer("tun group", spec.group, 0, NO_ID - 1);
  if (!sys.tunSetup) throw new TypeError(`${spec.kind} link: this Sys cannot make tun devices`);
  const r = sys.tunSetup(name, flags, owner, group, persist, netnsPath);
  if (r < 0) throw new SyscallError("TUNSETIFF", r, name);
}

/**
 * A tun link's IFLA_INFO_DATA as a {@linkcode TunInfo}.
 *
 * @example
 * ```ts
 * import { tunInfo } from "./tun.ts";
 * tunInfo({ type: 2, persist: 1, pi: 0 }).type; // "tap"
 * ```
 */
export function tunInfo(d: LinkinfoTunAttrs): TunInfo {
  const id = (n?: number) => n === undefined || n === NO_ID ? undefined : n;
  return {
    kind: "tun",
    type: d.type === TUN_TYPE_TAP ? "tap" : "tun",
    owner: id(d.owner),
    group: id(d.group),
    persist: (d.persist ?? 0) !== 0,
    pi: (d.pi ?? 0) !== 0,
    multiQueue: (d.multiQueue ?? 0) !== 0,
    vnetHdr: (d.vnetHdr ?? 0) !== 0,
    numQueues: d.numQueues,
  };
}
