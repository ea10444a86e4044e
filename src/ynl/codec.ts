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
import { hint } from "../suggest.ts";
import type { MessageWriter } from "../writer.ts";
import {
  type AttrSetSpec,
  type AttrSpec,
  type FamilySpec,
  own,
  type SubMessageFormat,
} from "./schema.ts";
import {
  type Attrs,
  decodeStruct,
  encodeStruct,
  membersOf,
  structBytes,
  structOf,
} from "./struct.ts";
import { big, bin, describe, isRecord, num, str } from "./values.ts";
import { fromNames } from "./names_in.ts";
import { decodersOf, helpers, setInterpreter } from "./compiled.ts";

export { type Attrs, decodeStruct, encodeStruct, structBytes };

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
  const compiled = set === undefined ? undefined : decodersOf(f)?.sets;
  const decode = compiled && own(compiled, set!);
  return decode ? decode(ad) : interpretAttrs(f, set, ad);
}

/** {@linkcode decodeAttrs} by the tables alone (what compiled decoders must match). */
export function interpretAttrs(
  f: FamilySpec,
  set: string | undefined,
  ad: AttributeDecoder,
): Attrs {
  const ix = indexOf(setOf(f, set));
  const out: Attrs = {};
  while (ad.next()) {
    const a = ix.byType[ad.type];
    if (!a || a.kind === "pad") {
      if (!a) helpers.unknown(ad, out);
      continue;
    }
    const value = decodeValue(f, a, ad, out);
    if (a.multi) ((out[a.key] ??= []) as unknown[]).push(value);
    else out[a.key] = value;
  }
  return out;
}

setInterpreter({
  value: (f, ad, parent, set, index) => decodeValue(f, setOf(f, set).attrs[index], ad, parent),
});

function encodeScalar(
  w: MessageWriter,
  type: number,
  kind: string,
  be: boolean,
  x: unknown,
  where: string,
) {
  switch (kind) {
    case "u8":
    case "s8":
      return w.u8(type, num(where, kind, x) & 0xff);
    case "u16":
    case "s16": {
      const n = num(where, kind, x) & 0xffff;
      return be ? w.u16be(type, n) : w.u16(type, n);
    }
    case "u32":
    case "s32": {
      const n = num(where, kind, x) >>> 0;
      return be ? w.u32be(type, n) : w.u32(type, n);
    }
    case "u64":
    case "s64": {
      const n = big(where, kind, x);
      return be ? w.u64be(type, n) : w.u64(type, n);
    }
    case "uint":
    case "sint": {
      const n = big(where, kind, x); // the 64-bit pattern
      if (kind === "uint" && n <= 0xffffffffn) return w.u32(type, Number(n));
      const s = BigInt.asIntN(64, n);
      if (kind === "sint" && s >= -0x80000000n && s <= 0x7fffffffn) return w.s32(type, Number(s));
      return w.u64(type, n);
    }
    case "flag":
      if (typeof x !== "boolean") {
        throw new TypeError(`${where}: a flag takes true or false, got ${describe(x)}`);
      }
      return x ? w.flag(type) : w;
    case "string":
      return w.string(type, str(where, x));
    default:
      return w.put(type, bin(where, x));
  }
}

function encodeValue(
  f: FamilySpec,
  set: string,
  a: AttrSpec,
  w: MessageWriter,
  x: unknown,
  parent: Attrs,
) {
  const where = `${set}.${a.key}`;
  if (a.enum !== undefined || a.hint !== undefined) x = fromNames(f, a, x, where);
  switch (a.kind) {
    case "nest": {
      if (!isRecord(x)) {
        throw new TypeError(`${where}: takes an object of ${a.set} attributes, got ${describe(x)}`);
      }
      const t = w.nestStart(a.type);
      encodeAttrs(f, a.set, w, x);
      w.nestEnd(t);
      return;
    }
    case "binary":
      if (a.struct && own(f.structs, a.struct) && !(x instanceof Uint8Array)) {
        w.put(a.type, structBytes(f, a.struct, x as Attrs));
        return;
      }
      encodeScalar(w, a.type, "binary", false, x, where);
      return;
    case "indexed-array": {
      if (!Array.isArray(x)) throw new TypeError(`${where}: takes an array, got ${describe(x)}`);
      const t = w.nestStart(a.type);
      x.forEach((item, i) => {
        if (a.subType === "nest") {
          if (!isRecord(item)) {
            throw new TypeError(`${where}[${i}]: takes an object, got ${describe(item)}`);
          }
          const n = w.nestStart(i + 1);
          encodeAttrs(f, a.set, w, item);
          w.nestEnd(n);
        } else {
          encodeScalar(w, i + 1, a.subType ?? "binary", !!a.bigEndian, item, `${where}[${i}]`);
        }
      });
      w.nestEnd(t);
      return;
    }
    case "sub-message": {
      const format = formatOf(f, a, parent);
      if (!format) {
        encodeScalar(w, a.type, "binary", false, x, where);
        return;
      }
      if (!isRecord(x)) throw new TypeError(`${where}: takes an object, got ${describe(x)}`);
      let rest = x;
      const t = w.nestStart(a.type);
      if (format.fixedHeader) {
        // one object holds both: the header's fields, then the attributes
        const m = membersOf(structOf(f, format.fixedHeader));
        const header: Attrs = {};
        if (format.set) {
          rest = {};
          for (const [k, v] of Object.entries(x)) (m.has(k) ? header : rest)[k] = v;
        }
        encodeStruct(f, format.fixedHeader, w, format.set ? header : x);
      }
      if (format.set) encodeAttrs(f, format.set, w, rest);
      w.nestEnd(t);
      return;
    }
    case "bitfield32": {
      if (!isRecord(x)) {
        throw new TypeError(`${where}: takes { value, selector }, got ${describe(x)}`);
      }
      for (const k of Object.keys(x)) {
        if (k !== "value" && k !== "selector") {
          throw new TypeError(`${where}: a bitfield32 has value and selector, not ${k}`);
        }
      }
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, num(`${where}.value`, "u32", x.value ?? 0), true);
      dv.setUint32(4, num(`${where}.selector`, "u32", x.selector ?? 0), true);
      w.put(a.type, b);
      return;
    }
    case "nest-type-value":
      throw new TypeError(`encoding ${a.name} (nest-type-value) is not supported`);
    default:
      encodeScalar(w, a.type, a.kind, !!a.bigEndian, x, where);
  }
}

/**
 * Appends the attributes of `value` (keys as in the generated interface,
 * or the spec's names) in the order the set defines. Unknown keys throw
 * `TypeError` (naming the nearest valid key): a typo must not be sent as
 * silence. A value out of its attribute's range, fractional or of the wrong
 * type is a RangeError or TypeError naming the attribute and the range.
 */
export function encodeAttrs(
  f: FamilySpec,
  set: string | undefined,
  w: MessageWriter,
  value: Attrs = {},
  skip?: ReadonlySet<string>,
): void {
  const s = setOf(f, set);
  if (!isRecord(value)) {
    throw new TypeError(`${s.name}: takes an object of attributes, got ${describe(value)}`);
  }
  const ix = indexOf(s);
  for (const key of Object.keys(value)) {
    if (key === "unknown" || skip?.has(key)) continue;
    if (!ix.byKey.has(key)) {
      throw new TypeError(
        `${s.name} has no attribute ${key}${hint(key, s.attrs.map((a) => a.key))}`,
      );
    }
  }
  for (const a of s.attrs) {
    const x = value[a.key] ?? value[a.name];
    if (x === undefined || a.kind === "pad") continue;
    if (a.multi && Array.isArray(x) && a.kind !== "indexed-array") {
      for (const item of x) encodeValue(f, s.name, a, w, item, value);
    } else encodeValue(f, s.name, a, w, x, value);
  }
}
