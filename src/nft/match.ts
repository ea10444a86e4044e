/**
 * Building blocks for common rules, as `nft` compiles them: matching
 * interfaces, protocols, addresses, ports and conntrack state, and the
 * NAT statements. Each returns the expressions to splice into a rule's
 * `exprs`. Values go in network byte order, as the kernel compares them.
 *
 * @module
 */
import { CT_STATE, type META_KEYS } from "./spec.ts";
import type { CmpOp, Expr, NatExpr } from "./expr_types.ts";
import { NftInputError } from "./errors.ts";

/** `NFT_REG_1`: the register these helpers load into. */
export const REG_1 = 1;
/** `NFT_REG_2`. */
export const REG_2 = 2;
/** IFNAMSIZ: interface names are compared as 16 bytes. */
const IFNAMSIZ = 16;

/**
 * An interface name as the kernel compares it: 16 bytes, NUL-padded.
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * match.ifname("eth0").length; // 16
 * ```
 */
export function ifname(name: string): Uint8Array {
  const b = new TextEncoder().encode(name);
  if (b.length === 0 || b.length >= IFNAMSIZ) {
    throw new NftInputError("ifname", `must be 1-15 bytes, not ${JSON.stringify(name)}`);
  }
  const out = new Uint8Array(IFNAMSIZ);
  out.set(b);
  return out;
}

/**
 * An IPv4 address's 4 bytes.
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * match.ipv4("10.0.0.1"); // Uint8Array [10, 0, 0, 1]
 * ```
 */
export function ipv4(addr: string): Uint8Array {
  const parts = addr.split(".");
  const b = parts.map(Number);
  if (parts.length !== 4 || b.some((x, i) => !/^\d{1,3}$/.test(parts[i]) || x > 255)) {
    throw new NftInputError("ipv4", `not an IPv4 address: ${JSON.stringify(addr)}`);
  }
  return new Uint8Array(b);
}

/**
 * A 16-bit value in network order (a port).
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * match.be16(443); // Uint8Array [1, 187]
 * ```
 */
export function be16(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new NftInputError("be16", `must be an integer 0-65535, not ${v}`);
  }
  return new Uint8Array([v >> 8, v & 0xff]);
}

/**
 * A 32-bit value in host order (meta mark, ct mark, ...).
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const mark = match.host32(7); // meta mark and ct mark are host order
 * ```
 */
export function host32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/**
 * `meta KEY OP VALUE` for a meta key and the bytes to compare.
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const rule = [...match.meta("mark", match.host32(7)), { type: "verdict", verdict: "accept" }];
 * ```
 */
export function meta(key: keyof typeof META_KEYS, data: Uint8Array, op: CmpOp = "eq"): Expr[] {
  return [{ type: "meta", key, dreg: REG_1 }, { type: "cmp", op, sreg: REG_1, data }];
}

/**
 * `iifname NAME`.
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = [...match.iifname("lo"), { type: "verdict", verdict: "accept" }];
 * ```
 */
export function iifname(name: string, op: CmpOp = "eq"): Expr[] {
  return meta("iifname", ifname(name), op);
}

/**
 * `oifname NAME`.
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = [...match.oifname("wan0"), { type: "masq" }];
 * ```
 */
export function oifname(name: string, op: CmpOp = "eq"): Expr[] {
  return meta("oifname", ifname(name), op);
}

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 };

/**
 * `meta l4proto PROTO` (`tcp`, `udp`, `icmp`, `icmpv6`, or a number).
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = match.l4proto("udp"); // meta l4proto udp
 * ```
 */
export function l4proto(proto: string | number): Expr[] {
  const n = typeof proto === "number" ? proto : PROTOCOLS[proto];
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) {
    throw new NftInputError("l4proto", `unknown protocol ${JSON.stringify(proto)}`);
  }
  return meta("l4-proto", new Uint8Array([n]));
}

/**
 * `ip saddr ADDR[/LEN]` (or `ip daddr` with `which: "daddr"`).
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = match.ipAddr("saddr", "10.1.0.0/24"); // ip saddr 10.1.0.0/24
 * ```
 */
export function ipAddr(which: "saddr" | "daddr", cidr: string, op: CmpOp = "eq"): Expr[] {
  const [addr, lenText] = cidr.split("/");
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) {
    throw new NftInputError("ipAddr", `bad prefix length in ${JSON.stringify(cidr)}`);
  }
  const bytes = ipv4(addr);
  const out: Expr[] = [{
    type: "payload",
    base: "network-header",
    offset: which === "saddr" ? 12 : 16,
    len: 4,
    dreg: REG_1,
  }];
  if (len < 32) {
    const mask = new Uint8Array(4);
    for (let i = 0; i < len; i++) mask[i >> 3] |= 0x80 >> (i & 7);
    out.push({ type: "bitwise", sreg: REG_1, dreg: REG_1, len: 4, mask, xor: new Uint8Array(4) });
    for (let i = 0; i < 4; i++) bytes[i] &= mask[i];
  }
  out.push({ type: "cmp", op, sreg: REG_1, data: bytes });
  return out;
}

/**
 * `meta nfproto ipv4` (in inet tables, before matching IPv4 headers).
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = [...match.nfprotoIpv4(), ...match.ipAddr("daddr", "10.0.0.1")];
 * ```
 */
export function nfprotoIpv4(): Expr[] {
  return meta("nfproto", new Uint8Array([2]));
}

/**
 * `PROTO dport PORT` (`tcp` or `udp`): the protocol match and the port's.
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = [...match.dport("tcp", 22), { type: "verdict", verdict: "accept" }];
 * ```
 */
export function dport(proto: "tcp" | "udp", port: number, op: CmpOp = "eq"): Expr[] {
  return [
    ...l4proto(proto),
    { type: "payload", base: "transport-header", offset: 2, len: 2, dreg: REG_1 },
    { type: "cmp", op, sreg: REG_1, data: be16(port) },
  ];
}

/**
 * `ct state S1,S2,...`: true when the connection is in any of them.
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = [...match.ctState("established", "related"), { type: "verdict", verdict: "accept" }];
 * ```
 */
export function ctState(...states: (keyof typeof CT_STATE)[]): Expr[] {
  let m = 0;
  for (const s of states) {
    if (!Object.hasOwn(CT_STATE, s)) {
      throw new NftInputError(
        "ctState",
        `unknown state ${JSON.stringify(s)}; one of ${Object.keys(CT_STATE).join(", ")}`,
      );
    }
    m |= CT_STATE[s];
  }
  return [
    { type: "ct", key: "state", dreg: REG_1 },
    { type: "bitwise", sreg: REG_1, dreg: REG_1, len: 4, mask: host32(m), xor: new Uint8Array(4) },
    { type: "cmp", op: "neq", sreg: REG_1, data: new Uint8Array(4) },
  ];
}

/**
 * `snat to ADDR` / `dnat to ADDR[:PORT]` (IPv4).
 *
 * @example
 * ```ts
 * import * as match from "./match.ts";
 * const exprs = match.nat("dnat", "10.1.0.2", 80); // dnat to 10.1.0.2:80
 * ```
 */
export function nat(kind: "snat" | "dnat", addr: string, port?: number): Expr[] {
  const out: Expr[] = [{ type: "immediate", dreg: REG_1, data: ipv4(addr) }];
  const e: NatExpr = { type: "nat", nat: kind, family: "ipv4", regAddrMin: REG_1 };
  if (port !== undefined) {
    out.push({ type: "immediate", dreg: REG_2, data: be16(port) });
    e.regProtoMin = REG_2;
  }
  out.push(e);
  return out;
}
