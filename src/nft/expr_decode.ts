/**
 * Decoding rule expressions (`NFTA_LIST_ELEM` nests) into their typed
 * form; an expression this module does not know comes back as
 * `{ type: "raw", name, data }`.
 *
 * @module
 */
import type { AttributeDecoder } from "../attribute.ts";
import {
  A,
  BITWISE_OPS,
  CMP_OPS,
  CT_DIRECTION,
  CT_KEYS,
  flagNames,
  LIMIT_FLAGS,
  LIMIT_TYPES,
  LOG_FLAGS,
  LOG_LEVEL,
  META_KEYS,
  nameOf,
  NAT_RANGE_FLAGS,
  NAT_TYPES,
  NFPROTO,
  PAYLOAD_BASE,
  REJECT_TYPES,
} from "./spec.ts";
import { decodeVerdict } from "./data.ts";
import type {
  CtExpr,
  Expr,
  LimitExpr,
  LogExpr,
  LookupExpr,
  MasqExpr,
  MetaExpr,
  NatExpr,
  PayloadExpr,
  RedirExpr,
} from "./expr_types.ts";

function regNames<T extends Readonly<Record<string, number>>>(
  table: T,
  v: number,
  what: string,
): keyof T & string {
  const name = nameOf(table, v);
  if (name === undefined) return `${what}-${v}` as keyof T & string;
  return name;
}

/**
 * Decodes one `NFTA_LIST_ELEM` (the decoder on its nested attributes).
 *
 * @example
 * ```ts ignore
 * import { decodeExpr } from "./expr_decode.ts";
 * declare const elem: import("../attribute.ts").AttributeDecoder;
 * console.log(decodeExpr(elem).type);
 * ```
 */
export function decodeExpr(ad: AttributeDecoder): Expr {
  let name = "";
  let data: AttributeDecoder | undefined;
  let raw = new Uint8Array(0);
  while (ad.next()) {
    if (ad.type === A.expr.name) name = ad.string();
    else if (ad.type === A.expr.data) {
      data = ad.nested();
      raw = ad.value().slice();
    }
  }
  const values: Record<number, number> = {};
  const bigs: Record<number, bigint> = {};
  const strings: Record<number, string> = {};
  const nests: Record<number, AttributeDecoder> = {};
  if (data) {
    while (data.next()) {
      const t = data.type;
      if (data.length === 4) values[t] = data.u32be();
      else if (data.length === 8) bigs[t] = data.u64be();
      else if (data.length === 1) values[t] = data.u8();
      else if (data.length === 2) values[t] = data.u16be();
      strings[t] = data.string();
      nests[t] = data.nested();
    }
  }
  const has = (t: number) => Object.hasOwn(values, t);
  const opt = (t: number) => (has(t) ? values[t] : undefined);
  const bytesOf = (t: number) => (nests[t] ? dataOf(nests[t]) : new Uint8Array(0));
  switch (name) {
    case "payload": {
      const e: PayloadExpr = {
        type: "payload",
        base: regNames(PAYLOAD_BASE, values[A.payload.base] ?? 0, "base"),
        offset: values[A.payload.offset] ?? 0,
        len: values[A.payload.len] ?? 0,
      };
      if (has(A.payload.dreg)) e.dreg = values[A.payload.dreg];
      if (has(A.payload.sreg)) e.sreg = values[A.payload.sreg];
      if (has(A.payload["csum-type"])) e.csumType = values[A.payload["csum-type"]];
      if (has(A.payload["csum-offset"])) e.csumOffset = values[A.payload["csum-offset"]];
      if (has(A.payload["csum-flags"])) e.csumFlags = values[A.payload["csum-flags"]];
      return e;
    }
    case "meta": {
      const e: MetaExpr = {
        type: "meta",
        key: regNames(META_KEYS, values[A.meta.key] ?? 0, "key"),
      };
      if (has(A.meta.dreg)) e.dreg = values[A.meta.dreg];
      if (has(A.meta.sreg)) e.sreg = values[A.meta.sreg];
      return e;
    }
    case "cmp":
      return {
        type: "cmp",
        op: regNames(CMP_OPS, values[A.cmp.op] ?? 0, "op"),
        sreg: values[A.cmp.sreg] ?? 0,
        data: bytesOf(A.cmp.data),
      };
    case "bitwise":
      if ((values[A.bitwise.op] ?? 0) !== BITWISE_OPS["mask-xor"]) break;
      return {
        type: "bitwise",
        sreg: values[A.bitwise.sreg] ?? 0,
        dreg: values[A.bitwise.dreg] ?? 0,
        len: values[A.bitwise.len] ?? 0,
        mask: bytesOf(A.bitwise.mask),
        xor: bytesOf(A.bitwise.xor),
      };
    case "counter":
      return {
        type: "counter",
        bytes: bigs[A.counter.bytes] ?? 0n,
        packets: bigs[A.counter.packets] ?? 0n,
      };
    case "immediate": {
      const dreg = values[A.immediate.dreg] ?? 0;
      const d = nests[A.immediate.data];
      if (dreg === 0 && d) {
        while (d.next()) {
          if (d.type === A.data.verdict) return { type: "verdict", ...decodeVerdict(d.nested()) };
        }
        break;
      }
      return { type: "immediate", dreg, data: bytesOf(A.immediate.data) };
    }
    case "lookup": {
      const e: LookupExpr = {
        type: "lookup",
        set: strings[A.lookup.set] ?? "",
        sreg: values[A.lookup.sreg] ?? 0,
      };
      if (has(A.lookup["set-id"])) e.setId = values[A.lookup["set-id"]];
      if (has(A.lookup.dreg)) e.dreg = values[A.lookup.dreg];
      if ((values[A.lookup.flags] ?? 0) & 1) e.invert = true;
      return e;
    }
    case "ct": {
      const e: CtExpr = { type: "ct", key: regNames(CT_KEYS, values[A.ct.key] ?? 0, "key") };
      if (has(A.ct.dreg)) e.dreg = values[A.ct.dreg];
      if (has(A.ct.sreg)) e.sreg = values[A.ct.sreg];
      if (has(A.ct.direction)) {
        e.direction = regNames(CT_DIRECTION, values[A.ct.direction], "direction");
      }
      return e;
    }
    case "nat": {
      const fam = values[A.nat.family];
      const e: NatExpr = {
        type: "nat",
        nat: regNames(NAT_TYPES, values[A.nat.type] ?? 0, "type"),
        family: fam === NFPROTO.ipv6 ? "ipv6" : "ipv4",
      };
      if (has(A.nat["reg-addr-min"])) e.regAddrMin = values[A.nat["reg-addr-min"]];
      if (has(A.nat["reg-addr-max"])) e.regAddrMax = values[A.nat["reg-addr-max"]];
      if (has(A.nat["reg-proto-min"])) e.regProtoMin = values[A.nat["reg-proto-min"]];
      if (has(A.nat["reg-proto-max"])) e.regProtoMax = values[A.nat["reg-proto-max"]];
      if (values[A.nat.flags]) e.flags = flagNames(NAT_RANGE_FLAGS, values[A.nat.flags]);
      return e;
    }
    case "masq":
    case "redir": {
      const t = name === "masq" ? A.masq : A.redir;
      const e: MasqExpr | RedirExpr = { type: name };
      if (values[t.flags]) e.flags = flagNames(NAT_RANGE_FLAGS, values[t.flags]);
      if (has(t["reg-proto-min"])) e.regProtoMin = values[t["reg-proto-min"]];
      if (has(t["reg-proto-max"])) e.regProtoMax = values[t["reg-proto-max"]];
      return e;
    }
    case "reject":
      return {
        type: "reject",
        kind: regNames(REJECT_TYPES, values[A.reject.type] ?? 0, "type"),
        code: values[A.reject["icmp-code"]] ?? 0,
      };
    case "limit": {
      const e: LimitExpr = {
        type: "limit",
        rate: Number(bigs[A.limit.rate] ?? 0n),
        unit: Number(bigs[A.limit.unit] ?? 0n),
        burst: values[A.limit.burst] ?? 0,
        per: regNames(LIMIT_TYPES, values[A.limit.type] ?? 0, "type"),
      };
      if ((values[A.limit.flags] ?? 0) & LIMIT_FLAGS.inv) e.invert = true;
      return e;
    }
    case "log": {
      const e: LogExpr = { type: "log" };
      if (strings[A.log.prefix] !== undefined) e.prefix = strings[A.log.prefix];
      if (has(A.log.group)) e.group = opt(A.log.group);
      if (has(A.log.snaplen)) e.snaplen = opt(A.log.snaplen);
      if (has(A.log.qthreshold)) e.qthreshold = opt(A.log.qthreshold);
      if (has(A.log.level)) e.level = regNames(LOG_LEVEL, values[A.log.level], "level");
      if (has(A.log.flags)) e.flags = flagNames(LOG_FLAGS, values[A.log.flags]);
      return e;
    }
  }
  return { type: "raw", name, data: raw };
}

function dataOf(n: AttributeDecoder): Uint8Array {
  while (n.next()) if (n.type === A.data.value) return n.value().slice();
  return new Uint8Array(0);
}
