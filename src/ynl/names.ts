/**
 * Decoded values as ynl shows them: an enum value as its name, a flag set
 * as the array of its names (bits the spec does not name stay numbers), and
 * a value with a `display-hint` (ipv4, ipv6, ipv4-or-v6, mac, hex, uuid) as
 * that text. A binary without a hint stays bytes. A separate pass over what
 * `decodeAttrs` returned, so the decoder and the zero-copy paths pay nothing
 * for it.
 *
 * Where names apply: not by default. `FamilyClient`'s decoded objects, the
 * `map` paths and RouteView hold the raw numbers and bytes (as the
 * generated interfaces type them): that is how to get raw values. Pass
 * them through `named()` / `namedStruct()` for names in the library's
 * shape (camelCase keys, indexed arrays as arrays), or read a message with
 * `ynlReply()` (./ynl_view.ts) for exactly what the kernel's ynl shows
 * (spec names, `{index: ...}` entries, `Unknown(N)`). The encoders take
 * names and numbers alike (./names_in.ts).
 *
 * @module
 */
import { formatAddress, formatMac } from "../address.ts";
import type { AttrSpec, FamilySpec, MemberSpec } from "./schema.ts";
import { own } from "./schema.ts";
import type { Attrs } from "./struct.ts";

type Hinted = Pick<AttrSpec, "enum" | "enumAsFlags" | "hint">;

function enumName(f: FamilySpec, spec: Hinted, v: number | bigint): unknown {
  const e = spec.enum === undefined ? undefined : own(f.enums, spec.enum);
  if (!e) return v;
  const byValue = new Map<number, string>();
  for (const [name, n] of Object.entries(e.entries)) if (!byValue.has(n)) byValue.set(n, name);
  if (e.type === "flags" || spec.enumAsFlags) {
    // flags' entries hold bit values, an enum's (used as flags) bit numbers
    const out: (string | number)[] = [];
    let raw = BigInt(v);
    for (let i = 0; raw > 0n; i++, raw >>= 1n) {
      if (!(raw & 1n)) continue;
      const name = byValue.get(e.type === "flags" ? 2 ** i : i);
      out.push(name ?? 2 ** i);
    }
    return out;
  }
  return byValue.get(Number(v)) ?? v;
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

function hinted(hint: string, v: unknown): unknown {
  if (v instanceof Uint8Array) {
    switch (hint) {
      case "mac":
        return formatMac(v);
      case "hex":
        return [...v].map(hex2).join(" ");
      case "ipv4":
      case "ipv6":
      case "ipv4-or-v6":
        return v.length === 4 || v.length === 16 ? formatAddress(v) : v;
      case "uuid": {
        if (v.length !== 16) return v;
        const h = [...v].map(hex2).join("");
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${
          h.slice(20)
        }`;
      }
    }
    return v;
  }
  if (typeof v === "number" || typeof v === "bigint") {
    if (hint === "hex") return `0x${v.toString(16)}`;
    if (hint === "ipv4") {
      const n = Number(v);
      return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
    }
  }
  return v;
}

function scalarNamed(f: FamilySpec, spec: Hinted, v: unknown): unknown {
  if (spec.enum !== undefined && (typeof v === "number" || typeof v === "bigint")) {
    return enumName(f, spec, v);
  }
  if (spec.hint !== undefined) return hinted(spec.hint, v);
  return v;
}

/**
 * A decoded struct (a fixed header, or a binary attribute's struct) with
 * its members' enums, flags and display hints as ynl shows them.
 *
 * @example
 * ```ts
 * import { namedStruct } from "./names.ts";
 * import { rtRoute } from "../families/rt_route.ts";
 * namedStruct(rtRoute, "rtmsg", { rtmType: 1 }); // { rtmType: "unicast" }
 * ```
 */
export function namedStruct(f: FamilySpec, struct: string, value: Attrs): Attrs {
  const s = own(f.structs, struct);
  if (!s) throw new TypeError(`${f.name} has no struct ${struct}`);
  const out: Attrs = { ...value };
  for (const m of s.members as readonly MemberSpec[]) {
    if (!(m.key in out)) continue;
    const v = out[m.key];
    // a struct it holds shows its members' names too
    out[m.key] = m.struct && typeof v === "object" && v !== null && !(v instanceof Uint8Array)
      ? namedStruct(f, m.struct, v as Attrs)
      : scalarNamed(f, m, v);
  }
  return out;
}

function valueNamed(f: FamilySpec, a: AttrSpec, v: unknown): unknown {
  switch (a.kind) {
    case "nest":
      return a.set && typeof v === "object" && v !== null && !(v instanceof Uint8Array)
        ? named(f, a.set, v as Attrs)
        : v;
    case "indexed-array":
      if (!Array.isArray(v)) return v;
      return v.map((e) =>
        a.subType === "nest" && a.set && typeof e === "object" && e !== null
          ? named(f, a.set, e as Attrs)
          : scalarNamed(f, a, e)
      );
    case "nest-type-value": {
      const level = (x: unknown, depth: number): unknown => {
        if (typeof x !== "object" || x === null || x instanceof Uint8Array) return x;
        if (depth === 0) return a.set ? named(f, a.set, x as Attrs) : x;
        const o: Attrs = {};
        for (const [k, y] of Object.entries(x)) o[k] = level(y, depth - 1);
        return o;
      };
      return level(v, a.levels ?? 1);
    }
    case "binary":
      if (a.struct && typeof v === "object" && v !== null && !(v instanceof Uint8Array)) {
        return namedStruct(f, a.struct, v as Attrs);
      }
      return scalarNamed(f, a, v);
    default:
      return scalarNamed(f, a, v);
  }
}

/**
 * Decoded attributes of set `set` with enums, flags and display hints as
 * ynl shows them, nests (type-value nests too) included. Sub-messages are
 * passed through as decoded.
 *
 * @example
 * ```ts
 * import { named } from "./names.ts";
 * import { rtAddr } from "../families/rt_addr.ts";
 * named(rtAddr, "addr-attrs", { flags: 0x80 }); // { flags: ["permanent"] }
 * ```
 */
export function named(f: FamilySpec, set: string, attrs: Attrs): Attrs {
  const s = own(f.sets, set);
  if (!s) throw new TypeError(`${f.name} has no attribute set ${set}`);
  const out: Attrs = {};
  for (const [key, v] of Object.entries(attrs)) {
    const a = s.attrs.find((x) => x.key === key);
    if (!a) {
      out[key] = v;
      continue;
    }
    out[key] = a.multi && Array.isArray(v)
      ? v.map((e) => valueNamed(f, a, e))
      : valueNamed(f, a, v);
  }
  return out;
}
