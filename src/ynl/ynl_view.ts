/**
 * A reply decoded exactly as the kernel's Python ynl library decodes it
 * (tools/net/ynl/pyynl/lib/ynl.py of Linux 7.2): keys are the spec's names,
 * the fixed header's members follow the attributes in the same object, an
 * enum is its name (`"Unknown(7)"` for a value the spec lacks), a flag set
 * a {@linkcode PySet} of names, a value with a `display-hint` its text,
 * other binaries bytes, an indexed array's entries `{index: attrs}`, a
 * nest-type-value the type-value names with the inner attributes, an
 * attribute the spec lacks `"UnknownAttr(N)"`. What `cli.py` prints; see
 * {@linkcode "./pyvalue.ts"} for the printing.
 *
 * The family client's decoded objects ({@linkcode "./family.ts"}) are a
 * different, typed shape with raw numbers; this view re-reads the bytes.
 *
 * @module
 */
import { AttributeDecoder } from "../attribute.ts";
import { formatAddress } from "../address.ts";
import type { AttrSpec, EnumSpec, FamilySpec, MemberSpec, OpSpec } from "./schema.ts";
import { own, SCALAR_SIZES } from "./schema.ts";
import { PySet } from "./pyvalue.ts";

/** The error ynl raises (a `YnlException`) where it cannot decode. */
export class YnlViewError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "YnlException";
  }
}

/** A decoded dict: string keys, or (indexed arrays) number keys. */
type Dict = Record<string, unknown>;

interface Scope {
  set: Readonly<Record<string, AttrSpec>> | undefined;
  values: Dict;
  outer?: Scope;
}

const byName = new WeakMap<object, Record<string, AttrSpec>>();
function namesOf(f: FamilySpec, set: string): Record<string, AttrSpec> | undefined {
  const s = own(f.sets, set);
  if (!s) return undefined;
  let m = byName.get(s);
  if (!m) {
    m = {};
    for (const a of s.attrs) m[a.name] = a;
    byName.set(s, m);
  }
  return m;
}

const SIZES = SCALAR_SIZES;

function readScalar(b: Uint8Array, at: number, kind: string, be: boolean): number | bigint {
  const size = SIZES[kind];
  if (size === undefined || at + size > b.length) {
    throw new YnlViewError(`unpack requires a buffer of ${size} bytes`);
  }
  const dv = new DataView(b.buffer, b.byteOffset + at, size);
  const le = !be;
  switch (kind) {
    case "u8":
      return dv.getUint8(0);
    case "s8":
      return dv.getInt8(0);
    case "u16":
      return dv.getUint16(0, le);
    case "s16":
      return dv.getInt16(0, le);
    case "u32":
      return dv.getUint32(0, le);
    case "s32":
      return dv.getInt32(0, le);
    case "u64":
      return dv.getBigUint64(0, le);
    default:
      return dv.getBigInt64(0, le);
  }
}

/** ynl's options: unknown values and attributes as `Unknown(..)` or an error. */
export interface YnlViewOptions {
  /** Decode what the spec lacks (cli.py's default with `--family`). Default true. */
  processUnknown?: boolean;
}

class View {
  constructor(readonly f: FamilySpec, readonly unknown: boolean) {}

  enumName(e: EnumSpec, raw: number): string {
    for (const [name, v] of Object.entries(e.entries)) {
      if ((e.type === "flags" ? Math.log2(v) : v) === raw) return name;
    }
    if (!this.unknown) throw new YnlViewError(`KeyError: ${raw}`);
    return `Unknown(${raw})`;
  }

  decodeEnum(raw: number | bigint, spec: { enum?: string; enumAsFlags?: boolean }): unknown {
    const e = spec.enum === undefined ? undefined : own(this.f.enums, spec.enum);
    if (!e) return raw;
    if (e.type === "flags" || spec.enumAsFlags) {
      const names: string[] = [];
      let r = BigInt(raw);
      for (let i = 0; r > 0n; i++, r >>= 1n) if (r & 1n) names.push(this.enumName(e, i));
      return new PySet([...new Set(names)]);
    }
    return this.enumName(e, Number(raw));
  }

  formatted(raw: unknown, hint: string): unknown {
    if (hint === "mac" && raw instanceof Uint8Array) {
      return [...raw].map((b) => b.toString(16).padStart(2, "0")).join(":");
    }
    if (hint === "hex") {
      if (typeof raw === "number" || typeof raw === "bigint") return `0x${raw.toString(16)}`;
      if (raw instanceof Uint8Array) {
        return [...raw].map((b) => b.toString(16).padStart(2, "0")).join(" ");
      }
    }
    if (hint === "ipv4" || hint === "ipv6" || hint === "ipv4-or-v6") {
      if (raw instanceof Uint8Array) {
        if (raw.length !== 4 && raw.length !== 16) {
          throw new YnlViewError(`${raw.length} bytes do not appear to be an IPv4 or IPv6 address`);
        }
        return formatAddress(raw);
      }
      const n = BigInt(raw as number);
      if (n <= 0xffffffffn) {
        const x = Number(n);
        return [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join(".");
      }
      const b = new Uint8Array(16);
      for (let i = 15, r = n; i >= 0; i--, r >>= 8n) b[i] = Number(r & 255n);
      return formatAddress(b);
    }
    if (hint === "uuid" && raw instanceof Uint8Array && raw.length === 16) {
      const h = [...raw].map((b) => b.toString(16).padStart(2, "0")).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${
        h.slice(20)
      }`;
    }
    return raw;
  }

  structSize(name: string | undefined): number {
    if (!name) return 0;
    const s = own(this.f.structs, name);
    if (!s) return 0;
    let size = 0;
    for (const m of s.members) size += SIZES[m.kind] ?? m.len ?? 0;
    return size;
  }

  struct(data: Uint8Array, name: string): Dict {
    const s = own(this.f.structs, name);
    if (!s) throw new YnlViewError(`KeyError: '${name}'`);
    const out: Dict = {};
    let at = 0;
    for (const m of s.members as readonly MemberSpec[]) {
      let value: unknown;
      if (m.kind === "pad") {
        at += m.len ?? 0;
        continue;
      } else if (m.kind === "binary" || m.kind === "string") {
        value = data.subarray(at, at + (m.len ?? 0));
        at += m.len ?? 0;
      } else {
        value = readScalar(data, at, m.kind, !!m.bigEndian);
        at += SIZES[m.kind];
      }
      if (m.enum) value = this.decodeEnum(value as number, m);
      else if (m.hint) value = this.formatted(value, m.hint);
      out[m.name] = value;
    }
    return out;
  }

  unknownAttr(ad: AttributeDecoder): unknown {
    if (ad.isNested) return this.attrs(ad.nested(), undefined);
    return ad.value().slice();
  }

  add(rsp: Dict, name: string, multi: boolean | undefined, decoded: unknown) {
    if (multi === undefined) {
      if (name in rsp && !Array.isArray(rsp[name])) {
        rsp[name] = [rsp[name]];
        multi = true;
      } else multi = false;
    }
    if (!multi) rsp[name] = decoded;
    else if (name in rsp) (rsp[name] as unknown[]).push(decoded);
    else rsp[name] = [decoded];
  }

  attrs(ad: AttributeDecoder, set: string | undefined, outer?: Scope): Dict {
    const rsp: Dict = {};
    const names = set === undefined ? undefined : namesOf(this.f, set);
    const s = set === undefined ? undefined : own(this.f.sets, set);
    if (set !== undefined && !s) throw new YnlViewError(`KeyError: '${set}'`);
    const scope: Scope = { set: names, values: rsp, outer };
    while (ad.next()) {
      const a = s?.attrs.find((x) => x.type === ad.type);
      if (!a) {
        if (!this.unknown) {
          throw new YnlViewError(`Space '${set}' has no attribute with value '${ad.type}'`);
        }
        this.add(rsp, `UnknownAttr(${ad.type})`, undefined, this.unknownAttr(ad));
        continue;
      }
      if (a.kind === "pad") continue;
      this.add(rsp, a.name, !!a.multi, this.value(a, ad, scope));
    }
    return rsp;
  }

  value(a: AttrSpec, ad: AttributeDecoder, scope: Scope): unknown {
    const raw = () => ad.value();
    switch (a.kind) {
      case "nest":
        return this.attrs(ad.nested(), a.set, scope);
      case "string": {
        const b = raw();
        return new TextDecoder().decode(b.subarray(0, Math.max(0, b.length - 1)));
      }
      case "binary":
        return this.binary(a, raw());
      case "flag":
        return true;
      case "uint":
      case "sint": {
        const b = raw();
        if (b.length !== 4 && b.length !== 8) {
          throw new YnlViewError(`Auto-scalar len payload be 4 or 8 bytes, got ${b.length}`);
        }
        const kind = `${a.kind[0]}${b.length * 8}`;
        const v = readScalar(b, 0, kind, !!a.bigEndian);
        return a.enum ? this.decodeEnum(v, a) : v;
      }
      case "u8":
      case "u16":
      case "u32":
      case "u64":
      case "s8":
      case "s16":
      case "s32":
      case "s64": {
        const b = raw();
        if (b.length !== SIZES[a.kind]) {
          throw new YnlViewError(`unpack requires a buffer of ${SIZES[a.kind]} bytes`);
        }
        const v = readScalar(b, 0, a.kind, !!a.bigEndian);
        if (a.enum) return this.decodeEnum(v, a);
        return a.hint ? this.formatted(v, a.hint) : v;
      }
      case "indexed-array":
        return this.array(a, ad.nested());
      case "bitfield32": {
        const b = raw();
        let value: unknown = readScalar(b, 0, "u32", false);
        let selector: unknown = readScalar(b, 4, "u32", false);
        if (a.enum) {
          value = this.decodeEnum(value as number, a);
          selector = this.decodeEnum(selector as number, a);
        }
        return { value, selector };
      }
      case "sub-message":
        return this.subMessage(a, raw(), scope);
      case "nest-type-value": {
        const out: Dict = {};
        let inner = ad;
        for (const name of a.typeValue ?? []) {
          const next = inner.nested();
          if (!next.next()) throw new YnlViewError("struct.error: unpack requires a buffer");
          out[name] = next.type;
          inner = next;
        }
        Object.assign(out, this.attrs(inner.nested(), a.set));
        return out;
      }
      default:
        if (!this.unknown) throw new YnlViewError(`Unknown ${a.kind} with name ${a.name}`);
        return this.unknownAttr(ad);
    }
  }

  binary(a: AttrSpec, b: Uint8Array): unknown {
    if (a.struct) return this.struct(b, a.struct);
    if (a.subType) {
      const size = SIZES[a.subType];
      const out: unknown[] = [];
      for (let at = 0; at + size <= b.length; at += size) {
        const x = readScalar(b, at, a.subType, false);
        out.push(a.enum ? this.decodeEnum(x, a) : a.hint ? this.formatted(x, a.hint) : x);
      }
      return out;
    }
    const v = b.slice();
    return a.hint ? this.formatted(v, a.hint) : v;
  }

  array(a: AttrSpec, ad: AttributeDecoder): unknown[] {
    const out: unknown[] = [];
    while (ad.next()) {
      if (a.subType === "nest") {
        out.push(new Map([[ad.type, this.attrs(ad.nested(), a.set)]]));
      } else if (a.subType === "binary") {
        const v = ad.value().slice();
        out.push(a.hint ? this.formatted(v, a.hint) : v);
      } else if (a.subType && a.subType in SIZES) {
        const b = ad.value();
        if (b.length !== SIZES[a.subType]) {
          throw new YnlViewError(`unpack requires a buffer of ${SIZES[a.subType]} bytes`);
        }
        const x = readScalar(b, 0, a.subType, !!a.bigEndian);
        out.push(a.enum ? this.decodeEnum(x, a) : a.hint ? this.formatted(x, a.hint) : x);
      } else throw new YnlViewError(`Unknown ${a.subType} with name ${a.name}`);
    }
    return out;
  }

  lookup(scope: Scope | undefined, name: string): unknown {
    for (let s = scope; s; s = s.outer) {
      if (s.set && name in s.set) {
        if (name in s.values) return s.values[name];
        throw new YnlViewError(`No value for '${name}' in attribute space`);
      }
    }
    throw new YnlViewError(`Attribute '${name}' not defined in any attribute-set`);
  }

  subMessage(a: AttrSpec, b: Uint8Array, scope: Scope): Dict {
    const table = a.subMessage ? own(this.f.subMessages, a.subMessage) : undefined;
    if (!table) {
      throw new YnlViewError(`No sub-message spec named ${a.subMessage} for ${a.name}`);
    }
    const value = this.lookup(scope, a.selector ?? "");
    const format = own(table, String(value));
    if (!format) {
      throw new YnlViewError(
        `No message format for '${value}' in sub-message spec '${a.subMessage}'`,
      );
    }
    const out: Dict = {};
    let at = 0;
    if (format.fixedHeader) {
      Object.assign(out, this.struct(b, format.fixedHeader));
      at = this.structSize(format.fixedHeader);
    }
    if (format.set) Object.assign(out, this.attrs(new AttributeDecoder(b, at), format.set));
    return out;
  }
}

/**
 * One reply of `op` (a netlink message's payload after the nlmsghdr, and
 * the genl header for generic families) as ynl returns it: the attributes,
 * then the fixed header's members.
 *
 * @example
 * ```ts
 * import { rtAddr } from "../families/rt_addr.ts";
 * import { ynlReply } from "./ynl_view.ts";
 * // ifaddrmsg: family 2, prefixlen 8, flags 0x80, scope 254 (host), index 1
 * const payload = new Uint8Array([2, 8, 0x80, 254, 1, 0, 0, 0]);
 * ynlReply(rtAddr, rtAddr.ops.getaddr, payload);
 * // { "ifa-family": 2, "ifa-prefixlen": 8, "ifa-flags": PySet ["permanent"], "ifa-scope": 254, "ifa-index": 1 }
 * ```
 */
export function ynlReply(
  f: FamilySpec,
  op: OpSpec,
  payload: Uint8Array,
  options: YnlViewOptions = {},
): Record<string, unknown> {
  const view = new View(f, options.processUnknown ?? true);
  const fixed = op.fixedHeader ?? f.fixedHeader;
  const size = view.structSize(fixed);
  const out = view.attrs(new AttributeDecoder(payload, Math.min(size, payload.length)), op.set);
  if (fixed) Object.assign(out, view.struct(payload, fixed));
  return out;
}
