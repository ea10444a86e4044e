/**
 * Decoding rule expressions (`NFTA_LIST_ELEM` nests) into their typed
 * form; an expression this module does not know comes back as
 * `{ type: "raw", name, data }`.
 *
 * @module
 */
import { AttributeDecoder } from "../attribute.ts";
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
  NAT_RANGE_FLAGS,
  NAT_TYPES,
  NFPROTO,
  PAYLOAD_BASE,
  REJECT_TYPES,
} from "./spec.ts";
import { decodeVerdict } from "./data.ts";
import { text } from "./text.ts";
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

/** Each table's numbers back to names, built once (nameOf walks the table per call). */
const reverse = new WeakMap<object, Map<number, string>>();

function regNames<T extends Readonly<Record<string, number>>>(
  table: T,
  v: number,
  what: string,
): keyof T & string {
  let names = reverse.get(table);
  if (!names) {
    names = new Map();
    // the first name of each number, as nameOf reads it
    for (const [k, n] of Object.entries(table)) if (!names.has(n)) names.set(n, k);
    reverse.set(table, names);
  }
  const name = names.get(v);
  if (name === undefined) return `${what}-${v}` as keyof T & string;
  return name as keyof T & string;
}

/**
 * An expression's data attributes by type, each read only when asked for
 * (a rule's listing reads a few of each expression's attributes, and most
 * are numbers: decoding each as a string and a nest as well cost more
 * than the rest of the listing). Offsets into the message's bytes: no
 * view per attribute.
 */
class ExprData {
  #b: Uint8Array = new Uint8Array(0);
  // offsets and lengths by attribute type (-1: absent); no expression has a type above 63
  readonly #at = new Int32Array(64);
  readonly #len = new Int32Array(64);

  /** Reads the attributes of `b[start, end)`, forgetting the last expression's. */
  load(b: Uint8Array, start: number, end: number): this {
    this.#b = b;
    this.#at.fill(-1);
    if (start >= end) return this;
    const data = DATA.reset(b, start, end);
    while (data.next()) {
      const t = data.type;
      if (t < 64) {
        this.#at[t] = data.offset;
        this.#len[t] = data.length;
      }
    }
    return this;
  }

  /** The value of a 1, 2 or 4-byte attribute (big-endian), if there is one. */
  value(t: number): number | undefined {
    const b = this.#b, o = this.#at[t];
    switch (o < 0 ? 0 : this.#len[t]) {
      case 4:
        return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
      case 1:
        return b[o];
      case 2:
        return (b[o] << 8) | b[o + 1];
    }
    return undefined;
  }

  has(t: number): boolean {
    return this.value(t) !== undefined;
  }

  /** The value of an 8-byte attribute (big-endian), if there is one. */
  big(t: number): bigint | undefined {
    const o = this.#at[t];
    if (o < 0 || this.#len[t] !== 8) return undefined;
    const b = this.#b;
    const hi = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    const lo = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A string attribute, up to its NUL. */
  string(t: number): string | undefined {
    const o = this.#at[t];
    return o < 0 ? undefined : text(this.#b, o, o + this.#len[t]);
  }

  nested(t: number): AttributeDecoder | undefined {
    const o = this.#at[t];
    return o < 0 ? undefined : new AttributeDecoder(this.#b, o, o + this.#len[t]);
  }

  /** The bytes of a data nest's value (cmp data, masks): a view of the message. */
  bytes(t: number): Uint8Array {
    const n = this.nested(t);
    return n ? dataOf(n) : new Uint8Array(0);
  }
}

/** The one ExprData every expression is read with: decodeExpr keeps nothing of it. */
const scratch = new ExprData();
/** The readers of an expression's attributes and of its data's. */
const EMPTY = new Uint8Array(0);
const [ELEM, DATA] = [new AttributeDecoder(EMPTY), new AttributeDecoder(EMPTY)];

/**
 * Decodes one `NFTA_LIST_ELEM`: the attributes nested in `b[start, end)`.
 * The expression's byte values (cmp data, masks) are views of `b`, which
 * the caller owns and does not change.
 *
 * @example
 * ```ts ignore
 * import { decodeExpr } from "./expr_decode.ts";
 * declare const elem: Uint8Array; // an NFTA_LIST_ELEM's value
 * console.log(decodeExpr(elem, 0, elem.length).type);
 * ```
 */
export function decodeExpr(b: Uint8Array, start: number, end: number): Expr {
  let name = "";
  let dataAt = 0, dataEnd = 0;
  const ad = ELEM.reset(b, start, end);
  while (ad.next()) {
    if (ad.type === A.expr.name) name = text(b, ad.offset, ad.offset + ad.length);
    else if (ad.type === A.expr.data) {
      dataAt = ad.offset;
      dataEnd = ad.offset + ad.length;
    }
  }
  const x = scratch.load(b, dataAt, dataEnd);
  switch (name) {
    case "payload": {
      const e: PayloadExpr = {
        type: "payload",
        base: regNames(PAYLOAD_BASE, x.value(A.payload.base) ?? 0, "base"),
        offset: x.value(A.payload.offset) ?? 0,
        len: x.value(A.payload.len) ?? 0,
      };
      if (x.has(A.payload.dreg)) e.dreg = x.value(A.payload.dreg);
      if (x.has(A.payload.sreg)) e.sreg = x.value(A.payload.sreg);
      if (x.has(A.payload["csum-type"])) e.csumType = x.value(A.payload["csum-type"]);
      if (x.has(A.payload["csum-offset"])) e.csumOffset = x.value(A.payload["csum-offset"]);
      if (x.has(A.payload["csum-flags"])) e.csumFlags = x.value(A.payload["csum-flags"]);
      return e;
    }
    case "meta": {
      const e: MetaExpr = {
        type: "meta",
        key: regNames(META_KEYS, x.value(A.meta.key) ?? 0, "key"),
      };
      if (x.has(A.meta.dreg)) e.dreg = x.value(A.meta.dreg);
      if (x.has(A.meta.sreg)) e.sreg = x.value(A.meta.sreg);
      return e;
    }
    case "cmp":
      return {
        type: "cmp",
        op: regNames(CMP_OPS, x.value(A.cmp.op) ?? 0, "op"),
        sreg: x.value(A.cmp.sreg) ?? 0,
        data: x.bytes(A.cmp.data),
      };
    case "bitwise":
      if ((x.value(A.bitwise.op) ?? 0) !== BITWISE_OPS["mask-xor"]) break;
      return {
        type: "bitwise",
        sreg: x.value(A.bitwise.sreg) ?? 0,
        dreg: x.value(A.bitwise.dreg) ?? 0,
        len: x.value(A.bitwise.len) ?? 0,
        mask: x.bytes(A.bitwise.mask),
        xor: x.bytes(A.bitwise.xor),
      };
    case "counter":
      return {
        type: "counter",
        bytes: x.big(A.counter.bytes) ?? 0n,
        packets: x.big(A.counter.packets) ?? 0n,
      };
    case "immediate": {
      const dreg = x.value(A.immediate.dreg) ?? 0;
      const d = x.nested(A.immediate.data);
      if (dreg === 0 && d) {
        while (d.next()) {
          if (d.type === A.data.verdict) return { type: "verdict", ...decodeVerdict(d.nested()) };
        }
        break;
      }
      return { type: "immediate", dreg, data: x.bytes(A.immediate.data) };
    }
    case "lookup": {
      const e: LookupExpr = {
        type: "lookup",
        set: x.string(A.lookup.set) ?? "",
        sreg: x.value(A.lookup.sreg) ?? 0,
      };
      if (x.has(A.lookup["set-id"])) e.setId = x.value(A.lookup["set-id"]);
      if (x.has(A.lookup.dreg)) e.dreg = x.value(A.lookup.dreg);
      if ((x.value(A.lookup.flags) ?? 0) & 1) e.invert = true;
      return e;
    }
    case "ct": {
      const e: CtExpr = { type: "ct", key: regNames(CT_KEYS, x.value(A.ct.key) ?? 0, "key") };
      if (x.has(A.ct.dreg)) e.dreg = x.value(A.ct.dreg);
      if (x.has(A.ct.sreg)) e.sreg = x.value(A.ct.sreg);
      if (x.has(A.ct.direction)) {
        e.direction = regNames(CT_DIRECTION, x.value(A.ct.direction)!, "direction");
      }
      return e;
    }
    case "nat": {
      const fam = x.value(A.nat.family);
      const e: NatExpr = {
        type: "nat",
        nat: regNames(NAT_TYPES, x.value(A.nat.type) ?? 0, "type"),
        family: fam === NFPROTO.ipv6 ? "ipv6" : "ipv4",
      };
      if (x.has(A.nat["reg-addr-min"])) e.regAddrMin = x.value(A.nat["reg-addr-min"]);
      if (x.has(A.nat["reg-addr-max"])) e.regAddrMax = x.value(A.nat["reg-addr-max"]);
      if (x.has(A.nat["reg-proto-min"])) e.regProtoMin = x.value(A.nat["reg-proto-min"]);
      if (x.has(A.nat["reg-proto-max"])) e.regProtoMax = x.value(A.nat["reg-proto-max"]);
      if (x.value(A.nat.flags)) e.flags = flagNames(NAT_RANGE_FLAGS, x.value(A.nat.flags)!);
      return e;
    }
    case "masq":
    case "redir": {
      const t = name === "masq" ? A.masq : A.redir;
      const e: MasqExpr | RedirExpr = { type: name };
      if (x.value(t.flags)) e.flags = flagNames(NAT_RANGE_FLAGS, x.value(t.flags)!);
      if (x.has(t["reg-proto-min"])) e.regProtoMin = x.value(t["reg-proto-min"]);
      if (x.has(t["reg-proto-max"])) e.regProtoMax = x.value(t["reg-proto-max"]);
      return e;
    }
    case "reject":
      return {
        type: "reject",
        kind: regNames(REJECT_TYPES, x.value(A.reject.type) ?? 0, "type"),
        code: x.value(A.reject["icmp-code"]) ?? 0,
      };
    case "limit": {
      const e: LimitExpr = {
        type: "limit",
        rate: Number(x.big(A.limit.rate) ?? 0n),
        unit: Number(x.big(A.limit.unit) ?? 0n),
        burst: x.value(A.limit.burst) ?? 0,
        per: regNames(LIMIT_TYPES, x.value(A.limit.type) ?? 0, "type"),
      };
      if ((x.value(A.limit.flags) ?? 0) & LIMIT_FLAGS.inv) e.invert = true;
      return e;
    }
    case "log": {
      const e: LogExpr = { type: "log" };
      if (x.string(A.log.prefix) !== undefined) e.prefix = x.string(A.log.prefix);
      if (x.has(A.log.group)) e.group = x.value(A.log.group);
      if (x.has(A.log.snaplen)) e.snaplen = x.value(A.log.snaplen);
      if (x.has(A.log.qthreshold)) e.qthreshold = x.value(A.log.qthreshold);
      if (x.has(A.log.level)) e.level = regNames(LOG_LEVEL, x.value(A.log.level)!, "level");
      if (x.has(A.log.flags)) e.flags = flagNames(LOG_FLAGS, x.value(A.log.flags)!);
      return e;
    }
  }
  return { type: "raw", name, data: b.slice(dataAt, dataEnd) };
}

/** A view, not a copy: decodeExpr's caller owns the bytes (one copy per rule, not per value). */
function dataOf(n: AttributeDecoder): Uint8Array {
  while (n.next()) if (n.type === A.data.value) return n.value();
  return new Uint8Array(0);
}
