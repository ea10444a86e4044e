/**
 * Encoding rule expressions (`NFTA_LIST_ELEM` nests) from their typed form
 * (src/nft/expr_types.ts). An expression of `type: "raw"` encodes back as
 * it was decoded.
 *
 * @module
 */
import type { MessageWriter } from "../writer.ts";
import {
  A,
  BITWISE_OPS,
  CMP_OPS,
  CT_DIRECTION,
  CT_KEYS,
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
import { encodeVerdict } from "./data.ts";
import { NftInputError } from "./errors.ts";
import { big, bits, bytes, pick, reg, show, u32 } from "./check.ts";
import type { Expr } from "./expr_types.ts";

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
