/**
 * kmod/nlrtable.yaml (the module's protocol in the YNL schema) against the
 * module's sources: every name and number of the UAPI header kmod/nlrtable.h,
 * the layout of struct nlrtmsg, and the attribute policy in nlrtable.c, both
 * ways (a name on one side only fails).
 */
import assert from "node:assert/strict";
import { parse } from "yaml";

const read = (p: string) => Deno.readTextFile(new URL(`../kmod/${p}`, import.meta.url));
const spec = parse(await read("nlrtable.yaml"));
const header = await read("nlrtable.h");
const source = await read("nlrtable.c");

const C = (s: string) => s.toUpperCase().replaceAll("-", "_");

interface Attr {
  name: string;
  type: string;
  checks?: { "max-len"?: number | string };
}
interface Op {
  name: string;
  notify?: string;
  value?: number;
  do?: { request?: { value: number; attributes?: string[] } };
  dump?: { request?: { value: number; attributes?: string[] } };
}
const attrs: Attr[] = spec["attribute-sets"][0].attributes;
const ops: Op[] = spec.operations.list;
const defs: { name: string; type: string; value?: number; entries?: unknown[] }[] =
  spec.definitions;

/** `enum NAME { A = 1, ... };` blocks of the header, by enum name. */
function headerEnums(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const m of text.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    const body = m[2].replace(/\/\*[\s\S]*?\*\//g, "");
    out[m[1]] = Object.fromEntries(
      [...body.matchAll(/(\w+)\s*=\s*(\d+)/g)].map((e) => [e[1], Number(e[2])]),
    );
  }
  return out;
}

/** `#define NAME number` lines. */
function numericDefines(text: string): Record<string, number> {
  return Object.fromEntries(
    [...text.matchAll(/^#define\s+(\w+)\s+(\d+)\b/gm)].map((m) => [m[1], Number(m[2])]),
  );
}

Deno.test("nlrtable spec: the header's enums are the spec's operations, reasons, attributes, groups", () => {
  const enums = headerEnums(header);
  const requests = ops.filter((o) => !o.notify);
  const msg = Object.fromEntries(
    requests.map((o) => [`NLRT_MSG_${C(o.name)}`, (o.do ?? o.dump)!.request!.value]),
  );
  assert.deepEqual(enums.nlrt_msg_type, msg);

  const reason = defs.find((d) => d.name === "reason")!;
  assert.deepEqual(
    enums.nlrt_reason,
    Object.fromEntries(
      (reason.entries as { name: string }[]).map((e, i) => [`NLRT_REASON_${C(e.name)}`, i]),
    ),
  );

  assert.deepEqual(enums.nlrt_attr, {
    NLRT_A_UNSPEC: 0,
    ...Object.fromEntries(attrs.map((a, i) => [`NLRT_A_${C(a.name)}`, i + 1])),
    __NLRT_A_MAX: attrs.length + 1,
  });

  const groups: { name: string; value: number }[] = spec["mcast-groups"].list;
  assert.deepEqual(enums.nlrt_group, {
    NLRT_GRP_NONE: 0,
    ...Object.fromEntries(groups.map((g) => [`NLRT_GRP_${C(g.name)}`, g.value])),
    __NLRT_GRP_MAX: Math.max(...groups.map((g) => g.value)) + 1,
  });
  // Every notification is one of the request types, sent to a group the spec has.
  for (const n of ops.filter((o) => o.notify)) {
    assert.ok(Object.values(msg).includes(n.value!), `${n.name}: value ${n.value}`);
  }
  assert.deepEqual(Object.keys(enums).sort(), [
    "nlrt_attr",
    "nlrt_group",
    "nlrt_msg_type",
    "nlrt_reason",
  ]);
});

Deno.test("nlrtable spec: the header's numeric defines are the spec's protonum and consts", () => {
  const consts = defs.filter((d) => d.type === "const");
  assert.deepEqual(numericDefines(header), {
    NLRT_PROTOCOL_DEFAULT: spec.protonum,
    ...Object.fromEntries(consts.map((d) => [`NLRT_${C(d.name)}`, d.value])),
  });
});

Deno.test("nlrtable spec: struct nlrtmsg member by member", () => {
  const body = header.match(/struct\s+nlrtmsg\s*\{([^}]*)\}/)![1].replace(/\/\*[\s\S]*?\*\//g, "");
  const members = [...body.matchAll(/__(u8|u16|u32)\s+(\w+);/g)].map((m) => [m[2], m[1]]);
  const struct = defs.find((d) => d.name === "nlrtmsg") as unknown as {
    members: { name: string; type: string; len?: number }[];
  };
  assert.deepEqual(
    members,
    struct.members.map((m) => [
      m.name.replaceAll("-", "_"),
      m.type === "pad" ? (assert.equal(m.len, 1), "u8") : m.type,
    ]),
  );
});

Deno.test("nlrtable spec: nlrtable.c's policy has the spec's types and lengths", () => {
  const defines: Record<string, number> = {
    ...numericDefines(header),
    ...numericDefines(source),
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
  const requested = new Set(ops.flatMap((o) => o.do?.request?.attributes ?? []));
  const kernelType: Record<string, string> = {
    binary: "NLA_BINARY",
    string: "NLA_NUL_STRING",
    u32: "NLA_U32",
  };
  assert.deepEqual(Object.keys(rows).sort(), attrs.map((a) => `NLRT_A_${C(a.name)}`).sort());
  for (const a of attrs) {
    const row = rows[`NLRT_A_${C(a.name)}`];
    if (!requested.has(a.name)) {
      assert.match(row, /NLA_REJECT/, `${a.name} is reply-only in the spec`);
      continue;
    }
    assert.ok(row.includes(kernelType[a.type]), `${a.name}: ${a.type} but ${row}`);
    const max = a.checks?.["max-len"];
    if (max !== undefined) {
      const len = row.match(/\.len\s*=\s*([^,}]+)/);
      assert.ok(len, `${a.name}: no .len in the policy`);
      const want = typeof max === "number" ? max : defines[`NLRT_${C(max)}`];
      assert.equal(value(len[1]), want, `${a.name}: max-len`);
    }
  }
});
