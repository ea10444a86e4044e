/**
 * `ip -j address`: each link (ipaddress.c print_linkinfo, as for `ip
 * address`) with its `addr_info` (print_addrinfo), links filtered as
 * ipaddr_filter does for -4/-6.
 *
 * @module
 */
import type { AddrAttrs, Ifaddrmsg } from "../../families/rt_addr.ts";
import { IFA_FLAGS } from "../../families/rt_addr.ts";
import { flagBits, ntop } from "./format.ts";
import { familyName, scopeName } from "./names.ts";

/**
 * ip's address flags in its order and spelling (ipaddress.c ifa_flag_data);
 * the masks are the rt-addr spec's `ifa-flags`.
 *
 * @example
 * ```ts
 * import { ADDR_FLAG_ORDER } from "./addr.ts";
 * ADDR_FLAG_ORDER[0]; // ["secondary", 1]
 * ```
 */
export const ADDR_FLAG_ORDER: readonly [string, number][] = [
  ["secondary", IFA_FLAGS.secondary],
  ["temporary", IFA_FLAGS.secondary],
  ["nodad", IFA_FLAGS.nodad],
  ["optimistic", IFA_FLAGS.optimistic],
  ["dadfailed", IFA_FLAGS.dadfailed],
  ["home", IFA_FLAGS.homeaddress],
  ["deprecated", IFA_FLAGS.deprecated],
  ["tentative", IFA_FLAGS.tentative],
  ["permanent", IFA_FLAGS.permanent],
  ["mngtmpaddr", IFA_FLAGS.managetempaddr],
  ["noprefixroute", IFA_FLAGS.noprefixroute],
  ["autojoin", IFA_FLAGS.mcautojoin],
  ["stable-privacy", IFA_FLAGS["stable-privacy"]],
];

const INFINITY_LIFE_TIME = 0xffffffff;
const AF_INET6 = 10;

/**
 * An address message, decoded.
 *
 * @example
 * ```ts
 * import type { AddrMessage } from "./addr.ts";
 * const m: AddrMessage = { header: { ifaFamily: 2, ifaPrefixlen: 8 }, attrs: {} };
 * ```
 */
export interface AddrMessage {
  /** The fixed header. */
  header: Ifaddrmsg;
  /** Its attributes. */
  attrs: AddrAttrs;
}

/**
 * The flags of an address: IFA_FLAGS when present, else ifa_flags (get_ifa_flags).
 *
 * @example
 * ```ts
 * import { addrFlags } from "./addr.ts";
 * addrFlags({ header: { ifaFlags: 128 }, attrs: { flags: 640 } }); // 640
 * ```
 */
export function addrFlags(m: AddrMessage): number {
  return m.attrs.flags !== undefined
    ? flagBits(m.attrs.flags, IFA_FLAGS)
    : flagBits(m.header.ifaFlags, IFA_FLAGS);
}

/**
 * print_addrinfo: one `addr_info` entry.
 *
 * @example
 * ```ts
 * import { addrJson } from "./addr.ts";
 * addrJson({
 *   header: { ifaFamily: 2, ifaPrefixlen: 8, ifaScope: 254, ifaFlags: 128 },
 *   attrs: { local: new Uint8Array([127, 0, 0, 1]), label: "lo" },
 * }); // { family: "inet", local: "127.0.0.1", prefixlen: 8, scope: "host", label: "lo" }
 * ```
 */
export function addrJson(m: AddrMessage): Record<string, unknown> {
  const h = m.header, a = m.attrs;
  const family = h.ifaFamily ?? 0;
  const flags0 = addrFlags(m);
  const o: Record<string, unknown> = {};
  const name = familyName(family);
  if (name[0] !== "?") o.family = name;
  else o.family_index = family;
  const local = a.local ?? a.address;
  const address = a.address ?? a.local;
  if (local) {
    o.local = ntop(local);
    if (address && ntop(address) !== o.local) o.address = ntop(address);
    o.prefixlen = h.ifaPrefixlen ?? 0;
    if (a.rtPriority !== undefined) o.metric = a.rtPriority;
  }
  if (a.broadcast !== undefined) o.broadcast = ipv4(a.broadcast);
  if (a.anycast) o.anycast = ntop(a.anycast);
  o.scope = scopeName(h.ifaScope ?? 0);
  let flags = flags0;
  for (const [fname, mask] of ADDR_FLAG_ORDER) {
    if (mask === IFA_FLAGS.permanent) {
      if (!(flags & mask)) o.dynamic = true;
    } else if (flags & mask) {
      if (mask === IFA_FLAGS.secondary && family === AF_INET6) o.temporary = true;
      else o[fname] = true;
    }
    flags &= ~mask;
  }
  if (flags) o.ifa_flags = flags.toString(16).padStart(2, "0");
  if (a.label !== undefined) o.label = a.label;
  const ci = a.cacheinfo;
  if (ci) {
    o.valid_life_time = ci.ifaValid ?? 0;
    const pref = ci.ifaPrefered ?? 0;
    o.preferred_life_time = pref === INFINITY_LIFE_TIME || !(flags0 & IFA_FLAGS.deprecated)
      ? pref
      : pref | 0; // ip prints a deprecated address's lifetime signed
  }
  return o;
}

/** A u32 IPv4 address as the codec gives it (big-endian value, or bytes). */
function ipv4(v: unknown): string {
  if (v instanceof Uint8Array) return ntop(v);
  if (typeof v === "string") return v;
  const n = Number(v) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * ipaddr_filter: with a family filter (-4/-6), only links with an address
 * of that family; without one, every link.
 *
 * @example
 * ```ts
 * import { keepLink } from "./addr.ts";
 * keepLink(1, [], 2); // false: no IPv4 address on link 1
 * ```
 */
export function keepLink(index: number, addrs: AddrMessage[], family: number): boolean {
  let missing = true;
  for (const m of addrs) {
    if ((m.header.ifaIndex ?? 0) !== index) continue;
    missing = false;
    if (family && family !== m.header.ifaFamily) continue;
    return true;
  }
  return missing && (family === 0 || family === 17);
}

/**
 * print_selected_addrinfo: a link's addresses (of the family, if one is given).
 *
 * @example
 * ```ts
 * import { addrInfo } from "./addr.ts";
 * addrInfo(1, [], 0); // []
 * ```
 */
export function addrInfo(index: number, addrs: AddrMessage[], family: number) {
  return addrs
    .filter((m) => (m.header.ifaIndex ?? 0) === index && (!family || family === m.header.ifaFamily))
    .map(addrJson);
}
