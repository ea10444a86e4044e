/**
 * Text as `ip` writes it: addresses as glibc's inet_ntop, link-layer
 * addresses as lib/ll_addr.c, link types as lib/ll_types.c, and the small
 * helpers that read a decoded value whether the codec gave a number or a
 * name.
 *
 * @module
 */

/**
 * An IPv4 or IPv6 address as glibc's `inet_ntop` writes it (RFC 5952, with ::ffff:a.b.c.d).
 *
 * @example
 * ```ts
 * import { ntop } from "./format.ts";
 * ntop(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1])); // "::ffff:10.0.0.1"
 * ```
 */
export function ntop(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return hex(b, ":");
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  // the longest run of two or more zero groups, first one on ties
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  // glibc: an embedded IPv4 address for ::a.b.c.d (compatible) and ::ffff:a.b.c.d (mapped)
  const v4 = best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff));
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      parts.push(i === 0 ? ":" : "");
      i += bestLen - 1;
      if (i === 7) parts.push("");
      continue;
    }
    if (v4 && i === 6) {
      parts.push(`${b[12]}.${b[13]}.${b[14]}.${b[15]}`);
      break;
    }
    parts.push(g[i].toString(16));
  }
  return parts.join(":");
}

/**
 * Bytes as two-digit hex, joined by `sep`.
 *
 * @example
 * ```ts
 * import { hex } from "./format.ts";
 * hex(new Uint8Array([2, 171]), ":"); // "02:ab"
 * ```
 */
export function hex(b: Uint8Array, sep = ""): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(sep);
}

// <linux/if_arp.h> ARPHRD_* the address printing depends on (lib/ll_addr.c)
const ARPHRD_TUNNEL = 768, ARPHRD_TUNNEL6 = 769, ARPHRD_SIT = 776, ARPHRD_IPGRE = 778;
const ARPHRD_IP6GRE = 823;

/**
 * `ll_addr_n2a`: a link-layer address of a link of type `type`.
 *
 * @example
 * ```ts
 * import { lladdr } from "./format.ts";
 * lladdr(new Uint8Array([2, 0, 0, 0, 0, 1]), 1); // "02:00:00:00:00:01"
 * ```
 */
export function lladdr(b: Uint8Array, type: number): string {
  if (b.length === 4 && (type === ARPHRD_TUNNEL || type === ARPHRD_SIT || type === ARPHRD_IPGRE)) {
    return ntop(b);
  }
  if (b.length === 16 && (type === ARPHRD_TUNNEL6 || type === ARPHRD_IP6GRE)) return ntop(b);
  return hex(b, ":");
}

// lib/ll_types.c: ip's names of <linux/if_arp.h>'s ARPHRD_* (no spec has them)
const LL_TYPES = new Map<number, string>([
  [0, "netrom"],
  [1, "ether"],
  [2, "eether"],
  [3, "ax25"],
  [4, "pronet"],
  [5, "chaos"],
  [6, "ieee802"],
  [7, "arcnet"],
  [8, "atalk"],
  [15, "dlci"],
  [19, "atm"],
  [23, "metricom"],
  [24, "ieee1394"],
  [32, "infiniband"],
  [256, "slip"],
  [257, "cslip"],
  [258, "slip6"],
  [259, "cslip6"],
  [260, "rsrvd"],
  [264, "adapt"],
  [270, "rose"],
  [271, "x25"],
  [272, "hwx25"],
  [280, "can"],
  [512, "ppp"],
  [513, "hdlc"],
  [516, "lapb"],
  [517, "ddcmp"],
  [518, "rawhdlc"],
  [768, "ipip"],
  [769, "tunnel6"],
  [770, "frad"],
  [771, "skip"],
  [772, "loopback"],
  [773, "ltalk"],
  [774, "fddi"],
  [775, "bif"],
  [776, "sit"],
  [777, "ip/ddp"],
  [778, "gre"],
  [779, "pimreg"],
  [780, "hippi"],
  [781, "ash"],
  [782, "econet"],
  [783, "irda"],
  [784, "fcpp"],
  [785, "fcal"],
  [786, "fcpl"],
  ...Array.from({ length: 13 }, (_, i) => [787 + i, `fcfb${i}`] as [number, string]),
  [800, "tr"],
  [801, "ieee802.11"],
  [802, "ieee802.11/prism"],
  [803, "ieee802.11/radiotap"],
  [804, "ieee802.15.4"],
  [805, "ieee802.15.4/monitor"],
  [820, "phonet"],
  [821, "phonet_pipe"],
  [822, "caif"],
  [823, "gre6"],
  [824, "netlink"],
  [825, "6lowpan"],
  [0xfffe, "none"],
  [0xffff, "void"],
]);

/**
 * `ll_type_n2a`: a link type's name ("ether", "loopback", ...), else `[N]`.
 *
 * @example
 * ```ts
 * import { linkTypeName } from "./format.ts";
 * linkTypeName(772); // "loopback"
 * ```
 */
export function linkTypeName(type: number): string {
  return LL_TYPES.get(type) ?? `[${type}]`;
}

/**
 * A decoded enum value as its number, whether the codec gave the number or
 * the spec's name (`table` maps names to numbers).
 *
 * @example
 * ```ts
 * import { enumValue } from "./format.ts";
 * enumValue("local", { unicast: 1, local: 2 }); // 2
 * ```
 */
export function enumValue(
  v: unknown,
  table: Readonly<Record<string, number>>,
): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") return table[v];
  return undefined;
}

/**
 * A decoded flag set as its bits, whether the codec gave a number or an
 * array of the spec's names (unknown bits as numbers).
 *
 * @example
 * ```ts
 * import { flagBits } from "./format.ts";
 * flagBits(["up", 64], { up: 1 }); // 65
 * ```
 */
export function flagBits(v: unknown, table: Readonly<Record<string, number>>): number {
  if (typeof v === "number") return v;
  if (Array.isArray(v)) {
    let bits = 0;
    for (const x of v) bits |= typeof x === "number" ? x : table[x as string] ?? 0;
    return bits >>> 0;
  }
  return 0;
}

/**
 * A JSON object's keys in the order ip writes them, with undefined values left out.
 *
 * @example
 * ```ts
 * import { compact } from "./format.ts";
 * compact({ a: 1, b: undefined }); // { a: 1 }
 * ```
 */
export function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
