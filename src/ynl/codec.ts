/**
 * Encodes and decodes messages of any YNL-described family, driven by the
 * generated tables in src/families/: fixed headers (structs), attribute
 * sets with nests, multi-attrs, indexed arrays, type-value nests,
 * sub-messages selected by a sibling (e.g. the link kind), byte order and
 * bitfields. Binary values decode as views of the message's bytes (no
 * copy); attributes the spec does not know are kept under `unknown`.
 *
 * @module
 */
import { AttributeDecoder } from "../attribute.ts";
import { ParseError } from "../errors.ts";
import type { MessageWriter } from "../writer.ts";
import {
  type AttrSetSpec,
  type AttrSpec,
  type FamilySpec,
  own,
  SCALAR_SIZES,
  type StructSpec,
  type SubMessageFormat,
} from "./schema.ts";

/** A decoded attribute set: keys as in the generated interfaces. */
export type Attrs = Record<string, unknown>;

interface SetIndex {
  byType: (AttrSpec | undefined)[];
  byKey: Map<string, AttrSpec>;
}

const indexes = new WeakMap<AttrSetSpec, SetIndex>();

function indexOf(set: AttrSetSpec): SetIndex {
  let ix = indexes.get(set);
  if (!ix) {
    ix = { byType: [], byKey: new Map() };
    for (const a of set.attrs) {
      ix.byType[a.type] = a;
      ix.byKey.set(a.key, a);
      ix.byKey.set(a.name, a);
    }
    indexes.set(set, ix);
  }
  return ix;
}

function setOf(f: FamilySpec, name: string | undefined): AttrSetSpec {
  const s = name === undefined ? undefined : own(f.sets, name);
  if (!s) throw new TypeError(`${f.name} has no attribute set ${name}`);
  return s;
}

function structOf(f: FamilySpec, name: string): StructSpec {
  const s = own(f.structs, name);
  if (!s) throw new TypeError(`${f.name} has no struct ${name}`);
  return s;
}

const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();

/**
 * Decodes a struct from `bytes[offset..]`. Members past the end of the
 * bytes (an older kernel's shorter struct) are left out.
 */
export function decodeStruct(
  f: FamilySpec,
  name: string,
  bytes: Uint8Array,
  offset: number = 0,
  length?: number,
): Attrs {
  length ??= bytes.length - offset;
  const s = structOf(f, name);
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const out: Attrs = {};
  let at = 0;
  for (const m of s.members) {
    const size = own(SCALAR_SIZES, m.kind) ?? m.len ?? 0;
    if (at + size > length) break;
    const le = !m.bigEndian;
    switch (m.kind) {
      case "u8":
        out[m.key] = v.getUint8(at);
        break;
      case "s8":
        out[m.key] = v.getInt8(at);
        break;
      case "u16":
        out[m.key] = v.getUint16(at, le);
        break;
      case "s16":
        out[m.key] = v.getInt16(at, le);
        break;
      case "u32":
        out[m.key] = v.getUint32(at, le);
        break;
      case "s32":
        out[m.key] = v.getInt32(at, le);
        break;
      case "u64":
        out[m.key] = v.getBigUint64(at, le);
        break;
      case "s64":
        out[m.key] = v.getBigInt64(at, le);
        break;
      case "string": {
        const b = bytes.subarray(offset + at, offset + at + size);
        const nul = b.indexOf(0);
        out[m.key] = utf8.decode(nul < 0 ? b : b.subarray(0, nul));
        break;
      }
      case "binary":
        out[m.key] = bytes.subarray(offset + at, offset + at + size);
        break;
    }
    at += size;
  }
  return out;
}

/** Appends a struct (its full size, zeros where `value` says nothing). */
export function encodeStruct(
  f: FamilySpec,
  name: string,
  w: MessageWriter,
  value: Attrs = {},
): void {
  const at = w.fixed(structOf(f, name).size);
  writeStruct(f, name, w.buffer, at, value);
}

/** A struct's bytes (its full size, zeros where `value` says nothing). */
export function structBytes(f: FamilySpec, name: string, value: Attrs = {}): Uint8Array {
  const b = new Uint8Array(structOf(f, name).size);
  writeStruct(f, name, b, 0, value);
  return b;
}

function writeStruct(f: FamilySpec, name: string, b: Uint8Array, base: number, value: Attrs) {
  const s = structOf(f, name);
  const v = new DataView(b.buffer, b.byteOffset);
  let at = base;
  for (const m of s.members) {
    const size = own(SCALAR_SIZES, m.kind) ?? m.len ?? 0;
    const x = value[m.key] ?? value[m.name];
    const le = !m.bigEndian;
    if (x !== undefined) {
      switch (m.kind) {
        case "u8":
        case "s8":
          v.setUint8(at, Number(x) & 0xff);
          break;
        case "u16":
        case "s16":
          v.setUint16(at, Number(x) & 0xffff, le);
          break;
        case "u32":
        case "s32":
          v.setUint32(at, Number(x) >>> 0, le);
          break;
        case "u64":
        case "s64":
          v.setBigUint64(at, BigInt.asUintN(64, BigInt(x as bigint)), le);
          break;
        case "string":
          b.set(utf8enc.encode(String(x)).subarray(0, size - 1), at);
          break;
        case "binary":
          b.set((x as Uint8Array).subarray(0, size), at);
          break;
      }
    }
    at += size;
  }
}

function scalar(ad: AttributeDecoder, kind: string, be: boolean): unknown {
  switch (kind) {
    case "u8":
      return ad.u8();
    case "u16":
      return be ? ad.u16be() : ad.u16();
    case "u32":
      return be ? ad.u32be() : ad.u32();
    case "u64":
      return be ? ad.u64be() : ad.u64();
    case "s8":
      return ad.s8();
    case "s16":
      return ad.s16();
    case "s32":
      return ad.s32();
    case "s64":
      return ad.s64();
    case "uint":
      return ad.uint();
    case "sint": {
      switch (ad.length) {
        case 1:
          return ad.s8();
        case 2:
          return ad.s16();
        case 4:
          return ad.s32();
        case 8:
          return Number(ad.s64());
      }
      throw new ParseError(`attribute ${ad.type} is ${ad.length} bytes, not a sint`, ad.offset);
    }
    case "flag":
      return true;
    case "string":
      return ad.string();
    default:
      return ad.value();
  }
}

function decodeValue(f: FamilySpec, a: AttrSpec, ad: AttributeDecoder, parent: Attrs): unknown {
  switch (a.kind) {
    case "nest":
      return decodeAttrs(f, a.set, ad.nested());
    case "binary":
      if (a.struct && own(f.structs, a.struct)) {
        return decodeStruct(f, a.struct, ad.value());
      }
      return ad.value();
    case "indexed-array": {
      const items: unknown[] = [];
      const inner = ad.nested();
      while (inner.next()) {
        if (a.subType === "nest") items.push(decodeAttrs(f, a.set, inner.nested()));
        else if (a.subType === "binary" && a.struct) {
          items.push(decodeStruct(f, a.struct, inner.value()));
        } else items.push(scalar(inner, a.subType ?? "binary", !!a.bigEndian));
      }
      return items;
    }
    case "nest-type-value":
      return typeValue(f, a, ad.nested(), a.levels ?? 1);
    case "sub-message":
      return subMessage(f, a, ad, parent);
    case "bitfield32": {
      const v = ad.value();
      if (v.length !== 8) throw new ParseError(`bitfield32 of ${v.length} bytes`, ad.offset);
      const dv = new DataView(v.buffer, v.byteOffset, 8);
      return { value: dv.getUint32(0, true), selector: dv.getUint32(4, true) };
    }
    default:
      return scalar(ad, a.kind, !!a.bigEndian);
  }
}

function typeValue(f: FamilySpec, a: AttrSpec, ad: AttributeDecoder, levels: number): unknown {
  const out: Record<number, unknown> = {};
  while (ad.next()) {
    out[ad.type] = levels > 1
      ? typeValue(f, a, ad.nested(), levels - 1)
      : decodeAttrs(f, a.set, ad.nested());
  }
  return out;
}

/** The format a sub-message's selector (a sibling's value, e.g. the link kind) picks. */
function formatOf(f: FamilySpec, a: AttrSpec, parent: Attrs): SubMessageFormat | undefined {
  const table = a.subMessage ? own(f.subMessages, a.subMessage) : undefined;
  const sel = a.selector ? parent[selectorKey(a.selector)] ?? parent[a.selector] : undefined;
  return table && sel !== undefined ? own(table, String(sel)) : undefined;
}

function subMessage(f: FamilySpec, a: AttrSpec, ad: AttributeDecoder, parent: Attrs): unknown {
  const format = formatOf(f, a, parent);
  if (!format) return ad.value(); // a kind the spec does not describe: raw bytes
  const v = ad.value();
  let at = 0;
  let out: Attrs = {};
  if (format.fixedHeader) {
    const s = structOf(f, format.fixedHeader);
    out = decodeStruct(f, format.fixedHeader, v, 0, Math.min(s.size, v.length));
    at = (s.size + 3) & ~3;
  }
  if (format.set) {
    Object.assign(out, decodeAttrs(f, format.set, new AttributeDecoder(v, Math.min(at, v.length))));
  }
  return out;
}

function selectorKey(name: string): string {
  return name.replace(/[-_ ]+([a-z0-9])/gi, (_, ch: string) => ch.toUpperCase());
}

/**
 * Decodes every attribute the decoder holds into an object keyed as the
 * generated interface of `set` says. Unknown attributes are kept (as views)
 * under `unknown`, by type number.
 */
export function decodeAttrs(f: FamilySpec, set: string | undefined, ad: AttributeDecoder): Attrs {
  const ix = indexOf(setOf(f, set));
  const out: Attrs = {};
  while (ad.next()) {
    const a = ix.byType[ad.type];
    if (!a || a.kind === "pad") {
      if (!a) {
        const unknown = (out.unknown ??= {}) as Record<number, Uint8Array[]>;
        (unknown[ad.type] ??= []).push(ad.value());
      }
      continue;
    }
    const value = decodeValue(f, a, ad, out);
    if (a.multi) ((out[a.key] ??= []) as unknown[]).push(value);
    else out[a.key] = value;
  }
  return out;
}

function encodeScalar(w: MessageWriter, type: number, kind: string, be: boolean, x: unknown) {
  switch (kind) {
    case "u8":
    case "s8":
      return w.u8(type, Number(x) & 0xff);
    case "u16":
    case "s16":
      return be ? w.u16be(type, Number(x)) : w.u16(type, Number(x) & 0xffff);
    case "u32":
    case "s32":
      return be ? w.u32be(type, Number(x) >>> 0) : w.u32(type, Number(x) >>> 0);
    case "u64":
    case "s64":
      return be
        ? w.u64be(type, BigInt.asUintN(64, BigInt(x as bigint)))
        : w.u64(type, BigInt.asUintN(64, BigInt(x as bigint)));
    case "uint":
    case "sint": {
      const n = typeof x === "bigint" ? x : BigInt(Number(x));
      if (kind === "uint" && n <= 0xffffffffn && n >= 0n) return w.u32(type, Number(n));
      if (kind === "sint" && n >= -0x80000000n && n <= 0x7fffffffn) return w.s32(type, Number(n));
      return w.u64(type, BigInt.asUintN(64, n));
    }
    case "flag":
      return x ? w.flag(type) : w;
    case "string":
      return w.string(type, String(x));
    default:
      if (!(x instanceof Uint8Array)) {
        throw new TypeError(`attribute ${type} takes bytes (Uint8Array), got ${typeof x}`);
      }
      return w.put(type, x);
  }
}

function encodeValue(f: FamilySpec, a: AttrSpec, w: MessageWriter, x: unknown, parent: Attrs) {
  switch (a.kind) {
    case "nest": {
      const t = w.nestStart(a.type);
      encodeAttrs(f, a.set, w, x as Attrs);
      w.nestEnd(t);
      return;
    }
    case "binary":
      if (a.struct && own(f.structs, a.struct) && !(x instanceof Uint8Array)) {
        w.put(a.type, structBytes(f, a.struct, x as Attrs));
        return;
      }
      encodeScalar(w, a.type, "binary", false, x);
      return;
    case "indexed-array": {
      const t = w.nestStart(a.type);
      (x as unknown[]).forEach((item, i) => {
        if (a.subType === "nest") {
          const n = w.nestStart(i + 1);
          encodeAttrs(f, a.set, w, item as Attrs);
          w.nestEnd(n);
        } else encodeScalar(w, i + 1, a.subType ?? "binary", !!a.bigEndian, item);
      });
      w.nestEnd(t);
      return;
    }
    case "sub-message": {
      const format = formatOf(f, a, parent);
      if (!format) {
        encodeScalar(w, a.type, "binary", false, x);
        return;
      }
      const t = w.nestStart(a.type);
      if (format.fixedHeader) encodeStruct(f, format.fixedHeader, w, x as Attrs);
      if (format.set) encodeAttrs(f, format.set, w, x as Attrs);
      w.nestEnd(t);
      return;
    }
    case "bitfield32": {
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      const bf = x as { value: number; selector: number };
      dv.setUint32(0, bf.value >>> 0, true);
      dv.setUint32(4, bf.selector >>> 0, true);
      w.put(a.type, b);
      return;
    }
    case "nest-type-value":
      throw new TypeError(`encoding ${a.name} (nest-type-value) is not supported`);
    default:
      encodeScalar(w, a.type, a.kind, !!a.bigEndian, x);
  }
}

/**
 * Appends the attributes of `value` (keys as in the generated interface,
 * or the spec's names) in the order the set defines. Unknown keys throw
 * `TypeError`: a typo must not be sent as silence.
 */
export function encodeAttrs(
  f: FamilySpec,
  set: string | undefined,
  w: MessageWriter,
  value: Attrs = {},
  skip?: ReadonlySet<string>,
): void {
  const ix = indexOf(setOf(f, set));
  for (const key of Object.keys(value)) {
    if (key === "unknown" || skip?.has(key)) continue;
    if (!ix.byKey.has(key)) throw new TypeError(`${set} has no attribute ${key}`);
  }
  const s = setOf(f, set);
  for (const a of s.attrs) {
    const x = value[a.key] ?? value[a.name];
    if (x === undefined || a.kind === "pad") continue;
    if (a.multi && Array.isArray(x) && a.kind !== "indexed-array") {
      for (const item of x) encodeValue(f, a, w, item, value);
    } else encodeValue(f, a, w, x, value);
  }
}
