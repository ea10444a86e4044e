/**
 * What the generator reads from a spec besides the codec's tables: the
 * limits of attributes' `checks` resolved to numbers, the consts under
 * the names of their C defines, and the names a UAPI header gives the
 * spec's numbers, all by ynl-gen-c's rules. Dev-time only, like
 * tools/generate.ts.
 *
 * @module
 */
import type { AttrChecks, FamilySpec } from "../src/ynl/schema.ts";

// deno-lint-ignore no-explicit-any
type Yaml = any;

/** "rtm-type" -> "RTM_TYPE" */
export function upper(name: string): string {
  return name.replace(/[-. ]/g, "_").toUpperCase().replace(/^([0-9])/, "_$1");
}

/** The numbers the `-min`/`-max` limits of fixed-width types name (`u32-max`). */
const TYPE_LIMITS: Record<string, number> = {
  "u8-min": 0,
  "u8-max": 0xff,
  "u16-min": 0,
  "u16-max": 0xffff,
  "u32-min": 0,
  "u32-max": 0xffffffff,
  "s8-min": -0x80,
  "s8-max": 0x7f,
  "s16-min": -0x8000,
  "s16-max": 0x7fff,
  "s32-min": -0x80000000,
  "s32-max": 0x7fffffff,
};

/** The C name of a const, as ynl-gen-c writes its define. */
export function constName(y: Yaml, d: Yaml): string {
  return upper(`${d["name-prefix"] ?? (d.header ? "" : `${y.name}-`)}${d.name}`);
}

/**
 * A limit of `checks`: a number, a const of the spec (by its name or its C
 * name, as ynl-gen-c resolves it) or a fixed-width type's limit.
 */
function limit(y: Yaml, where: string, v: number | string): number {
  if (typeof v === "number") return v;
  for (const d of y.definitions ?? []) {
    if (d.type !== "const" || typeof d.value !== "number") continue;
    if (d.name === v || constName(y, d) === upper(v)) return d.value;
  }
  const n = TYPE_LIMITS[v];
  if (n === undefined) throw new Error(`${y.name} ${where}: cannot resolve the limit ${v}`);
  return n;
}

const CHECK_KEYS: Record<string, keyof AttrChecks> = {
  min: "min",
  max: "max",
  "min-len": "minLen",
  "max-len": "maxLen",
  "exact-len": "exactLen",
};

export function checksOf(y: Yaml, where: string, raw: Yaml): AttrChecks | undefined {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const key = CHECK_KEYS[k];
    if (key) out[key] = limit(y, `${where} ${k}`, v as number | string);
  }
  return Object.keys(out).length ? out : undefined;
}

/** A const of the spec, under the name of its C define. */
export interface ConstDef {
  /** The C name, e.g. `NLRT_TEXT_MAX`. */
  name: string;
  /** The spec's name, e.g. `text-max`. */
  spec: string;
  /** Its value. */
  value: number | string;
  /** The spec's doc, if any. */
  doc?: string;
}

/** Every const of the spec's definitions, named as ynl-gen-c names its define. */
export function constsOf(y: Yaml): ConstDef[] {
  return (y.definitions ?? []).filter((d: Yaml) => d.type === "const").map((d: Yaml) => ({
    name: constName(y, d),
    spec: d.name,
    value: d.value,
    ...(d.doc ? { doc: String(d.doc).trim() } : {}),
  }));
}

/**
 * One C enum of a UAPI header: the object that holds its members (named
 * for the members' common prefix, `NLRT_A` for `NLRT_A_DST`, ...), keyed
 * by the rest of each member's name.
 */
export interface UapiEnum {
  /** The object's name: the members' prefix without its last underscore. */
  object: string;
  /** The C enum's name (`enum-name`), if the spec gives one. */
  cName?: string;
  /** What it numbers, for its doc. */
  what: string;
  /** Member (without the prefix) to value. */
  entries: Record<string, number>;
}

/**
 * The names a UAPI header gives the spec's numbers, by ynl-gen-c's rules
 * and the spec's `name-prefix`, `enum-name` and `c-define-name`: the
 * operations' request types, each attribute set, each enum and flags, and
 * the multicast groups. A part without a prefix of its own is left out.
 */
export function uapiOf(y: Yaml, f: FamilySpec): UapiEnum[] {
  const out: UapiEnum[] = [];
  const add = (
    prefix: string,
    cName: string | null | undefined,
    what: string,
    e: Record<string, number>,
  ) =>
    out.push({
      object: upper(prefix).replace(/_$/, ""),
      ...(cName ? { cName: cName.replace(/-/g, "_") } : {}),
      what,
      entries: e,
    });
  const ops = y.operations ?? {};
  if (ops["name-prefix"]) {
    const e: Record<string, number> = {};
    for (const o of ops.list ?? []) {
      if (o.notify !== undefined || o.event !== undefined) continue;
      const op = f.ops[o.name];
      const value = op.do?.request?.value ?? op.dump?.request?.value;
      if (value !== undefined) e[upper(o.name)] = value;
    }
    add(ops["name-prefix"], ops["enum-name"], "message types of the requests", e);
  }
  for (const s of y["attribute-sets"] ?? []) {
    if (!s["name-prefix"] || s["subset-of"]) continue;
    const e: Record<string, number> = {};
    let next = 1;
    for (const a of s.attributes ?? []) {
      const v = a.value ?? next;
      next = v + 1;
      e[upper(a.name)] = v;
    }
    add(s["name-prefix"], s["enum-name"], `attribute types of ${s.name}`, e);
  }
  const enumTables = f.enums;
  for (const d of y.definitions ?? []) {
    if ((d.type !== "enum" && d.type !== "flags") || !d["name-prefix"]) continue;
    const e: Record<string, number> = {};
    for (const [k, v] of Object.entries(enumTables[d.name].entries)) e[upper(k)] = v;
    add(d["name-prefix"], d["enum-name"], `values of ${d.type} ${d.name}`, e);
  }
  const groups: Yaml[] = y["mcast-groups"]?.list ?? [];
  const suffix = (g: Yaml) => `-${g.name}`;
  const named = groups.filter((g) => g["c-define-name"]?.endsWith(suffix(g)));
  const prefixes = new Set(named.map((g) => g["c-define-name"].slice(0, -g.name.length)));
  if (named.length && named.length === groups.length && prefixes.size === 1) {
    const e: Record<string, number> = {};
    for (const g of groups) if (typeof g.value === "number") e[upper(g.name)] = g.value;
    add([...prefixes][0], undefined, "multicast group numbers (not masks)", e);
  }
  return out;
}
