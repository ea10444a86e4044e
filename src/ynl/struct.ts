/**
 * Fixed headers and binary structs of YNL-described families: decoding
 * them from a message's bytes, and encoding them with every field checked
 * (an unknown key is a TypeError, a value that does not fit a RangeError).
 *
 * @module
 */
import { hint } from "../suggest.ts";
import type { MessageWriter } from "../writer.ts";
import { type FamilySpec, type MemberSpec, own, SCALAR_SIZES, type StructSpec } from "./schema.ts";
import { big, bin, describe, isRecord, num, str } from "./values.ts";
import { fromNames } from "./names_in.ts";
import { decodersOf, helpers, setInterpreter } from "./compiled.ts";

/** A decoded attribute set or struct: keys as in the generated interfaces. */
export type Attrs = Record<string, unknown>;

export function structOf(f: FamilySpec, name: string): StructSpec {
  const s = own(f.structs, name);
  if (!s) throw new TypeError(`${f.name} has no struct ${name}`);
  return s;
}

const utf8enc = new TextEncoder();

/** A struct member laid out once: where it is, how big, how to read it. */
interface Field {
  key: string;
  kind: string;
  at: number;
  size: number;
  le: boolean;
  struct?: string;
}

const layouts = new WeakMap<StructSpec, Field[]>();

/** The members of `s` with their offsets, computed once per struct. */
function layoutOf(s: StructSpec): Field[] {
  let fields = layouts.get(s);
  if (!fields) {
    fields = [];
    let at = 0;
    for (const m of s.members) {
      const size = own(SCALAR_SIZES, m.kind) ?? m.len ?? 0;
      fields.push({ key: m.key, kind: m.kind, at, size, le: !m.bigEndian, struct: m.struct });
      at += size;
    }
    layouts.set(s, fields);
  }
  return fields;
}

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
  const compiled = decodersOf(f)?.structs;
  const decode = compiled && own(compiled, name);
  return decode ? decode(bytes, offset, length) : interpretStruct(f, name, bytes, offset, length);
}

/** {@linkcode decodeStruct} by the tables alone (what compiled decoders must match). */
export function interpretStruct(
  f: FamilySpec,
  name: string,
  bytes: Uint8Array,
  offset: number,
  length: number,
): Attrs {
  const fields = layoutOf(structOf(f, name));
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const out: Attrs = {};
  for (let i = 0; i < fields.length; i++) {
    const { key, kind, at, size, le, struct } = fields[i];
    if (at + size > length) break;
    switch (kind) {
      case "u8":
        out[key] = v.getUint8(at);
        break;
      case "s8":
        out[key] = v.getInt8(at);
        break;
      case "u16":
        out[key] = v.getUint16(at, le);
        break;
      case "s16":
        out[key] = v.getInt16(at, le);
        break;
      case "u32":
        out[key] = v.getUint32(at, le);
        break;
      case "s32":
        out[key] = v.getInt32(at, le);
        break;
      case "u64":
        out[key] = v.getBigUint64(at, le);
        break;
      case "s64":
        out[key] = v.getBigInt64(at, le);
        break;
      case "string":
        out[key] = helpers.string(bytes, offset + at, size);
        break;
      case "binary":
        // a struct in a struct decodes to an object of its fields, as ynl does
        out[key] = struct
          ? decodeStruct(f, struct, bytes, offset + at, size)
          : bytes.subarray(offset + at, offset + at + size);
        break;
    }
  }
  return out;
}

/**
 * Appends a struct (its full size, zeros where `value` says nothing). A key
 * that is not a member is a TypeError; a value that does not fit its member
 * a RangeError or TypeError.
 */
export function encodeStruct(
  f: FamilySpec,
  name: string,
  w: MessageWriter,
  value: Attrs = {},
): void {
  const s = structOf(f, name);
  checkStruct(f, s, value); // before the bytes are reserved: nothing is written on a mistake
  const at = w.fixed(s.size);
  writeStruct(f, name, w.buffer, at, value);
}

/** A struct's bytes (its full size, zeros where `value` says nothing). */
export function structBytes(f: FamilySpec, name: string, value: Attrs = {}): Uint8Array {
  const s = structOf(f, name);
  checkStruct(f, s, value);
  const b = new Uint8Array(s.size);
  writeStruct(f, name, b, 0, value);
  return b;
}

setInterpreter({ struct: interpretStruct });

const members = new WeakMap<StructSpec, Map<string, MemberSpec>>();

export function membersOf(s: StructSpec): Map<string, MemberSpec> {
  let m = members.get(s);
  if (!m) {
    m = new Map();
    for (const x of s.members) {
      if (x.kind === "pad") continue;
      m.set(x.key, x);
      m.set(x.name, x);
    }
    members.set(s, m);
  }
  return m;
}

/**
 * Every key of `value` names a member of `s` (a typo must not be sent as a
 * zero), in the structs it holds too.
 */
function checkStruct(f: FamilySpec, s: StructSpec, value: unknown): asserts value is Attrs {
  if (!isRecord(value)) {
    throw new TypeError(`struct ${s.name}: takes an object of its fields, got ${describe(value)}`);
  }
  const m = membersOf(s);
  for (const key of Object.keys(value)) {
    if (!m.has(key)) {
      const names = s.members.filter((x) => x.kind !== "pad").map((x) => x.key);
      throw new TypeError(`struct ${s.name} has no field ${key}${hint(key, names)}`);
    }
    const x = m.get(key)!;
    const v = value[key];
    if (x.struct && !(v instanceof Uint8Array) && v !== undefined) {
      checkStruct(f, structOf(f, x.struct), v);
    }
  }
}

function writeStruct(f: FamilySpec, name: string, b: Uint8Array, base: number, value: Attrs) {
  const s = structOf(f, name);
  const v = new DataView(b.buffer, b.byteOffset);
  let at = base;
  for (const m of s.members) {
    const size = own(SCALAR_SIZES, m.kind) ?? m.len ?? 0;
    const given = value[m.key] ?? value[m.name];
    const le = !m.bigEndian;
    if (given !== undefined && m.kind !== "pad") {
      const where = `${name}.${m.key}`;
      const x = fromNames(f, m, given, where);
      switch (m.kind) {
        case "u8":
        case "s8":
          v.setUint8(at, num(where, m.kind, x) & 0xff);
          break;
        case "u16":
        case "s16":
          v.setUint16(at, num(where, m.kind, x) & 0xffff, le);
          break;
        case "u32":
        case "s32":
          v.setUint32(at, num(where, m.kind, x) >>> 0, le);
          break;
        case "u64":
        case "s64":
          v.setBigUint64(at, big(where, m.kind, x), le);
          break;
        case "string": {
          const bytes = utf8enc.encode(str(where, x));
          if (bytes.length > size - 1) {
            throw new RangeError(`${where}: ${JSON.stringify(x)} is over ${size - 1} bytes`);
          }
          b.set(bytes, at);
          break;
        }
        case "binary": {
          if (m.struct && isRecord(x)) {
            writeStruct(f, m.struct, b, at, x);
            break;
          }
          const bytes = bin(where, x);
          if (bytes.length > size) {
            throw new RangeError(`${where}: ${bytes.length} bytes, at most ${size} fit`);
          }
          b.set(bytes, at);
          break;
        }
      }
    }
    at += size;
  }
}
