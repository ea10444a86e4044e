/**
 * A request given as ynl's `--json` (the spec's names, the fixed header's
 * members beside the attributes, enums by name or number, flag sets as
 * arrays of names, addresses and MACs as text where the spec hints them,
 * other binaries as hex) to what the family client encodes, with the
 * conversions the kernel's ynl library makes (`int()` of a numeric string,
 * say).
 *
 * @example
 * ```ts
 * import { rtLink } from "../families/rt_link.ts";
 * import { ynlRequest } from "./ynl_input.ts";
 * ynlRequest(rtLink, rtLink.ops.getlink, { ifname: "lo", "ifi-index": 1 });
 * // { header: { "ifi-index": 1 }, attrs: { ifname: "lo" } }
 * ```
 *
 * @module
 */
import { parseAddress } from "../address.ts";
import type { Attrs } from "../ynl/codec.ts";
import type { AttrSpec, FamilySpec, OpSpec } from "../ynl/schema.ts";
import { own, SCALAR_SIZES } from "../ynl/schema.ts";
import { YnlViewError } from "../ynl/ynl_view.ts";
import { hint } from "../suggest.ts";

const SIZES = SCALAR_SIZES;
const WIDE = new Set(["u64", "s64", "uint", "sint"]);

function hexBytes(s: string): Uint8Array {
  const t = s.replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(t)) {
    throw new YnlViewError(`non-hexadecimal number found in fromhex() arg: ${JSON.stringify(s)}`);
  }
  return new Uint8Array(t.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
}

/** Python's `int(value)` for what JSON gives, or undefined where it raises. */
function pyInt(v: unknown): number | bigint | undefined {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v)) {
    const n = BigInt(v.trim());
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(n)
      : n;
  }
  return undefined;
}

function fromString(a: { hint?: string; kind: string; name: string }, s: string): unknown {
  switch (a.hint) {
    case "ipv4":
    case "ipv6":
    case "ipv4-or-v6": {
      const b = parseAddress(s);
      if (a.kind === "binary") return b;
      let n = 0n;
      for (const x of b) n = (n << 8n) | BigInt(x);
      return n <= 0xffffffffn ? Number(n) : n;
    }
    case "hex":
      return a.kind === "binary" ? hexBytes(s) : parseInt(s, 16);
    case "mac":
      return s.includes(":")
        ? new Uint8Array(s.split(":").map((x) => parseInt(x, 16)))
        : hexBytes(s);
  }
  throw new YnlViewError(`Display hint '${a.hint}' not implemented when parsing '${a.name}'`);
}

class Input {
  constructor(readonly f: FamilySpec) {}

  enumValue(a: AttrSpec, v: unknown): number {
    const e = own(this.f.enums, a.enum!);
    if (!e) throw new YnlViewError(`KeyError: '${a.enum}'`);
    const entry = (name: unknown) => {
      const n = typeof name === "string" ? own(e.entries, name) : undefined;
      if (n === undefined) throw new YnlViewError(`KeyError: ${JSON.stringify(name)}`);
      return n;
    };
    if (e.type === "flags" || a.enumAsFlags) {
      let mask = 0;
      for (const x of Array.isArray(v) ? v : [v]) {
        mask += e.type === "flags" ? entry(x) : 2 ** entry(x);
      }
      return mask;
    }
    return entry(v);
  }

  scalar(a: AttrSpec, v: unknown): unknown {
    const n = pyInt(v);
    let out: unknown = n;
    if (n === undefined) {
      if (a.enum) out = this.enumValue(a, v);
      else if (a.hint && typeof v === "string") out = fromString(a, v);
      else throw new YnlViewError(`invalid literal for int(): ${JSON.stringify(v)}`);
    }
    if (WIDE.has(a.kind) && typeof out === "number") return BigInt(out);
    return out;
  }

  value(a: AttrSpec, v: unknown, parents: Attrs[]): unknown {
    switch (a.kind) {
      case "nest":
        return this.attrs(a.set, v as Attrs, parents);
      case "indexed-array":
        if (a.subType === "nest") {
          return (v as Attrs[]).map((x) => this.attrs(a.set, x, parents));
        }
        return (v as unknown[]).map((x) => this.scalar({ ...a, kind: a.subType ?? "u32" }, x));
      case "flag":
        return v ? true : undefined;
      case "string":
        return String(v);
      case "binary":
        if (v === null) return new Uint8Array();
        if (typeof v === "string") return a.hint ? fromString(a, v) : hexBytes(v);
        if (Array.isArray(v) && a.subType && a.subType in SIZES) {
          const size = SIZES[a.subType];
          const b = new Uint8Array(v.length * size);
          const dv = new DataView(b.buffer);
          v.forEach((x, i) => {
            const n = this.scalar({ ...a, kind: a.subType! }, x);
            if (size === 8) dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(n as number)), true);
            else if (size === 4) dv.setUint32(i * 4, Number(n) >>> 0, true);
            else if (size === 2) dv.setUint16(i * 2, Number(n) & 0xffff, true);
            else dv.setUint8(i, Number(n) & 0xff);
          });
          return b;
        }
        if (typeof v === "object" && a.struct) return this.struct(a.struct, v as Attrs);
        throw new YnlViewError(`Unknown type for binary attribute, value: ${JSON.stringify(v)}`);
      case "bitfield32": {
        const o = v as Attrs;
        return {
          value: this.scalar({ ...a, kind: "u32" }, o.value),
          selector: this.scalar({ ...a, kind: "u32" }, o.selector),
        };
      }
      case "sub-message": {
        const table = a.subMessage ? own(this.f.subMessages, a.subMessage) : undefined;
        let sel: unknown;
        for (const p of parents) if (a.selector && a.selector in p) sel = p[a.selector];
        const format = table ? own(table, String(sel)) : undefined;
        if (!format) {
          throw new YnlViewError(
            `No message format for '${sel}' in sub-message spec '${a.subMessage}'`,
          );
        }
        const o = { ...(v as Attrs) };
        const out: Attrs = format.fixedHeader ? this.struct(format.fixedHeader, o, true) : {};
        if (format.set) Object.assign(out, this.attrs(format.set, o, parents));
        return out;
      }
      default:
        return this.scalar(a, v);
    }
  }

  /** A struct's members by name; with `take`, removed from `o`. */
  struct(name: string, o: Attrs, take = false): Attrs {
    const s = own(this.f.structs, name);
    if (!s) throw new YnlViewError(`KeyError: '${name}'`);
    const out: Attrs = {};
    for (const m of s.members) {
      if (!(m.name in o)) continue;
      const v = o[m.name];
      if (take) delete o[m.name];
      if (m.kind === "pad") continue;
      if (m.kind === "binary") out[m.name] = hexBytes(String(v));
      else {
        const n = pyInt(v);
        if (n === undefined) throw new YnlViewError(`required argument is not an integer`);
        out[m.name] = m.kind === "u64" || m.kind === "s64" ? BigInt(n) : n;
      }
    }
    return out;
  }

  attrs(set: string | undefined, o: Attrs, parents: Attrs[] = []): Attrs {
    const s = set === undefined ? undefined : own(this.f.sets, set);
    if (typeof o !== "object" || o === null || Array.isArray(o)) {
      throw new YnlViewError(`'${typeof o}' object has no attribute 'items'`);
    }
    const out: Attrs = {};
    const scope = [o, ...parents];
    for (const [k, v] of Object.entries(o)) {
      const a = s?.attrs.find((x) => x.name === k);
      if (!a) {
        const names = s?.attrs.map((x) => x.name) ?? [];
        throw new YnlViewError(`Space '${set}' has no attribute '${k}'${hint(k, names)}`);
      }
      const x = a.multi && Array.isArray(v) && a.kind !== "indexed-array"
        ? v.map((e) => this.value(a, e, scope))
        : this.value(a, v, scope);
      if (x !== undefined) out[a.name] = x;
    }
    return out;
  }
}

/**
 * ynl's `--json` object for `op` as the family client's request: the
 * fixed header's members (by the spec's names) taken out into `header`,
 * the rest converted as ynl converts them. A value ynl would refuse is a
 * {@linkcode YnlViewError} with ynl's message.
 */
export function ynlRequest(
  f: FamilySpec,
  op: OpSpec,
  json: Attrs,
): { header: Attrs; attrs: Attrs } {
  const input = new Input(f);
  const vals = { ...json };
  const fixed = op.fixedHeader ?? f.fixedHeader;
  const header = fixed ? input.struct(fixed, vals, true) : {};
  return { header, attrs: input.attrs(op.set, vals) };
}
