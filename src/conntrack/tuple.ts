/**
 * A conntrack tuple as text and numbers (`{ src: "10.0.0.1", dst: ...,
 * protocol: 17, sport, dport }`), to and from the generated
 * `tuple-attrs` of the conntrack family.
 *
 * @module
 */
import { formatAddress, parseAddress } from "../address.ts";
import { integer } from "../rtnl/check.ts";
import type { TupleAttrs, TupleProtoAttrs } from "../families/conntrack.ts";
import { unknownName } from "../suggest.ts";

/**
 * IP protocol numbers by the names `conntrack` prints (IANA's numbers, as
 * /etc/protocols has them; no kernel spec lists them).
 *
 * @example
 * ```ts
 * import { IP_PROTOCOLS } from "./tuple.ts";
 * IP_PROTOCOLS.udp; // 17
 * ```
 */
export const IP_PROTOCOLS: Readonly<Record<string, number>> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  dccp: 33,
  gre: 47,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
};

/** A protocol by name (`"tcp"`) or number (`6`). */
export type ProtocolRef = keyof typeof IP_PROTOCOLS | number;

/** One direction of a connection, as conntrack shows it. */
export interface Tuple {
  /** Source address, `"10.0.0.1"` or `"2001:db8::1"`. */
  src: string;
  /** Destination address. */
  dst: string;
  /** IP protocol number (6 tcp, 17 udp, 1 icmp, 58 icmpv6). */
  protocol: number;
  /** Source port (tcp, udp, sctp, dccp, udplite). */
  sport?: number;
  /** Destination port. */
  dport?: number;
  /** ICMP / ICMPv6 echo id. */
  icmpId?: number;
  /** ICMP / ICMPv6 type. */
  icmpType?: number;
  /** ICMP / ICMPv6 code. */
  icmpCode?: number;
  /** The direction's zone, when the entry has one per direction. */
  zone?: number;
}

/** A tuple to send: the protocol may be given by name. */
export interface TupleInput extends Omit<Tuple, "protocol"> {
  /** `"tcp"`, `"udp"`, `"icmp"`, ... or a number. */
  protocol: ProtocolRef;
}

/**
 * The protocol number of a name or number; else a TypeError/RangeError naming `what`.
 *
 * @example
 * ```ts
 * import { protocolNumber } from "./tuple.ts";
 * protocolNumber("filter", "tcp"); // 6
 * ```
 */
export function protocolNumber(what: string, p: unknown): number {
  if (typeof p === "number") return integer(what, p, 0, 255);
  if (typeof p === "string" && Object.hasOwn(IP_PROTOCOLS, p)) return IP_PROTOCOLS[p];
  throw new TypeError(
    `${what}: ${unknownName("protocol", String(p), Object.keys(IP_PROTOCOLS))}`,
  );
}

/**
 * 4 or 6: the IP version of an address text; a TypeError when it is not one.
 *
 * @example
 * ```ts
 * import { ipVersion } from "./tuple.ts";
 * ipVersion("src", "fd00::1"); // 6
 * ```
 */
export function ipVersion(what: string, address: unknown): 4 | 6 {
  try {
    return parseAddress(address as string).length === 4 ? 4 : 6;
  } catch {
    throw new TypeError(`${what}: not an IP address: ${JSON.stringify(address)}`);
  }
}

function v4(bytes: Uint8Array): number {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

function v4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

const ICMP = new Set([1, 58]);

/**
 * The `tuple-attrs` of a tuple. Only the fields given are encoded, so a
 * filter may name a part of a tuple; `what` names the tuple in errors.
 *
 * @example
 * ```ts
 * import { encodeTuple } from "./tuple.ts";
 * encodeTuple("orig", { src: "10.0.0.1", dst: "10.0.0.2", protocol: "udp", sport: 1, dport: 2 });
 * // { tupleIp: { ipV4Src: 167772161, ipV4Dst: 167772162 }, tupleProto: { protoNum: 17, ... } }
 * ```
 */
export function encodeTuple(what: string, t: Partial<TupleInput>): TupleAttrs {
  const out: TupleAttrs = {};
  const ip: NonNullable<TupleAttrs["tupleIp"]> = {};
  let version: 4 | 6 | undefined;
  for (const side of ["src", "dst"] as const) {
    const a = t[side];
    if (a === undefined) continue;
    const v = ipVersion(`${what}.${side}`, a);
    if (version !== undefined && v !== version) {
      throw new TypeError(`${what}: src and dst are of different IP versions`);
    }
    version = v;
    const bytes = parseAddress(a);
    if (v === 4) ip[side === "src" ? "ipV4Src" : "ipV4Dst"] = v4(bytes);
    else ip[side === "src" ? "ipV6Src" : "ipV6Dst"] = bytes;
  }
  if (version !== undefined) out.tupleIp = ip;
  const proto: TupleProtoAttrs = {};
  const p = t.protocol === undefined ? undefined : protocolNumber(`${what}.protocol`, t.protocol);
  if (p !== undefined) proto.protoNum = p;
  const six = p === 58;
  if (t.sport !== undefined) proto.protoSrcPort = integer(`${what}.sport`, t.sport, 0, 0xffff);
  if (t.dport !== undefined) proto.protoDstPort = integer(`${what}.dport`, t.dport, 0, 0xffff);
  if (t.icmpId !== undefined) {
    proto[six ? "protoIcmpv6Id" : "protoIcmpId"] = integer(`${what}.icmpId`, t.icmpId, 0, 0xffff);
  }
  if (t.icmpType !== undefined) {
    proto[six ? "protoIcmpv6Type" : "protoIcmpType"] = integer(
      `${what}.icmpType`,
      t.icmpType,
      0,
      255,
    );
  }
  if (t.icmpCode !== undefined) {
    proto[six ? "protoIcmpv6Code" : "protoIcmpCode"] = integer(
      `${what}.icmpCode`,
      t.icmpCode,
      0,
      255,
    );
  }
  if (Object.keys(proto).length) out.tupleProto = proto;
  if (t.zone !== undefined) out.tupleZone = integer(`${what}.zone`, t.zone, 0, 0xffff);
  return out;
}

/**
 * A whole tuple (both addresses, the protocol, its ports or ICMP fields), as get/create need.
 *
 * @example
 * ```ts
 * import { encodeFullTuple } from "./tuple.ts";
 * encodeFullTuple("get", { src: "10.0.0.1", dst: "10.0.0.2", protocol: "tcp", sport: 1, dport: 80 });
 * ```
 */
export function encodeFullTuple(what: string, t: TupleInput): TupleAttrs {
  if (typeof t !== "object" || t === null) {
    throw new TypeError(`${what}: takes a tuple { src, dst, protocol, ... }, got ${String(t)}`);
  }
  for (const k of ["src", "dst", "protocol"] as const) {
    if (t[k] === undefined) throw new TypeError(`${what}: ${k} is missing`);
  }
  const p = protocolNumber(`${what}.protocol`, t.protocol);
  if (ICMP.has(p)) {
    for (const k of ["icmpId", "icmpType", "icmpCode"] as const) {
      if (t[k] === undefined) throw new TypeError(`${what}: an ICMP tuple needs ${k}`);
    }
  } else if (p !== 47 && (t.sport === undefined || t.dport === undefined)) {
    throw new TypeError(
      `${what}: a ${p === 6 ? "tcp" : p === 17 ? "udp" : p} tuple needs sport and dport`,
    );
  }
  return encodeTuple(what, t);
}

/**
 * A decoded `tuple-attrs` as text and numbers.
 *
 * @example
 * ```ts
 * import { decodeTuple } from "./tuple.ts";
 * decodeTuple({ tupleIp: { ipV4Src: 167772161, ipV4Dst: 167772162 }, tupleProto: { protoNum: 6 } });
 * // { src: "10.0.0.1", dst: "10.0.0.2", protocol: 6 }
 * ```
 */
export function decodeTuple(a: TupleAttrs | undefined): Tuple {
  const ip = a?.tupleIp ?? {};
  const p = a?.tupleProto ?? {};
  const out: Tuple = {
    src: ip.ipV4Src !== undefined
      ? v4Text(ip.ipV4Src)
      : ip.ipV6Src
      ? formatAddress(ip.ipV6Src)
      : "",
    dst: ip.ipV4Dst !== undefined
      ? v4Text(ip.ipV4Dst)
      : ip.ipV6Dst
      ? formatAddress(ip.ipV6Dst)
      : "",
    protocol: p.protoNum ?? 0,
  };
  if (p.protoSrcPort !== undefined) out.sport = p.protoSrcPort;
  if (p.protoDstPort !== undefined) out.dport = p.protoDstPort;
  const id = p.protoIcmpId ?? p.protoIcmpv6Id;
  const type = p.protoIcmpType ?? p.protoIcmpv6Type;
  const code = p.protoIcmpCode ?? p.protoIcmpv6Code;
  if (id !== undefined) out.icmpId = id;
  if (type !== undefined) out.icmpType = type;
  if (code !== undefined) out.icmpCode = code;
  if (a?.tupleZone !== undefined) out.zone = a.tupleZone;
  return out;
}

/**
 * The reply tuple the kernel would make for `t` without NAT: addresses and ports swapped.
 *
 * @example
 * ```ts
 * import { inverse } from "./tuple.ts";
 * inverse({ src: "10.0.0.1", dst: "10.0.0.2", protocol: "udp", sport: 1, dport: 2 }).dport; // 1
 * ```
 */
export function inverse(t: TupleInput): TupleInput {
  const out: TupleInput = { ...t, src: t.dst, dst: t.src };
  if (t.sport !== undefined || t.dport !== undefined) {
    out.sport = t.dport;
    out.dport = t.sport;
  }
  return out;
}

/**
 * Whether `t` has every field `want` gives (addresses compared as parsed).
 *
 * @example
 * ```ts
 * import { tupleMatches } from "./tuple.ts";
 * tupleMatches({ src: "10.0.0.1", dst: "10.0.0.2", protocol: 17 }, { protocol: "udp" }); // true
 * ```
 */
export function tupleMatches(t: Tuple, want: Partial<TupleInput>): boolean {
  const same = (a: string, b: string) => formatAddress(parseAddress(b)) === a;
  if (want.src !== undefined && !same(t.src, want.src)) return false;
  if (want.dst !== undefined && !same(t.dst, want.dst)) return false;
  if (want.protocol !== undefined && protocolNumber("tuple", want.protocol) !== t.protocol) {
    return false;
  }
  for (const k of ["sport", "dport", "icmpId", "icmpType", "icmpCode", "zone"] as const) {
    if (want[k] !== undefined && t[k] !== want[k]) return false;
  }
  return true;
}
