/**
 * The YNL generator: reads the kernel's netlink specs (YAML, under
 * Documentation/netlink/specs; files named either rt-link.yaml or
 * rt_link.yaml) and emits one TypeScript module per family into
 * src/families/: enums, typed attribute sets and structs, operations and
 * multicast groups, as tables that src/ynl/codec.ts encodes and decodes.
 * Dev-time only and not published; its YAML parser comes from npm and the
 * library never imports this file.
 *
 *     deno task generate [--specs DIR]   # write src/families/*.ts
 *     deno task generate --check         # fail if they are stale
 *
 * The project's own specs go through it too: tools/specs/*.yaml (what no
 * kernel spec describes) and kmod/*.yaml (the kernel module's protocol,
 * whose module also carries its UAPI header's names; see spec_names.ts).
 *
 * DIR defaults to .out/linux-7.2/Documentation/netlink/specs, which
 * `deno task specs` fills from Debian's linux-source-7.2 package; the kernel
 * version each module names is read from the tree's top Makefile.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parse } from "yaml";
import type {
  AttrKind,
  AttrSetSpec,
  AttrSpec,
  EnumSpec,
  FamilySpec,
  MemberSpec,
  OpMessage,
  OpSpec,
  StructSpec,
  SubMessageFormat,
} from "../src/ynl/schema.ts";
import { SCALAR_SIZES } from "../src/ynl/schema.ts";
import { kernelVersion, SPECS_DIR } from "./fetch_specs.ts";
import { checksOf, type ConstDef, constsOf, type UapiEnum, uapiOf, upper } from "./spec_names.ts";

export { constsOf, uapiOf };
import { supplement } from "./supplement.ts";
import { emitDecoders } from "./decoders.ts";

// deno-lint-ignore no-explicit-any
type Yaml = any;

const ROOT = new URL("../", import.meta.url).pathname;

/** "rta-dst" -> "rtaDst" */
export function camel(name: string): string {
  const c = name.replace(/[-_ ]+([a-z0-9])/gi, (_, ch: string) => ch.toUpperCase());
  return /^[0-9]/.test(c) ? `_${c}` : c;
}

/** "route-attrs" -> "RouteAttrs" */
function pascal(name: string): string {
  const c = camel(name);
  return c[0].toUpperCase() + c.slice(1);
}

function enums(y: Yaml): Record<string, EnumSpec> {
  const out: Record<string, EnumSpec> = {};
  for (const d of y.definitions ?? []) {
    if (d.type !== "enum" && d.type !== "flags") continue;
    const entries: Record<string, number> = {};
    let next = d["value-start"] ?? 0;
    for (const e of d.entries ?? []) {
      const name = typeof e === "string" ? e : e.name;
      const v = typeof e === "object" && e.value !== undefined ? e.value : next;
      next = v + 1;
      entries[name] = d.type === "flags" ? 2 ** v : v;
    }
    out[d.name] = { name: d.name, type: d.type, entries };
  }
  return out;
}

function structs(y: Yaml): Record<string, StructSpec> {
  const out: Record<string, StructSpec> = {};
  const defs = new Map<string, Yaml>();
  for (const d of y.definitions ?? []) if (d.type === "struct") defs.set(d.name, d);
  // a member that holds another struct (`type: binary`, `struct: NAME`, as
  // tc's tc-htb-opt holds two tc-ratespec) is as long as that struct
  const build = (d: Yaml, outer: string[]): StructSpec => {
    if (out[d.name]) return out[d.name];
    if (outer.includes(d.name)) throw new Error(`struct ${d.name} holds itself`);
    let size = 0;
    const members: MemberSpec[] = [];
    for (const m of d.members ?? []) {
      const inner = m.type === "binary" && m.struct ? defs.get(m.struct) : undefined;
      if (m.type === "binary" && m.struct && !inner) {
        throw new Error(
          `struct ${d.name}: member ${m.name} holds struct ${m.struct}, which no definition names`,
        );
      }
      const len = SCALAR_SIZES[m.type] ??
        (inner ? build(inner, [...outer, d.name]).size : m.len ?? 0);
      const member: MemberSpec = {
        name: m.name,
        key: camel(m.name),
        kind: m.type,
        ...(SCALAR_SIZES[m.type] ? {} : { len }),
        ...(m["byte-order"] === "big-endian" ? { bigEndian: true } : {}),
        ...(m.enum ? { enum: m.enum } : {}),
        ...(m["enum-as-flags"] ? { enumAsFlags: true } : {}),
        ...(m["display-hint"] ? { hint: m["display-hint"] } : {}),
        ...(inner ? { struct: m.struct } : {}),
      };
      members.push(member);
      size += len;
    }
    return out[d.name] = { name: d.name, members, size };
  };
  for (const d of defs.values()) build(d, []);
  // in the spec's order, whichever was laid out first
  return Object.fromEntries([...defs.keys()].map((n) => [n, out[n]]));
}

function attrSets(y: Yaml): Record<string, AttrSetSpec> {
  const out: Record<string, AttrSetSpec> = {};
  const raw: Record<string, Yaml> = {};
  for (const s of y["attribute-sets"] ?? []) raw[s.name] = s;
  for (const s of y["attribute-sets"] ?? []) {
    const base = s["subset-of"] ? raw[s["subset-of"]] : undefined;
    const baseValues = new Map<string, number>();
    if (base) {
      let v = 1;
      for (const a of base.attributes) {
        if (a.value !== undefined) v = a.value;
        baseValues.set(a.name, v++);
      }
    }
    const attrs: AttrSpec[] = [];
    const seen = new Set<string>();
    let next = 1;
    for (const a0 of s.attributes ?? []) {
      if (seen.has(a0.name)) continue; // devlink's dl-dpipe-table lists two twice
      seen.add(a0.name);
      const a = base ? { ...base.attributes.find((b: Yaml) => b.name === a0.name), ...a0 } : a0;
      let type: number;
      if (base) type = baseValues.get(a.name) ?? 0;
      else {
        type = a.value ?? next;
        next = type + 1;
      }
      const kind = String(a.type).split(" ")[0] as AttrKind;
      if (kind === "unused") continue;
      const spec: Record<string, unknown> = { type, name: a.name, key: camel(a.name), kind };
      if (a["sub-type"]) spec.subType = a["sub-type"];
      if (a["nested-attributes"]) spec.set = a["nested-attributes"];
      if (a.struct) spec.struct = a.struct;
      if (a.enum) spec.enum = a.enum;
      if (a["enum-as-flags"]) spec.enumAsFlags = true;
      if (a["byte-order"] === "big-endian") spec.bigEndian = true;
      if (a["multi-attr"]) spec.multi = true;
      if (a.selector) spec.selector = a.selector;
      if (a["sub-message"]) spec.subMessage = a["sub-message"];
      if (a["display-hint"]) spec.hint = a["display-hint"];
      if (a["type-value"]) {
        spec.levels = a["type-value"].length;
        spec.typeValue = a["type-value"];
      }
      const checks = checksOf(y, `${s.name}.${a.name}`, a.checks);
      if (checks) spec.checks = checks;
      attrs.push(spec as unknown as AttrSpec);
    }
    attrs.sort((p, q) => p.type - q.type);
    out[s.name] = { name: s.name, attrs };
  }
  return out;
}

function subMessages(y: Yaml): Record<string, Record<string, SubMessageFormat>> {
  const out: Record<string, Record<string, SubMessageFormat>> = {};
  for (const sm of y["sub-messages"] ?? []) {
    const formats: Record<string, SubMessageFormat> = {};
    for (const f of sm.formats ?? []) {
      formats[String(f.value)] = {
        ...(f["attribute-set"] ? { set: f["attribute-set"] } : {}),
        ...(f["fixed-header"] ? { fixedHeader: f["fixed-header"] } : {}),
      };
    }
    out[sm.name] = formats;
  }
  return out;
}

function operations(y: Yaml): Record<string, OpSpec> {
  const out: Record<string, OpSpec> = {};
  const ops = y.operations ?? {};
  const directional = ops["enum-model"] === "directional";
  const start = ops["value-start"] ?? 1;
  let req = start, rsp = start;
  const familyHeader = ops["fixed-header"];
  for (const o of ops.list ?? []) {
    const msg = (m: Yaml, value: number): OpMessage | undefined =>
      m ? { value: m.value ?? value, attributes: m.attributes ?? [] } : undefined;
    const mode = o.do ?? o.dump;
    let reqVal: number, rspVal: number;
    if (!directional) {
      if (o.value !== undefined) req = o.value;
      reqVal = rspVal = req;
      req++;
    } else if (o.notify !== undefined || o.event !== undefined) {
      if (o.value !== undefined) rsp = o.value;
      reqVal = req;
      rspVal = rsp++;
    } else {
      reqVal = mode?.request?.value ?? req;
      rspVal = mode?.reply?.value ?? rsp;
      req = reqVal + 1;
      rsp = rspVal + (mode?.reply ? 1 : 0);
    }
    const op: Record<string, unknown> = {
      name: o.name,
      set: o["attribute-set"] ?? "",
    };
    const fh = o["fixed-header"] ?? familyHeader;
    if (fh) op.fixedHeader = fh;
    for (const kind of ["do", "dump"] as const) {
      if (!o[kind]) continue;
      // a do or dump the spec gives no request is sent empty with the op's
      // request type, as ynl sends it (nlctrl getfamily's dump, netdev dev-get's)
      op[kind] = {
        request: msg(o[kind].request ?? {}, reqVal),
        ...(o[kind].reply ? { reply: msg(o[kind].reply, rspVal) } : {}),
      };
    }
    if (o.notify !== undefined || o.event !== undefined) {
      op.event = rspVal;
      if (o.notify) op.notify = o.notify;
      if (o.mcgrp) op.mcgrp = o.mcgrp;
      if (o.notify && !o["attribute-set"]) {
        const target = (ops.list as Yaml[]).find((t) => t.name === o.notify);
        op.set = target?.["attribute-set"] ?? "";
        if (!op.fixedHeader && target?.["fixed-header"]) op.fixedHeader = target["fixed-header"];
      }
    }
    out[o.name] = op as unknown as OpSpec;
  }
  return out;
}

/** Reads one spec into the table the codec interprets. */
export function familyOf(y: Yaml): FamilySpec {
  const mcast: Record<string, number> = {};
  for (const g of y["mcast-groups"]?.list ?? []) mcast[g.name] = g.value ?? -1;
  return {
    name: y.name,
    protocol: y.protocol ?? "genetlink",
    ...(y.protonum !== undefined ? { protonum: y.protonum } : {}),
    ...(y.version !== undefined ? { version: y.version } : {}),
    structs: structs(y),
    enums: enums(y),
    sets: attrSets(y),
    subMessages: subMessages(y),
    ops: operations(y),
    mcastGroups: mcast,
    ...(y.operations?.["fixed-header"] ? { fixedHeader: y.operations["fixed-header"] } : {}),
  };
}

function tsType(f: FamilySpec, a: AttrSpec, names: Names): string {
  const scalar = (kind: string): string => {
    switch (kind) {
      case "u64":
      case "s64":
        return "bigint";
      case "flag":
        return "true";
      case "string":
        return "string";
      case "binary":
        return a.struct && f.structs[a.struct] ? names.struct(a.struct) : "Uint8Array";
      case "nest":
        return a.set && f.sets[a.set] ? names.set(a.set) : "Record<string, unknown>";
      case "bitfield32":
        return "{ value: number; selector: number }";
      case "sub-message":
        return "Record<string, unknown> | Uint8Array";
      default:
        return "number";
    }
  };
  let t: string;
  if (a.kind === "indexed-array") t = `${scalar(a.subType ?? "binary")}[]`;
  else if (a.kind === "nest-type-value") {
    t = a.set && f.sets[a.set] ? names.set(a.set) : "Record<string, unknown>";
    for (let i = 0; i < (a.levels ?? 1); i++) t = `Record<number, ${t}>`;
  } else t = scalar(a.kind);
  return a.multi ? `${t.includes(" ") ? `(${t})` : t}[]` : t;
}

interface Names {
  set(name: string): string;
  struct(name: string): string;
}

function namesOf(f: FamilySpec): Names {
  const taken = new Set<string>();
  const sets = new Map<string, string>();
  const structs = new Map<string, string>();
  for (const s of Object.keys(f.structs)) {
    const n = pascal(s);
    structs.set(s, n);
    taken.add(n);
  }
  for (const s of Object.keys(f.sets)) {
    let n = pascal(s);
    if (!/Attrs$/.test(n)) n += "Attrs";
    while (taken.has(n)) n += "Set";
    sets.set(s, n);
    taken.add(n);
  }
  return { set: (s) => sets.get(s)!, struct: (s) => structs.get(s)! };
}

/** What a module carries besides its tables: consts, and for the project's own protocols the UAPI names. */
export interface EmitExtras {
  /** The spec's consts. */
  consts?: ConstDef[];
  /** The UAPI names of its numbers (for a protocol whose header this project writes). */
  uapi?: UapiEnum[];
}

/** Emits the TypeScript module for one family. */
export function emit(f: FamilySpec, source: string, extras: EmitExtras = {}): string {
  const names = namesOf(f);
  const id = camel(f.name);
  const out: string[] = [
    `// Generated by tools/generate.ts from ${source}. Do not edit: run \`deno task generate\`.`,
    "",
    `/**`,
    ` * The ${f.name} netlink family (${f.protocol}), generated from its YNL spec:`,
    ` * enums, structs, attribute sets, operations and multicast groups.`,
    ` *`,
    ` * @module`,
    ` */`,
    `import type { FamilySpec } from "../ynl/schema.ts";`,
    "",
  ];
  const exported = new Set<string>();
  const exportName = (n: string): string => {
    if (exported.has(n)) throw new Error(`${f.name}: two exports named ${n}`);
    exported.add(n);
    return n;
  };
  for (const c of extras.consts ?? []) {
    const doc = c.doc ? `: ${c.doc.replace(/\s+/g, " ").replace(/\*\//g, "*\\/")}` : "";
    out.push(`/** Const \`${c.spec}\` of ${f.name}${doc} */`);
    out.push(`export const ${exportName(c.name)} = ${JSON.stringify(c.value)};`, "");
  }
  for (const u of extras.uapi ?? []) {
    const c = u.cName ? `\`enum ${u.cName}\`` : `\`${u.object}_*\``;
    out.push(`/** ${c} of the UAPI header: the ${u.what}. */`);
    out.push(`export const ${exportName(u.object)} = ${JSON.stringify(u.entries)} as const;`, "");
  }
  for (const e of Object.values(f.enums)) {
    out.push(`/** ${e.type === "flags" ? "Flags" : "Enum"} \`${e.name}\` of ${f.name}. */`);
    // An enum with no entries needs its type spelt out (doc lint: no inferred `{}`)
    const type = Object.keys(e.entries).length ? "" : ": Readonly<Record<string, never>>";
    out.push(
      `export const ${exportName(upper(e.name))}${type} = ${JSON.stringify(e.entries)} as const;`,
      "",
    );
  }
  for (const s of Object.values(f.structs)) {
    out.push(`/** Struct \`${s.name}\` of ${f.name} (${s.size} bytes). */`);
    out.push(`export interface ${names.struct(s.name)} {`);
    for (const m of s.members) {
      if (m.kind === "pad") continue;
      const t = m.kind === "u64" || m.kind === "s64"
        ? "bigint"
        : m.struct
        ? `${names.struct(m.struct)} | Uint8Array`
        : m.kind === "binary"
        ? "Uint8Array"
        : m.kind === "string"
        ? "string"
        : "number";
      out.push(`  /** \`${m.name}\` */`, `  ${m.key}?: ${t};`);
    }
    out.push("}", "");
  }
  for (const s of Object.values(f.sets)) {
    out.push(`/** Attribute set \`${s.name}\` of ${f.name}. */`);
    out.push(`export interface ${names.set(s.name)} {`);
    for (const a of s.attrs) {
      if (a.kind === "pad") continue;
      out.push(`  /** \`${a.name}\` (${a.type}) */`, `  ${a.key}?: ${tsType(f, a, names)};`);
    }
    out.push(`  /** Attributes this spec does not know, by type number. */`);
    out.push(`  unknown?: Record<number, Uint8Array[]>;`);
    out.push("}", "");
  }
  out.push(`/** Request and reply types of each operation of ${f.name}. */`);
  // a spec of definitions only (no operations) has an empty table of them
  const noOps = Object.keys(f.ops).length === 0;
  out.push(`export type ${pascal(f.name)}Ops = ${noOps ? "Record<string, never>;" : "{"}`);
  for (const op of Object.values(f.ops)) {
    const set = op.set && f.sets[op.set] ? names.set(op.set) : "Record<string, unknown>";
    const header = op.fixedHeader && f.structs[op.fixedHeader]
      ? names.struct(op.fixedHeader)
      : "Record<string, never>";
    out.push(`  /** \`${op.name}\` */`);
    out.push(`  ${JSON.stringify(op.name)}: { header: ${header}; attrs: ${set} };`);
  }
  if (!noOps) out.push("};");
  out.push("");
  out.push(`/** The tables of ${f.name}, for src/ynl/codec.ts. */`);
  // one JSON string: compact, and parsed faster than an object literal
  out.push(`export const ${id}: FamilySpec = JSON.parse(`);
  out.push(`  ${JSON.stringify(JSON.stringify(f))},`);
  out.push(`);`, "");
  const decoders = emitDecoders(f, id);
  if (decoders.length) {
    out.splice(
      out.indexOf(`import type { FamilySpec } from "../ynl/schema.ts";`),
      1,
      // $-names: a family's own exports (tc has an Attrs) cannot take them
      `import type { AttributeDecoder as $Cursor } from "../attribute.ts";`,
      `import { helpers as $h, registerDecoders as $register } from "../ynl/compiled.ts";`,
      `import type { FamilySpec } from "../ynl/schema.ts";`,
      `import type { Attrs as $Attrs } from "../ynl/struct.ts";`,
    );
    out.push(...decoders);
  }
  return out.join("\n");
}

/** The file name a family's module gets: "rt-route" -> "rt_route.ts". */
export function fileOf(name: string): string {
  return `${name.replace(/-/g, "_").toLowerCase()}.ts`;
}

/**
 * Reads every spec in `dir` (a kernel tree's Documentation/netlink/specs) and
 * returns file name -> content. Module names follow the family's name
 * ("rt-link" -> rt_link.ts) whichever way the file is named.
 */
export async function generateAll(
  dir: string,
  own: string = OWN_SPECS,
  modules: string = MODULE_SPECS,
): Promise<Map<string, string>> {
  const version = await kernelVersion(`${dir}/../../..`);
  const files = new Map<string, string>();
  const index: [string, string][] = [];
  const sources: [string, string, boolean][] = [
    ...(await yamlFiles(dir)).map((n): [string, string, boolean] => [
      `${dir}/${n}`,
      `Linux ${version} Documentation/netlink/specs/${n}`,
      false,
    ]),
    // What no kernel spec describes, in the same schema (a kernel spec wins:
    // two specs for one family are an error).
    ...(await yamlFiles(own)).map((n): [string, string, boolean] => [
      `${own}/${n}`,
      `the project's tools/specs/${n} (no spec of Linux ${version} describes it)`,
      false,
    ]),
    // The protocols of the project's kernel modules: this project writes
    // their UAPI headers too, so their modules also carry the header's names.
    ...(await yamlFiles(modules)).map((n): [string, string, boolean] => [
      `${modules}/${n}`,
      `the project's kmod/${n} (the protocol of the project's kernel module)`,
      true,
    ]),
  ];
  const extras = await supplements(own);
  for (const [path, origin, uapi] of sources) {
    let y = parse(await Deno.readTextFile(path));
    const extra = extras.get(y.name);
    if (extra) {
      y = supplement(y, extra.yaml);
      extras.delete(y.name);
    }
    const parsed = familyOf(y);
    // the kernel's file name is what its cli.py's --family takes ("sunrpc_cache")
    const f: FamilySpec = path.startsWith(dir)
      ? { ...parsed, kernelSpec: path.slice(path.lastIndexOf("/") + 1, -".yaml".length) }
      : parsed;
    const file = fileOf(f.name);
    if (files.has(file)) throw new Error(`${path}: a second spec for family ${f.name}`);
    const also = extra ? ` and the project's tools/specs/${extra.file}` : "";
    files.set(
      file,
      emit(f, origin + also, { consts: constsOf(y), ...(uapi ? { uapi: uapiOf(y, f) } : {}) }),
    );
    index.push([file, camel(f.name)]);
  }
  for (const [name, { file }] of extras) {
    throw new Error(`tools/specs/${file} supplements ${name}, which no spec describes`);
  }
  index.sort();
  files.set(
    "mod.ts",
    [
      `// Generated by tools/generate.ts from Linux ${version}. Do not edit: run \`deno task generate\`.`,
      "",
      "/**",
      " * Every generated family table, by module name, for tools that pick a",
      " * family by name (the ynl command line, for one).",
      " *",
      " * @module",
      " */",
      `import type { FamilySpec } from "../ynl/schema.ts";`,
      ...index.map(([file, id]) => `import { ${id} } from "./${file}";`),
      "",
      "/** Every family with a spec, keyed by its module name. */",
      "export const familyTables: Readonly<Record<string, FamilySpec>> = {",
      ...index.map(([file, id]) => `  ${file.slice(0, -3)}: ${id},`),
      "};",
      "",
    ].join("\n"),
  );
  return files;
}

/** How the project's supplements to a kernel spec are named: `conntrack.supplement.yaml`. */
export const SUPPLEMENT = ".supplement.yaml";

/** The .yaml files of a folder, sorted (none when it does not exist); supplements apart. */
async function yamlFiles(dir: string, suffix = ".yaml"): Promise<string[]> {
  const names = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const supplement = e.name.endsWith(SUPPLEMENT);
      if (e.name.endsWith(suffix) && (suffix === SUPPLEMENT || !supplement)) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/** The project's supplements in `dir`, by the family each names. */
async function supplements(dir: string): Promise<Map<string, { file: string; yaml: Yaml }>> {
  const out = new Map<string, { file: string; yaml: Yaml }>();
  for (const file of await yamlFiles(dir, SUPPLEMENT)) {
    const yaml = parse(await Deno.readTextFile(`${dir}/${file}`));
    if (out.has(yaml.name)) {
      throw new Error(`tools/specs/${file}: a second supplement of ${yaml.name}`);
    }
    out.set(yaml.name, { file, yaml });
  }
  return out;
}

/** Generates every module and formats it as `deno fmt` would: file name -> text. */
export async function render(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, text] of await generateAll(dir)) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--ext=ts", "-"],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(text));
    await w.close();
    out.set(name, new TextDecoder().decode((await child.output()).stdout));
  }
  return out;
}

/** Where the kernel's specs are unpacked by `deno task specs`. */
export const KERNEL_SPECS = SPECS_DIR;
/** The project's own specs, for what no kernel spec describes. */
export const OWN_SPECS = `${ROOT}tools/specs`;
/** The protocols of the project's kernel modules (kmod/*.yaml). */
export const MODULE_SPECS = `${ROOT}kmod`;
/** Where the generated modules go. */
export const OUT_DIR = `${ROOT}src/families`;

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      specs: { type: "string", default: KERNEL_SPECS },
      check: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: deno task generate [--specs DIR] [--check]");
    Deno.exit(0);
  }
  const files = await render(values.specs!);
  let stale = 0;
  await Deno.mkdir(OUT_DIR, { recursive: true });
  for (const [name, formatted] of files) {
    const path = `${OUT_DIR}/${name}`;
    const old = await Deno.readTextFile(path).catch(() => "");
    if (old === formatted) continue;
    stale++;
    if (values.check) console.error(`stale: src/families/${name}`);
    else await Deno.writeTextFile(path, formatted);
  }
  console.error(`${files.size} modules, ${stale} ${values.check ? "stale" : "written"}`);
  if (values.check && stale) Deno.exit(1);
}
