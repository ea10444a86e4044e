/**
 * The rule expressions, typed: one interface per expression, `Expr` the
 * union. Registers are numbers: 1-4 the 16-byte `NFT_REG_1..4`, 8-23 the
 * 4-byte `NFT_REG32_00..15`, 0 the verdict register. src/nft/expr.ts
 * encodes them, src/nft/expr_decode.ts decodes them.
 *
 * @module
 */
import type {
  CMP_OPS,
  CT_DIRECTION,
  CT_KEYS,
  LIMIT_TYPES,
  LOG_FLAGS,
  LOG_LEVEL,
  META_KEYS,
  NAT_RANGE_FLAGS,
  NAT_TYPES,
  PAYLOAD_BASE,
  REJECT_TYPES,
} from "./spec.ts";
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
