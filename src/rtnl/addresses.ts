/**
 * Interface addresses beyond the basics (`ip address add/replace`): flags,
 * lifetimes, peer, broadcast, label, scope, metric, on the generated
 * rt-addr family (its `ifa-flags` names, its `ifa-cacheinfo` struct).
 *
 * @module
 */
import { AF, parseAddress, parsePrefix } from "../address.ts";
import { hint } from "../suggest.ts";
import { type AddrAttrs, IFA_FLAGS, type Ifaddrmsg } from "../families/rt_addr.ts";
import { integer, named } from "./check.ts";
import { type RouteScope, RT_SCOPE } from "./routes.ts";

/** An address flag by the spec's `ifa-flags` names ("nodad", "noprefixroute", ...). */
export type AddressFlag = keyof typeof IFA_FLAGS;

/** A lifetime in seconds, or "forever". */
export type Lifetime = number | "forever";

/** What `Rtnl.addAddress` takes besides a plain "ADDRESS/LEN" string. */
export interface AddressSpec {
  /** The (local) address, "10.0.0.1/24"; its length is the prefix's unless `peer` gives one. */
  address: string;
  /** The peer of a point-to-point address, "10.0.0.2" or "10.0.0.2/30" (`peer`). */
  peer?: string;
  /** IPv4 broadcast address, or "+" for the prefix's last address (`brd +`). */
  broadcast?: string;
  /** IPv4 label, the link's name or starting "NAME:" (`label`). */
  label?: string;
  /** Scope; default "universe" ("global"), as `ip address add`. */
  scope?: RouteScope;
  /** Flags to set: "nodad", "noprefixroute", "homeaddress", "managetempaddr", ... */
  flags?: readonly AddressFlag[];
  /** Valid lifetime (`valid_lft`); default forever. */
  validLifetime?: Lifetime;
  /** Preferred lifetime (`preferred_lft`); default the valid one. */
  preferredLifetime?: Lifetime;
  /** Metric of the prefix route (`metric`). */
  metric?: number;
}

const KEYS = [
  "address",
  "peer",
  "broadcast",
  "label",
  "scope",
  "flags",
  "validLifetime",
  "preferredLifetime",
  "metric",
];
const FOREVER = 0xffffffff;

function lifetime(what: string, x: Lifetime): number {
  return x === "forever" ? FOREVER : integer(what, x, 0, FOREVER - 1);
}

/**
 * The names of the `ifa-flags` set in `flags`.
 *
 * @example
 * ```ts
 * import { addressFlagNames } from "./addresses.ts";
 * addressFlagNames(0x202); // ["nodad", "noprefixroute"]
 * ```
 */
export function addressFlagNames(flags: number): AddressFlag[] {
  return (Object.entries(IFA_FLAGS) as [AddressFlag, number][])
    .filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
}

/**
 * The rt-addr request for `spec` on the link of index `index`, checked by
 * the names the caller used before anything is sent.
 *
 * @example
 * ```ts
 * import { addressRequest } from "./addresses.ts";
 * addressRequest(2, { address: "10.0.0.1/24", flags: ["noprefixroute"] }).attrs.flags; // 512
 * ```
 */
export function addressRequest(
  index: number,
  spec: string | AddressSpec,
): { header: Ifaddrmsg; attrs: AddrAttrs } {
  const s: AddressSpec = typeof spec === "string" ? { address: spec } : spec;
  if (typeof s !== "object" || s === null) {
    throw new TypeError(`an address is "ADDRESS/LEN" or { address, peer?, ... }, got ${spec}`);
  }
  for (const k of Object.keys(s)) {
    if (!KEYS.includes(k)) throw new TypeError(`an address has no field ${k}${hint(k, KEYS)}`);
  }
  const local = parsePrefix(s.address);
  const attrs: AddrAttrs = { local: local.address, address: local.address };
  let length = local.length;
  if (s.peer !== undefined) {
    const peer = parsePrefix(s.peer);
    if (peer.family !== local.family) {
      throw new TypeError(`address peer ${s.peer} is not of the family of ${s.address}`);
    }
    attrs.address = peer.address;
    length = peer.length;
  }
  if (s.broadcast !== undefined) {
    if (local.family !== AF.INET) throw new TypeError("address broadcast: IPv4 only");
    let b: Uint8Array;
    if (s.broadcast === "+") {
      const host = length === 0 ? 0xffffffff : length === 32 ? 0 : (0xffffffff >>> length);
      const v = new DataView(local.address.buffer, local.address.byteOffset).getUint32(0);
      b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, (v | host) >>> 0);
    } else b = parseAddress(s.broadcast);
    if (b.length !== 4) throw new TypeError(`address broadcast ${s.broadcast} is not IPv4`);
    attrs.broadcast = new DataView(b.buffer, b.byteOffset).getUint32(0);
  }
  if (s.label !== undefined) {
    if (local.family !== AF.INET) throw new TypeError("address label: IPv4 only");
    if (typeof s.label !== "string" || s.label.length === 0 || s.label.length > 15) {
      throw new TypeError(`address label: takes 1..15 bytes, got ${String(s.label)}`);
    }
    attrs.label = s.label;
  }
  let flags = 0;
  if (s.flags !== undefined) {
    if (!Array.isArray(s.flags)) throw new TypeError("address flags: takes an array of names");
    for (const f of s.flags) flags |= named("address flag", IFA_FLAGS, f);
    attrs.flags = flags;
  }
  if (s.validLifetime !== undefined || s.preferredLifetime !== undefined) {
    const valid = lifetime("address validLifetime", s.validLifetime ?? "forever");
    const preferred = lifetime("address preferredLifetime", s.preferredLifetime ?? valid);
    if (valid === 0) throw new RangeError("address validLifetime: 0 is not a lifetime");
    if (preferred > valid) {
      throw new RangeError("address preferredLifetime: longer than the valid lifetime");
    }
    attrs.cacheinfo = { ifaPrefered: preferred, ifaValid: valid, cstamp: 0, tstamp: 0 };
  }
  if (s.metric !== undefined) attrs.rtPriority = integer("address metric", s.metric, 0, FOREVER);
  return {
    header: {
      ifaFamily: local.family,
      ifaPrefixlen: length,
      ifaFlags: flags & 0xff,
      ifaScope: s.scope === undefined ? 0 : named("address scope", RT_SCOPE, s.scope),
      ifaIndex: index,
    },
    attrs,
  };
}
