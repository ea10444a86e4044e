/**
 * Rule expressions, typed, and their encoding (`NFTA_EXPR_*` nests) and
 * decoding. Registers are numbers: 1-4 the 16-byte `NFT_REG_1..4`, 8-23
 * the 4-byte `NFT_REG32_00..15`, 0 the verdict register. An expression
 * this module does not know is decoded as `{ type: "raw" }` and encodes
 * back as it came.
 *
 * @module
 */
import type { AttributeDecoder } from "../attribute.ts";
import type { MessageWriter } from "../writer.ts";
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
import { decodeVerdict, encodeVerdict } from "./data.ts";
import { NftInputError } from "./errors.ts";
import type { Verdict } from "./types.ts";

/** Where a payload expression reads: `network-header`, `transport-header`, ... */
export type PayloadBase = keyof typeof PAYLOAD_BASE;
/** A meta key: `iifname`, `l4-proto`, `mark`, ... */
export type MetaKey = keyof typeof META_KEYS;
/** A comparison: `eq`, `neq`, `lt`, `lte`, `gt`, `gte`. */
export type CmpOp = keyof typeof CMP_OPS;
/** A conntrack key: `state`, `status`, `mark`, ... */
export type CtKey = keyof typeof CT_KEYS;
/** A NAT range flag: `map-ips`, `proto-specified`, `persistent`, ... */
export type NatFlag = keyof typeof NAT_RANGE_FLAGS;
/** A log level. */
export type LogLevel = keyof typeof LOG_LEVEL;

/** Loads packet bytes into `dreg` (or, with `sreg`, writes them). */
export interface PayloadExpr {
  /** Discriminant. */
  type: "payload";
  /** Header it is relative to. */
  base: PayloadBase;
  /** Offset in bytes. */
  offset: number;
  /** Length in bytes. */
  len: number;
  /** Destination register of a load. */
  dreg?: number;
  /** Source register of a write (mangle). */
  sreg?: number;
  /** Checksum type a write fixes (`NFT_PAYLOAD_CSUM_*`). */
  csumType?: number;
  /** Offset of the checksum a write fixes. */
  csumOffset?: number;
  /** Checksum flags of a write. */
  csumFlags?: number;
}

/** Loads packet metadata into `dreg` (or sets it from `sreg`). */
export interface MetaExpr {
  /** Discriminant. */
  type: "meta";
  /** What to load. */
  key: MetaKey;
  /** Destination register. */
  dreg?: number;
  /** Source register (setting the key). */
  sreg?: number;
}

/** Compares a register with bytes; the rule stops when false. */
export interface CmpExpr {
  /** Discriminant. */
  type: "cmp";
  /** The comparison. */
  op: CmpOp;
  /** The register. */
  sreg: number;
  /** The bytes, as the register holds them (network order for packet fields). */
  data: Uint8Array;
}

/** `dreg = (sreg & mask) ^ xor`, over `len` bytes. */
export interface BitwiseExpr {
  /** Discriminant. */
  type: "bitwise";
  /** Source register. */
  sreg: number;
  /** Destination register. */
  dreg: number;
  /** Length in bytes. */
  len: number;
  /** The mask. */
  mask: Uint8Array;
  /** The xor. */
  xor: Uint8Array;
}

/** Counts packets and bytes. */
export interface CounterExpr {
  /** Discriminant. */
  type: "counter";
  /** Bytes counted (read; a start value when adding). */
  bytes?: bigint;
  /** Packets counted (read; a start value when adding). */
  packets?: bigint;
}

/** Loads bytes into a data register. */
export interface ImmediateExpr {
  /** Discriminant. */
  type: "immediate";
  /** Destination register (not 0: a verdict is a {@linkcode VerdictExpr}). */
  dreg: number;
  /** The bytes. */
  data: Uint8Array;
}

/** A verdict: `immediate` into the verdict register. */
export interface VerdictExpr extends Verdict {
  /** Discriminant. */
  type: "verdict";
}

/** Looks a register up in a set (or map, with `dreg`). */
export interface LookupExpr {
  /** Discriminant. */
  type: "lookup";
  /** The set's name. */
  set: string;
  /** The set's transaction id, for a set added in the same batch (set by the batch). */
  setId?: number;
  /** The register holding the key. */
  sreg: number;
  /** Where a map's value goes (0: a verdict map). */
  dreg?: number;
  /** Matches when the key is absent. */
  invert?: boolean;
}

/** Loads conntrack state into `dreg` (or sets it from `sreg`). */
export interface CtExpr {
  /** Discriminant. */
  type: "ct";
  /** What to load. */
  key: CtKey;
  /** Destination register. */
  dreg?: number;
  /** Source register (setting the key). */
  sreg?: number;
  /** The tuple's direction, for keys that have one (`src`, `dst`, ...). */
  direction?: keyof typeof CT_DIRECTION;
}

/** Source or destination NAT to the addresses and ports in registers. */
export interface NatExpr {
  /** Discriminant. */
  type: "nat";
  /** `snat` or `dnat`. */
  nat: keyof typeof NAT_TYPES;
  /** The address family of the registers: `ipv4` or `ipv6`. */
  family: "ipv4" | "ipv6";
  /** Register with the lowest address. */
  regAddrMin?: number;
  /** Register with the highest address. */
  regAddrMax?: number;
  /** Register with the lowest port. */
  regProtoMin?: number;
  /** Register with the highest port. */
  regProtoMax?: number;
  /** Range flags. */
  flags?: NatFlag[];
}

/** Source NAT to the outgoing interface's address. */
export interface MasqExpr {
  /** Discriminant. */
  type: "masq";
  /** Range flags (`persistent`, `proto-random`, ...). */
  flags?: NatFlag[];
  /** Register with the lowest port. */
  regProtoMin?: number;
  /** Register with the highest port. */
  regProtoMax?: number;
}

/** Destination NAT to the machine itself. */
export interface RedirExpr {
  /** Discriminant. */
  type: "redir";
  /** Register with the lowest port. */
  regProtoMin?: number;
  /** Register with the highest port. */
  regProtoMax?: number;
  /** Range flags. */
  flags?: NatFlag[];
}

/** Drops the packet and answers with an ICMP error or a TCP reset. */
export interface RejectExpr {
  /** Discriminant. */
  type: "reject";
  /** `icmp-unreach`, `tcp-rst` or `icmpx-unreach` (inet). */
  kind: keyof typeof REJECT_TYPES;
  /** The ICMP code (`REJECT_INET_CODE` for icmpx). */
  code?: number;
}

/** Matches while under a rate. */
export interface LimitExpr {
  /** Discriminant. */
  type: "limit";
  /** Packets (or bytes) per `unit`. */
  rate: number;
  /** The period, in seconds (1 second, 60 minute, ...). */
  unit: number;
  /** Burst allowed above the rate. */
  burst?: number;
  /** Counting packets (default) or bytes. */
  per?: keyof typeof LIMIT_TYPES;
  /** Matches when over the rate instead. */
  invert?: boolean;
}

/** Logs the packet. */
export interface LogExpr {
  /** Discriminant. */
  type: "log";
  /** Prefix of the line. */
  prefix?: string;
  /** NFLOG group (logging to userspace). */
  group?: number;
  /** Bytes copied to userspace (NFLOG). */
  snaplen?: number;
  /** Packets queued before sending (NFLOG). */
  qthreshold?: number;
  /** The syslog level. */
  level?: LogLevel;
  /** What to log beyond the headers. */
  flags?: (keyof typeof LOG_FLAGS)[];
}

/** An expression this module does not decode: its name and attributes, as they came. */
export interface RawExpr {
  /** Discriminant. */
  type: "raw";
  /** The kernel's expression name (`exthdr`, `dynset`, ...). */
  name: string;
  /** Its `NFTA_EXPR_DATA` attributes, as bytes. */
  data: Uint8Array;
}

/** Any expression. */
export type Expr =
  | PayloadExpr
  | MetaExpr
  | CmpExpr
  | BitwiseExpr
  | CounterExpr
  | ImmediateExpr
  | VerdictExpr
  | LookupExpr
  | CtExpr
  | NatExpr
  | MasqExpr
  | RedirExpr
  | RejectExpr
  | LimitExpr
  | LogExpr
  | RawExpr;

// ---- checks

function reg(path: string, v: unknown, allowVerdict = false): number {
  if (
    typeof v !== "number" || !Number.isInteger(v) ||
    !((v >= 1 && v <= 4) || (v >= 8 && v <= 23) || (allowVerdict && v === 0))
  ) {
    throw new NftInputError(path, `a register is 1-4 or 8-23, not ${show(v)}`);
  }
  return v;
}

function u32(path: string, v: unknown, max = 0xffffffff): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
    throw new NftInputError(path, `must be an integer 0-${max}, not ${show(v)}`);
  }
  return v;
}

function bytes(path: string, v: unknown, max = 64): Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new NftInputError(path, `must be a Uint8Array, not ${show(v)}`);
  }
  if (v.length === 0 || v.length > max) {
    throw new NftInputError(path, `must be 1-${max} bytes, not ${v.length}`);
  }
  return v;
}

/**
 * The value of `name` in `table`, or an NftInputError listing the names.
 *
 * @example
 * ```ts
 * import { pick } from "./expr.ts";
 * import { META_KEYS } from "./spec.ts";
 * pick("meta.key", META_KEYS, "mark"); // 3
 * ```
 */
export function pick<T extends Readonly<Record<string, number>>>(
  path: string,
  table: T,
  name: unknown,
): number {
  if (typeof name === "string" && Object.hasOwn(table, name)) return table[name];
  const names = Object.keys(table);
  throw new NftInputError(
    path,
    `unknown ${show(name)}; one of ${names.slice(0, 12).join(", ")}${
      names.length > 12 ? ", ..." : ""
    }`,
  );
}

/**
 * The bits of `names` in a flags `table`.
 *
 * @example
 * ```ts
 * import { bits } from "./expr.ts";
 * import { NAT_RANGE_FLAGS } from "./spec.ts";
 * bits("flags", NAT_RANGE_FLAGS, ["persistent"]); // 8
 * ```
 */
export function bits<T extends Readonly<Record<string, number>>>(
  path: string,
  table: T,
  names: unknown,
): number {
  if (names === undefined) return 0;
  if (!Array.isArray(names)) throw new NftInputError(path, `must be an array of flag names`);
  let v = 0;
  for (const [i, n] of names.entries()) v |= pick(`${path}[${i}]`, table, n);
  return v >>> 0;
}

/**
 * A short text for a value in an error message.
 *
 * @example
 * ```ts
 * import { show } from "./expr.ts";
 * show("x"); // '"x"'
 * ```
 */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || typeof v !== "object") return String(v);
  return Array.isArray(v) ? "an array" : "an object";
}

// ---- encoding

function dataNest(w: MessageWriter, type: number, value: Uint8Array): void {
  const n = w.nestStart(type);
  w.put(A.data.value, value);
  w.nestEnd(n);
}

/** The kernel's name of an expression. */
function kernelName(e: Expr): string {
  switch (e.type) {
    case "verdict":
      return "immediate";
    case "raw":
      return e.name;
    default:
      return e.type;
  }
}

/**
 * Appends one `NFTA_LIST_ELEM` expression to `w`. `path` names it in
 * errors (`rule 0 expr 2`).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { encodeExpr } from "./expr.ts";
 * encodeExpr(new MessageWriter().begin(0), { type: "counter" }, "expr 0");
 * ```
 */
export function encodeExpr(w: MessageWriter, e: Expr, path: string): void {
  if (e === null || typeof e !== "object" || typeof (e as { type?: unknown }).type !== "string") {
    throw new NftInputError(path, `an expression is an object with a type, not ${show(e)}`);
  }
  const p = `${path} (${e.type})`;
  const elem = w.nestStart(A.exprList.elem);
  if (e.type === "raw") {
    if (typeof e.name !== "string" || e.name === "") {
      throw new NftInputError(`${p}.name`, "must name the kernel's expression");
    }
    w.string(A.expr.name, e.name);
    w.put(A.expr.data | 0x8000, bytes(`${p}.data`, e.data, 0xfff0));
    w.nestEnd(elem);
    return;
  }
  w.string(A.expr.name, kernelName(e));
  const d = w.nestStart(A.expr.data);
  switch (e.type) {
    case "payload": {
      const base = pick(`${p}.base`, PAYLOAD_BASE, e.base);
      if (e.sreg !== undefined) w.u32be(A.payload.sreg, reg(`${p}.sreg`, e.sreg));
      else w.u32be(A.payload.dreg, reg(`${p}.dreg`, e.dreg));
      w.u32be(A.payload.base, base);
      w.u32be(A.payload.offset, u32(`${p}.offset`, e.offset, 0xffff));
      w.u32be(A.payload.len, u32(`${p}.len`, e.len, 64));
      if (e.csumType !== undefined) {
        w.u32be(A.payload["csum-type"], u32(`${p}.csumType`, e.csumType));
      }
      if (e.csumOffset !== undefined) {
        w.u32be(A.payload["csum-offset"], u32(`${p}.csumOffset`, e.csumOffset));
      }
      if (e.csumFlags !== undefined) {
        w.u32be(A.payload["csum-flags"], u32(`${p}.csumFlags`, e.csumFlags));
      }
      break;
    }
    case "meta": {
      const key = pick(`${p}.key`, META_KEYS, e.key);
      w.u32be(A.meta.key, key);
      if (e.sreg !== undefined) w.u32be(A.meta.sreg, reg(`${p}.sreg`, e.sreg));
      else w.u32be(A.meta.dreg, reg(`${p}.dreg`, e.dreg));
      break;
    }
    case "cmp":
      w.u32be(A.cmp.sreg, reg(`${p}.sreg`, e.sreg));
      w.u32be(A.cmp.op, pick(`${p}.op`, CMP_OPS, e.op));
      dataNest(w, A.cmp.data, bytes(`${p}.data`, e.data));
      break;
    case "bitwise": {
      const len = u32(`${p}.len`, e.len, 64);
      w.u32be(A.bitwise.sreg, reg(`${p}.sreg`, e.sreg));
      w.u32be(A.bitwise.dreg, reg(`${p}.dreg`, e.dreg));
      w.u32be(A.bitwise.len, len);
      for (const k of ["mask", "xor"] as const) {
        if (bytes(`${p}.${k}`, e[k]).length !== len) {
          throw new NftInputError(`${p}.${k}`, `must be len (${len}) bytes, not ${e[k].length}`);
        }
      }
      dataNest(w, A.bitwise.mask, e.mask);
      dataNest(w, A.bitwise.xor, e.xor);
      w.u32be(A.bitwise.op, BITWISE_OPS["mask-xor"]);
      break;
    }
    case "counter":
      if (e.bytes !== undefined) w.u64be(A.counter.bytes, big(`${p}.bytes`, e.bytes));
      if (e.packets !== undefined) w.u64be(A.counter.packets, big(`${p}.packets`, e.packets));
      break;
    case "immediate":
      w.u32be(A.immediate.dreg, reg(`${p}.dreg`, e.dreg));
      dataNest(w, A.immediate.data, bytes(`${p}.data`, e.data));
      break;
    case "verdict": {
      w.u32be(A.immediate.dreg, 0);
      const n = w.nestStart(A.immediate.data);
      encodeVerdict(w, e, p);
      w.nestEnd(n);
      break;
    }
    case "lookup":
      if (typeof e.set !== "string" || e.set === "") {
        throw new NftInputError(`${p}.set`, "must name a set");
      }
      w.string(A.lookup.set, e.set);
      if (e.setId !== undefined) w.u32be(A.lookup["set-id"], u32(`${p}.setId`, e.setId));
      w.u32be(A.lookup.sreg, reg(`${p}.sreg`, e.sreg));
      if (e.dreg !== undefined) w.u32be(A.lookup.dreg, reg(`${p}.dreg`, e.dreg, true));
      if (e.invert) w.u32be(A.lookup.flags, 1);
      break;
    case "ct":
      w.u32be(A.ct.key, pick(`${p}.key`, CT_KEYS, e.key));
      if (e.sreg !== undefined) w.u32be(A.ct.sreg, reg(`${p}.sreg`, e.sreg));
      else w.u32be(A.ct.dreg, reg(`${p}.dreg`, e.dreg));
      if (e.direction !== undefined) {
        w.u8(A.ct.direction, pick(`${p}.direction`, CT_DIRECTION, e.direction));
      }
      break;
    case "nat": {
      w.u32be(A.nat.type, pick(`${p}.nat`, NAT_TYPES, e.nat));
      if (e.family !== "ipv4" && e.family !== "ipv6") {
        throw new NftInputError(`${p}.family`, `must be "ipv4" or "ipv6", not ${show(e.family)}`);
      }
      w.u32be(A.nat.family, NFPROTO[e.family]);
      let flags = bits(`${p}.flags`, NAT_RANGE_FLAGS, e.flags);
      if (e.regAddrMin !== undefined) {
        w.u32be(A.nat["reg-addr-min"], reg(`${p}.regAddrMin`, e.regAddrMin));
        flags |= NAT_RANGE_FLAGS["map-ips"];
      }
      if (e.regAddrMax !== undefined) {
        w.u32be(A.nat["reg-addr-max"], reg(`${p}.regAddrMax`, e.regAddrMax));
      }
      if (e.regProtoMin !== undefined) {
        w.u32be(A.nat["reg-proto-min"], reg(`${p}.regProtoMin`, e.regProtoMin));
        flags |= NAT_RANGE_FLAGS["proto-specified"];
      }
      if (e.regProtoMax !== undefined) {
        w.u32be(A.nat["reg-proto-max"], reg(`${p}.regProtoMax`, e.regProtoMax));
      }
      if (flags) w.u32be(A.nat.flags, flags >>> 0);
      break;
    }
    case "masq":
    case "redir": {
      const t = e.type === "masq" ? A.masq : A.redir;
      const flags = bits(`${p}.flags`, NAT_RANGE_FLAGS, e.flags);
      if (flags) w.u32be(t.flags, flags);
      if (e.regProtoMin !== undefined) {
        w.u32be(t["reg-proto-min"], reg(`${p}.regProtoMin`, e.regProtoMin));
      }
      if (e.regProtoMax !== undefined) {
        w.u32be(t["reg-proto-max"], reg(`${p}.regProtoMax`, e.regProtoMax));
      }
      break;
    }
    case "reject":
      w.u32be(A.reject.type, pick(`${p}.kind`, REJECT_TYPES, e.kind));
      w.u8(A.reject["icmp-code"], u32(`${p}.code`, e.code ?? 0, 255));
      break;
    case "limit": {
      const rate = u32(`${p}.rate`, e.rate, Number.MAX_SAFE_INTEGER);
      const unit = u32(`${p}.unit`, e.unit, Number.MAX_SAFE_INTEGER);
      if (rate === 0 || unit === 0) throw new NftInputError(p, "rate and unit must be above 0");
      w.u64be(A.limit.rate, BigInt(rate));
      w.u64be(A.limit.unit, BigInt(unit));
      w.u32be(A.limit.burst, u32(`${p}.burst`, e.burst ?? 0));
      w.u32be(A.limit.type, e.per === undefined ? 0 : pick(`${p}.per`, LIMIT_TYPES, e.per));
      if (e.invert) w.u32be(A.limit.flags, LIMIT_FLAGS.inv);
      break;
    }
    case "log":
      if (e.prefix !== undefined) {
        if (typeof e.prefix !== "string" || e.prefix.length > 127) {
          throw new NftInputError(`${p}.prefix`, "must be a string of at most 127 characters");
        }
        w.string(A.log.prefix, e.prefix);
      }
      if (e.group !== undefined) w.u16be(A.log.group, u32(`${p}.group`, e.group, 0xffff));
      if (e.snaplen !== undefined) w.u32be(A.log.snaplen, u32(`${p}.snaplen`, e.snaplen));
      if (e.qthreshold !== undefined) {
        w.u16be(A.log.qthreshold, u32(`${p}.qthreshold`, e.qthreshold, 0xffff));
      }
      if (e.level !== undefined) w.u32be(A.log.level, pick(`${p}.level`, LOG_LEVEL, e.level));
      if (e.flags !== undefined) w.u32be(A.log.flags, bits(`${p}.flags`, LOG_FLAGS, e.flags));
      break;
    default:
      throw new NftInputError(
        `${path}.type`,
        `unknown expression ${
          show((e as { type: unknown }).type)
        }; one of payload, meta, cmp, bitwise, counter, immediate, verdict, lookup, ct, nat, masq, redir, reject, limit, log, raw`,
      );
  }
  w.nestEnd(d);
  w.nestEnd(elem);
}

function big(path: string, v: unknown): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "bigint" && v >= 0n && v < 1n << 64n) return v;
  throw new NftInputError(path, `must be a non-negative 64-bit integer, not ${show(v)}`);
}

// ---- decoding

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
 * import { decodeExpr } from "./expr.ts";
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
