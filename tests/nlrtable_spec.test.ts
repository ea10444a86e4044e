/**
 * kmod/nlrtable.yaml (the module's protocol in the YNL schema) against the
 * kernel's schema, and the module's sources against what the generator
 * made of it (src/families/nlrtable.ts, the module the client speaks
 * with): every name and number of the UAPI header kmod/nlrtable.h, the
 * layout of struct nlrtmsg, and the attribute policy in nlrtable.c, both
 * ways (a name on one side only fails).
 */
import assert from "node:assert/strict";
import * as generated from "../src/families/nlrtable.ts";
import { nlrtable } from "../src/families/nlrtable.ts";
import { SCALAR_SIZES } from "../src/ynl/schema.ts";
import { fetchSpecs } from "../tools/fetch_specs.ts";
import { MODULE_SPECS } from "../tools/generate.ts";
import { requirePython } from "./helpers/tools.ts";

const read = (p: string) => Deno.readTextFile(new URL(`../kmod/${p}`, import.meta.url));
const header = await read("nlrtable.h");
const source = await read("nlrtable.c");

const uncomment = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, "");

/** `enum NAME { A = 1, ... };` blocks of the header: enum name -> member -> value. */
export function headerEnums(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const m of uncomment(text).matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    const members = m[2].split(",").map((x) => x.trim()).filter((x) => x);
    out[m[1]] = Object.fromEntries(members.map((x) => {
      const e = x.match(/^(\w+)\s*=\s*(\d+)$/);
      assert.ok(e, `enum ${m[1]}: every member has its value written out, not ${x}`);
      return [e[1], Number(e[2])];
    }));
  }
  return out;
}

/** `#define NAME number` and `#define NAME (OTHER - 1)` lines, evaluated. */
export function headerDefines(text: string, known: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of uncomment(text).matchAll(/^#define\s+(\w+)\s+(.+?)\s*$/gm)) {
    const n = m[2].match(/^(\d+)$/);
    const minus = m[2].match(/^\((\w+)\s*-\s*(\d+)\)$/);
    if (n) out[m[1]] = Number(n[1]);
    else if (minus && known[minus[1]] !== undefined) {
      out[m[1]] = known[minus[1]] - Number(minus[2]);
    } else if (!m[1].startsWith("_")) assert.fail(`cannot read #define ${m[1]} ${m[2]}`);
  }
  return out;
}

/** The UAPI objects the generator made (NLRT_MSG, NLRT_A, ...): name -> member -> value. */
const uapi = Object.fromEntries(
  Object.entries(generated).filter(([k, v]) =>
    /^NLRT_[A-Z]+$/.test(k) && typeof v === "object" && v !== null
  ),
) as unknown as Record<string, Record<string, number>>;
/** The generated consts (NLRT_TEXT_MAX, ...). */
const consts = Object.fromEntries(
  Object.entries(generated).filter(([k, v]) => /^NLRT_/.test(k) && typeof v === "number"),
) as Record<string, number>;

Deno.test({
  name: "nlrtable spec: the kernel's ynl (7.2) validates kmod/nlrtable.yaml against netlink-raw",
  // the kernel's tools come from Debian's linux-source-7.2; with CI=true this never skips
  ignore: Deno.uid() !== 0 && Deno.env.get("CI") !== "true",
  async fn() {
    const specs = await fetchSpecs();
    await requirePython("yaml", "jsonschema"); // the kernel's ynl library imports both
    const out = await new Deno.Command("python3", {
      args: [
        `${specs}/../../../tools/net/ynl/pyynl/cli.py`,
        "--spec",
        `${MODULE_SPECS}/nlrtable.yaml`,
        "--schema",
        `${specs}/../netlink-raw.yaml`,
        "--validate",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  },
});

/** What the kernel's ynl library (pyynl's SpecFamily) reads from a spec, as JSON. */
const PYYNL = `
import json, sys
sys.path.insert(0, sys.argv[1])
from lib.nlspec import SpecFamily
f = SpecFamily(sys.argv[2], sys.argv[3])
print(json.dumps({
  "protonum": f.yaml.get("protonum"),
  "msgs": {n: [o.req_value, o.rsp_value] for n, o in f.msgs.items()},
  "sets": {n: {a.name: [a.value, a.type] for a in s.attrs.values()} for n, s in f.attr_sets.items()},
  "enums": {n: {e.name: e.value for e in c.entries.values()}
            for n, c in f.consts.items() if hasattr(c, "entries")},
  "structs": {n: [[m.name, m.type, m.len] for m in c.members]
              for n, c in f.consts.items() if hasattr(c, "members")},
  "consts": {n: c["value"] for n, c in f.consts.items()
             if isinstance(c, dict) and c.get("type") == "const"},
  "groups": {g.name: g.value for g in f.mcast_groups.values()},
}))
`;

Deno.test({
  name: "nlrtable spec: the kernel's ynl library (7.2) reads the spec as the generator does",
  ignore: Deno.uid() !== 0 && Deno.env.get("CI") !== "true",
  async fn() {
    const specs = await fetchSpecs();
    await requirePython("yaml", "jsonschema"); // the kernel's ynl library imports both
    const out = await new Deno.Command("python3", {
      args: [
        "-c",
        PYYNL,
        `${specs}/../../../tools/net/ynl/pyynl`,
        `${MODULE_SPECS}/nlrtable.yaml`,
        `${specs}/../netlink-raw.yaml`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const py = JSON.parse(new TextDecoder().decode(out.stdout));
    const ours = {
      protonum: nlrtable.protonum,
      msgs: Object.fromEntries(
        Object.values(nlrtable.ops).map((o) => {
          const mode = o.do ?? o.dump;
          if (!mode) return [o.name, [null, o.event]];
          return [o.name, [mode.request!.value, mode.reply?.value ?? null]];
        }),
      ),
      sets: Object.fromEntries(
        Object.values(nlrtable.sets).map((s) => [
          s.name,
          Object.fromEntries(s.attrs.map((a) => [a.name, [a.type, a.kind]])),
        ]),
      ),
      enums: Object.fromEntries(Object.values(nlrtable.enums).map((e) => [e.name, e.entries])),
      structs: Object.fromEntries(
        Object.values(nlrtable.structs).map((s) => [
          s.name,
          s.members.map((m) => [m.name, m.kind, m.len ?? null]),
        ]),
      ),
      consts: Object.fromEntries(
        Object.entries(consts).map(([k, v]) => [k.slice(5).toLowerCase().replaceAll("_", "-"), v]),
      ),
      groups: nlrtable.mcastGroups,
    };
    // the generator's tables leave out unused attributes: the header's NLRT_A_UNSPEC
    const unused = Object.entries(py.sets["nlrt-attrs"] as Record<string, [number, string]>)
      .filter(([, [, t]]) => t === "unused");
    assert.deepEqual(unused, [["unspec", [uapi.NLRT_A.UNSPEC, "unused"]]]);
    for (const [name] of unused) delete py.sets["nlrt-attrs"][name];
    assert.deepEqual(ours, py);
  },
});

Deno.test("nlrtable spec: the generated module has the UAPI names of every part", () => {
  assert.deepEqual(Object.keys(uapi).sort(), ["NLRT_A", "NLRT_GRP", "NLRT_MSG", "NLRT_REASON"]);
  assert.deepEqual(Object.keys(consts).sort(), [
    "NLRT_LIFETIME_MAX_MS",
    "NLRT_TEXT_MAX",
    "NLRT_WATCHERS_MAX",
  ]);
  // the names agree with the tables the codec reads
  const ops = Object.values(nlrtable.ops).filter((o) => o.event === undefined);
  assert.deepEqual(
    uapi.NLRT_MSG,
    Object.fromEntries(
      ops.map((o) => [o.name.toUpperCase(), (o.do ?? o.dump)!.request!.value]),
    ),
  );
  const attrs = nlrtable.sets["nlrt-attrs"].attrs;
  assert.deepEqual(
    uapi.NLRT_A,
    {
      UNSPEC: 0,
      ...Object.fromEntries(attrs.map((a) => [a.name.toUpperCase().replaceAll("-", "_"), a.type])),
    },
  );
  const reason = nlrtable.enums.reason.entries;
  assert.deepEqual(
    uapi.NLRT_REASON,
    Object.fromEntries(Object.entries(reason).map(([k, v]) => [k.toUpperCase(), v])),
  );
  assert.deepEqual(
    uapi.NLRT_GRP,
    Object.fromEntries(
      Object.entries(nlrtable.mcastGroups).map(([k, v]) => [k.toUpperCase(), v]),
    ),
  );
  // every notification is one of the request types, on a group the spec has
  for (const n of Object.values(nlrtable.ops).filter((o) => o.event !== undefined)) {
    assert.ok(Object.values(uapi.NLRT_MSG).includes(n.event!), `${n.name}: type ${n.event}`);
    assert.ok(n.mcgrp && nlrtable.mcastGroups[n.mcgrp] !== undefined, `${n.name}: ${n.mcgrp}`);
  }
});

Deno.test("nlrtable spec: every enum member and define of kmod/nlrtable.h is the generated module's", () => {
  const enums = headerEnums(header);
  // the enums the spec names (enum-name) hold exactly its members
  assert.deepEqual(Object.keys(enums).sort(), [
    "nlrt_attr",
    "nlrt_group",
    "nlrt_msg_type",
    "nlrt_reason",
  ]);
  const members = (obj: string) =>
    Object.fromEntries(Object.entries(uapi[obj]).map(([k, v]) => [`${obj}_${k}`, v]));
  /** ynl-gen-c's count member of an attribute enum, and the groups' ends. */
  const max = (obj: string) => Math.max(...Object.values(uapi[obj]));
  assert.deepEqual(enums.nlrt_msg_type, members("NLRT_MSG"));
  assert.deepEqual(enums.nlrt_reason, members("NLRT_REASON"));
  assert.deepEqual(enums.nlrt_attr, { ...members("NLRT_A"), __NLRT_A_MAX: max("NLRT_A") + 1 });
  assert.deepEqual(enums.nlrt_group, {
    NLRT_GRP_NONE: 0,
    ...members("NLRT_GRP"),
    __NLRT_GRP_MAX: max("NLRT_GRP") + 1,
  });
  const flat = Object.assign({}, ...Object.values(enums)) as Record<string, number>;
  assert.deepEqual(headerDefines(header, flat), {
    NLRT_PROTOCOL_DEFAULT: nlrtable.protonum,
    NLRT_A_MAX: max("NLRT_A"),
    NLRT_GRP_MAX: max("NLRT_GRP"),
    ...consts,
  });
});

Deno.test("nlrtable spec: struct nlrtmsg member by member", () => {
  const body = uncomment(header.match(/struct\s+nlrtmsg\s*\{([^}]*)\}/)![1]);
  const members = [...body.matchAll(/__(u8|u16|u32|u64)\s+(\w+);/g)].map((m) => [m[2], m[1]]);
  const struct = nlrtable.structs.nlrtmsg;
  assert.deepEqual(
    members,
    struct.members.map((m) => [
      m.name.replaceAll("-", "_"),
      m.kind === "pad" ? `u${8 * m.len!}` : m.kind,
    ]),
  );
  const size = members.reduce((n, [, t]) => n + SCALAR_SIZES[t], 0);
  assert.equal(struct.size, size);
});

Deno.test("nlrtable spec: nlrtable.c's policy has the generated types and limits", () => {
  const flat = Object.assign({}, ...Object.values(headerEnums(header))) as Record<string, number>;
  const defines: Record<string, number> = {
    ...headerDefines(header, flat),
    ...headerDefines(source.replace(/^#define pr_fmt.*$/m, ""), flat),
    IFNAMSIZ: 16, // include/uapi/linux/if.h
  };
  const value = (expr: string): number => {
    const m = expr.trim().match(/^(\w+)(?:\s*-\s*(\d+))?$/);
    assert.ok(m, `cannot read the length ${expr}`);
    const base = /^\d+$/.test(m[1]) ? Number(m[1]) : defines[m[1]];
    assert.ok(base !== undefined, `unknown name ${m[1]}`);
    return base - Number(m[2] ?? 0);
  };
  const policy = source.match(/nla_policy\s+nlrt_policy\[[^\]]*\]\s*=\s*\{([\s\S]*?)\n\};/)![1];
  const rows = Object.fromEntries(
    [...policy.matchAll(/\[(NLRT_A_\w+)\]\s*=\s*([^\[]*)/g)].map((m) => [m[1], m[2]]),
  );
  const attrs = nlrtable.sets["nlrt-attrs"].attrs;
  const cName = (name: string) => `NLRT_A_${name.toUpperCase().replaceAll("-", "_")}`;
  const requested = new Set(
    Object.values(nlrtable.ops).flatMap((o) => o.do?.request?.attributes ?? []),
  );
  const kernelType: Record<string, string> = {
    binary: "NLA_BINARY",
    string: "NLA_NUL_STRING",
    u32: "NLA_U32",
  };
  assert.deepEqual(Object.keys(rows).sort(), attrs.map((a) => cName(a.name)).sort());
  for (const a of attrs) {
    const row = rows[cName(a.name)];
    assert.equal(flat[cName(a.name)], a.type, `${a.name}: its number`);
    if (!requested.has(a.name)) {
      assert.match(row, /NLA_REJECT/, `${a.name} is reply-only in the spec`);
      continue;
    }
    assert.ok(row.includes(kernelType[a.kind]), `${a.name}: ${a.kind} but ${row}`);
    const len = row.match(/\.len\s*=\s*([^,}]+)/);
    assert.equal(len ? value(len[1]) : undefined, a.checks?.maxLen, `${a.name}: max-len`);
    const range = row.match(/NLA_POLICY_FULL_RANGE\(\s*\w+,\s*&(\w+)\)/);
    if (range || a.checks?.max !== undefined) {
      assert.ok(range, `${a.name}: the spec's max has no range in the policy`);
      const body = source.match(new RegExp(`${range[1]}\\s*=\\s*\\{([^}]*)\\}`))![1];
      const max = body.match(/\.max\s*=\s*([^,}]+)/)![1];
      const min = body.match(/\.min\s*=\s*([^,}]+)/)?.[1] ?? "0";
      assert.equal(value(max), a.checks?.max, `${a.name}: max`);
      assert.equal(value(min), a.checks?.min ?? 0, `${a.name}: min`);
    }
  }
});
