/**
 * {@linkcode ConntrackFilter}: which entries a dump, a deletion or an event
 * stream is about, split into what the kernel filters (sent with the dump
 * request) and what only this side can check.
 *
 * In the kernel (net/netfilter/nf_conntrack_netlink.c, ctnetlink_filter_match):
 * the family (nfgen_family), `mark`/`markMask`, `status`/`statusMask`, and
 * the parts of `orig`/`reply` a CTA_FILTER can name: addresses, the
 * protocol, and with the protocol its ports or ICMP fields; a CTA_FILTER
 * needs the family, so tuple parts are sent only when the family is known
 * (given, or implied by an address). Client side: the zone (a dump's
 * CTA_ZONE is not compared by the kernels this library supports), the
 * tuples' zones, and ports or ICMP fields given without a protocol. Every
 * entry is checked here against the whole filter too, so the answer does
 * not depend on what a kernel version filters.
 *
 * @module
 */
import { AF } from "../address.ts";
import { type ConntrackAttrs, NF_CT_FILTER_FLAGS, type TupleAttrs } from "../families/conntrack.ts";
import { integer } from "../rtnl/check.ts";
import { isRecord } from "../ynl/values.ts";
import { hint } from "../suggest.ts";
import { type ConntrackEntry, statusBits, type StatusName } from "./entry.ts";
import { encodeTuple, ipVersion, protocolNumber, type TupleInput, tupleMatches } from "./tuple.ts";

/** A plain object (no narrowing: the caller keeps its type). */
const plain = (x: unknown): boolean => isRecord(x);

/** Which entries to take; every field given must match. */
export interface ConntrackFilter {
  /** IPv4 or IPv6 only. */
  family?: 4 | 6;
  /** The zone (0 is the default zone). */
  zone?: number;
  /** The mark, compared under `markMask` (default all bits). */
  mark?: number;
  /** Which bits of the mark to compare. */
  markMask?: number;
  /** Status bits that must be set (or, with `statusMask`, the value of those bits). */
  status?: readonly StatusName[] | number;
  /** Which status bits to compare (default: those of `status`). */
  statusMask?: readonly StatusName[] | number;
  /** Parts of the original tuple. */
  orig?: Partial<TupleInput>;
  /** Parts of the reply tuple. */
  reply?: Partial<TupleInput>;
}

type StatusInput = readonly StatusName[] | number;

const KEYS = ["family", "zone", "mark", "markMask", "status", "statusMask", "orig", "reply"];
const TUPLE_KEYS = [
  "src",
  "dst",
  "protocol",
  "sport",
  "dport",
  "icmpId",
  "icmpType",
  "icmpCode",
  "zone",
];

/** A filter checked and normalised: bits as numbers, the family settled. */
export interface CheckedFilter {
  /** The filter as given. */
  readonly filter: ConntrackFilter;
  /** 4, 6 or undefined (both). */
  readonly family?: 4 | 6;
  /** The mark's value under its mask, and the mask. */
  readonly mark?: { value: number; mask: number };
  /** The status bits' value under their mask, and the mask. */
  readonly status?: { value: number; mask: number };
}

/**
 * Checks a filter: unknown keys, ranges, names, an address of the other
 * family. Throws TypeError/RangeError naming the field.
 *
 * @example
 * ```ts
 * import { checkFilter } from "./filter.ts";
 * checkFilter({ orig: { dst: "10.0.0.2", protocol: "udp", dport: 5000 } }).family; // 4
 * ```
 */
export function checkFilter(filter: ConntrackFilter = {}): CheckedFilter {
  if (!isRecord(filter)) {
    throw new TypeError(`conntrack filter: takes an object, got ${typeof filter}`);
  }
  for (const k of Object.keys(filter)) {
    if (!KEYS.includes(k)) throw new TypeError(`conntrack filter: no field ${k}${hint(k, KEYS)}`);
  }
  let family = filter.family as 4 | 6 | undefined;
  if (family !== undefined && family !== 4 && family !== 6) {
    throw new RangeError(`conntrack filter.family: 4 or 6, not ${String(family)}`);
  }
  if (filter.zone !== undefined) integer("conntrack filter.zone", filter.zone, 0, 0xffff);
  for (const dir of ["orig", "reply"] as const) {
    const t = filter[dir] as Partial<TupleInput> | undefined;
    if (t === undefined) continue;
    if (!plain(t)) throw new TypeError(`conntrack filter.${dir}: takes an object`);
    for (const k of Object.keys(t)) {
      if (!TUPLE_KEYS.includes(k)) {
        throw new TypeError(`conntrack filter.${dir}: no field ${k}${hint(k, TUPLE_KEYS)}`);
      }
    }
    encodeTuple(`conntrack filter.${dir}`, t); // every range and name, before anything is sent
    for (const side of ["src", "dst"] as const) {
      if (t[side] === undefined) continue;
      const v = ipVersion(`conntrack filter.${dir}.${side}`, t[side]);
      if (family !== undefined && v !== family) {
        throw new TypeError(
          `conntrack filter.${dir}.${side}: an IPv${v} address in an IPv${family} filter`,
        );
      }
      family = v;
    }
  }
  const out: { -readonly [K in keyof CheckedFilter]: CheckedFilter[K] } = { filter, family };
  if (filter.mark !== undefined || filter.markMask !== undefined) {
    if (filter.mark === undefined) throw new TypeError("conntrack filter: markMask without mark");
    const mask = integer("conntrack filter.markMask", filter.markMask ?? 0xffffffff, 0, 0xffffffff);
    const value = integer("conntrack filter.mark", filter.mark, 0, 0xffffffff);
    out.mark = { value: (value & mask) >>> 0, mask };
  }
  if (filter.status !== undefined || filter.statusMask !== undefined) {
    if (filter.status === undefined) {
      throw new TypeError("conntrack filter: statusMask without status");
    }
    const value = statusBits("conntrack filter.status", filter.status as StatusInput);
    const mask = filter.statusMask === undefined
      ? value
      : statusBits("conntrack filter.statusMask", filter.statusMask as StatusInput);
    if (mask === 0) {
      throw new RangeError("conntrack filter.status: a mask of no bits matches nothing");
    }
    out.status = { value: (value & mask) >>> 0, mask };
  }
  return out;
}

/**
 * The nfgen_family of a filter's family (AF_UNSPEC for both).
 *
 * @example
 * ```ts
 * import { familyOf } from "./filter.ts";
 * familyOf(6); // 10 (AF_INET6)
 * ```
 */
export function familyOf(version: 4 | 6 | undefined): number {
  return version === 4 ? AF.INET : version === 6 ? AF.INET6 : AF.UNSPEC;
}

/** The CTA_FILTER flags and tuple a kernel can compare of `t`, when the family is known. */
function kernelTuple(
  t: Partial<TupleInput>,
  dir: string,
): { flags: number; tuple: TupleAttrs; part: Partial<TupleInput> } {
  const F = NF_CT_FILTER_FLAGS;
  const part: Partial<TupleInput> = {};
  let flags = 0;
  if (t.src !== undefined) [part.src, flags] = [t.src, flags | F["ip-src"]];
  if (t.dst !== undefined) [part.dst, flags] = [t.dst, flags | F["ip-dst"]];
  if (t.protocol !== undefined) {
    const p = protocolNumber(dir, t.protocol);
    part.protocol = p;
    flags |= F["proto-num"];
    if (p === 6 || p === 17) {
      if (t.sport !== undefined) [part.sport, flags] = [t.sport, flags | F["proto-src-port"]];
      if (t.dport !== undefined) [part.dport, flags] = [t.dport, flags | F["proto-dst-port"]];
    } else if (p === 1 || p === 58) {
      const six = p === 58;
      if (t.icmpType !== undefined) {
        part.icmpType = t.icmpType;
        flags |= F[six ? "proto-icmpv6-type" : "proto-icmp-type"];
      }
      if (t.icmpCode !== undefined) {
        part.icmpCode = t.icmpCode;
        flags |= F[six ? "proto-icmpv6-code" : "proto-icmp-code"];
      }
      if (t.icmpId !== undefined) {
        part.icmpId = t.icmpId;
        flags |= F[six ? "proto-icmpv6-id" : "proto-icmp-id"];
      }
    }
  }
  return { flags, tuple: encodeTuple(dir, part), part };
}

/**
 * Where each field of a filter is compared: `kernel` (sent with the dump
 * request; the kernel skips what fails) or `client` (only here). Every
 * entry is checked here against the whole filter as well.
 *
 * @example
 * ```ts
 * import { filterPlacement } from "./filter.ts";
 * filterPlacement({ zone: 3, orig: { dst: "10.0.0.2", dport: 53 } });
 * // { kernel: ["family", "orig.dst"], client: ["zone", "orig.dport"] }
 * ```
 */
export function filterPlacement(filter: ConntrackFilter): { kernel: string[]; client: string[] } {
  const f = checkFilter(filter);
  const kernel: string[] = [], client: string[] = [];
  if (f.family !== undefined) kernel.push("family");
  for (const k of ["mark", "markMask", "status", "statusMask"] as const) {
    if (filter[k] !== undefined) kernel.push(k);
  }
  if (filter.zone !== undefined) client.push("zone");
  for (const dir of ["orig", "reply"] as const) {
    const t = filter[dir];
    if (t === undefined) continue;
    const sent = f.family === undefined ? {} : kernelTuple(t, `conntrack filter.${dir}`).part;
    for (const k of Object.keys(t) as (keyof TupleInput)[]) {
      if (t[k] === undefined) continue;
      (k in sent ? kernel : client).push(`${dir}.${k}`);
    }
  }
  return { kernel, client };
}

/**
 * The dump request's attributes and family for the parts of `f` the kernel
 * filters.
 *
 * @example
 * ```ts
 * import { checkFilter, kernelFilter } from "./filter.ts";
 * kernelFilter(checkFilter({ mark: 1 })).attrs; // { mark: 1, markMask: 4294967295 }
 * ```
 */
export function kernelFilter(f: CheckedFilter): { family: number; attrs: ConntrackAttrs } {
  const attrs: ConntrackAttrs = {};
  if (f.mark) [attrs.mark, attrs.markMask] = [f.mark.value, f.mark.mask];
  if (f.status) [attrs.status, attrs.statusMask] = [f.status.value, f.status.mask];
  if (f.family !== undefined) {
    const o = f.filter.orig ? kernelTuple(f.filter.orig, "conntrack filter.orig") : undefined;
    const r = f.filter.reply ? kernelTuple(f.filter.reply, "conntrack filter.reply") : undefined;
    if (o?.flags || r?.flags) {
      attrs.filter = {};
      if (o?.flags) [attrs.filter.origFlags, attrs.tupleOrig] = [o.flags, o.tuple];
      if (r?.flags) [attrs.filter.replyFlags, attrs.tupleReply] = [r.flags, r.tuple];
    }
  }
  return { family: familyOf(f.family), attrs };
}

/**
 * Whether an entry passes the whole filter (the kernel's part included).
 *
 * @example
 * ```ts ignore
 * import { checkFilter, matches } from "./filter.ts";
 * const f = checkFilter({ zone: 7 });
 * entries.filter((e) => matches(f, e));
 * ```
 */
export function matches(f: CheckedFilter, e: ConntrackEntry): boolean {
  if (f.family !== undefined && e.family !== f.family) return false;
  if (f.filter.zone !== undefined && (e.zone ?? 0) !== f.filter.zone) return false;
  if (f.mark && ((e.mark ?? 0) & f.mark.mask) >>> 0 !== f.mark.value) return false;
  if (f.status && (e.status & f.status.mask) >>> 0 !== f.status.value) return false;
  if (f.filter.orig && !tupleMatches(e.orig, f.filter.orig)) return false;
  if (f.filter.reply && !tupleMatches(e.reply, f.filter.reply)) return false;
  return true;
}
