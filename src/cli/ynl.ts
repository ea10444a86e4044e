/**
 * A generic caller for every family with a spec, like the kernel's `ynl`
 * CLI: `--do` or `--dump` an operation, attributes as JSON in, JSON out.
 *
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/ynl --family ethtool --dump linkinfo-get --json '{"header":{"dev-name":"eth0"}}'
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/ynl --family rt-link --dump getlink
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/ynl --list
 *
 * Binary attributes take an address ("10.0.0.1", "fe80::1"), a MAC or hex.
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/ynl --family ethtool --dump linkinfo-get
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { NLM_F } from "../constants.ts";
import { NetlinkError } from "../errors.ts";
import { familyTables } from "../families/mod.ts";
import { FamilyClient } from "../ynl/family.ts";
import type { Attrs } from "../ynl/codec.ts";
import type { AttrSpec, FamilySpec } from "../ynl/schema.ts";
import { textBytes, toJson } from "./json.ts";

const HELP = `usage: ynl.ts --family NAME (--do OP | --dump OP) [options]
       ynl.ts --list

  --family NAME   a family with a spec (see --list), e.g. rt-link, ethtool
  --do OP         run an operation's do request
  --dump OP       run an operation's dump request
  --json TEXT     the request's attributes as JSON (spec names or camelCase)
  --header TEXT   the fixed header's fields as JSON (raw families)
  --flags LIST    extra request flags: create,excl,replace,append
  --netns NAME    the network namespace to talk to
  --list          the families and their operations
  -h, --help      this text

Prints one JSON object per reply: {"op","header","attrs"}.`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    family: { type: "string" },
    do: { type: "string" },
    dump: { type: "string" },
    json: { type: "string" },
    header: { type: "string" },
    flags: { type: "string" },
    netns: { type: "string" },
    list: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
if (values.list) {
  for (const f of Object.values(familyTables)) {
    console.log(`${f.name} (${f.protocol}): ${Object.keys(f.ops).join(" ")}`);
  }
  Deno.exit(0);
}
const spec = Object.values(familyTables).find((f) => f.name === values.family);
const opName = values.do ?? values.dump;
if (!spec || !opName || (values.do && values.dump)) {
  console.error(spec ? HELP : `unknown family ${values.family}; --list shows them`);
  Deno.exit(2);
}
const op = spec.ops[opName];
if (!op) {
  console.error(`${spec.name} has no operation ${opName}: ${Object.keys(spec.ops).join(" ")}`);
  Deno.exit(2);
}

/** JSON values to what the codec takes: bytes from text, bigint for 64-bit. */
function fromJson(f: FamilySpec, setName: string | undefined, obj: Attrs): Attrs {
  const set = setName ? f.sets[setName] : undefined;
  if (!set) return obj;
  const out: Attrs = {};
  for (const [k, v] of Object.entries(obj)) {
    const a: AttrSpec | undefined = set.attrs.find((x) => x.name === k || x.key === k);
    if (!a) throw new TypeError(`${setName} has no attribute ${k}`);
    out[a.key] = convert(f, a, v);
  }
  return out;
}

function convert(f: FamilySpec, a: AttrSpec, v: unknown): unknown {
  if (a.multi && Array.isArray(v)) return v.map((x) => convert(f, { ...a, multi: false }, x));
  switch (a.kind) {
    case "nest":
      return fromJson(f, a.set, v as Attrs);
    case "binary":
      return typeof v === "string" ? textBytes(v) : v;
    case "u64":
    case "s64":
      return BigInt(v as string);
    case "indexed-array":
      return (v as unknown[]).map((x) => a.subType === "nest" ? fromJson(f, a.set, x as Attrs) : x);
    default:
      return v;
  }
}

const camelKeys = (o: Attrs) =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [
      k.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      v,
    ]),
  );

let flags = 0;
for (const f of (values.flags ?? "").split(",").filter(Boolean)) {
  const bit =
    { create: NLM_F.CREATE, excl: NLM_F.EXCL, replace: NLM_F.REPLACE, append: NLM_F.APPEND }[f];
  if (!bit) throw new TypeError(`unknown flag ${f}`);
  flags |= bit;
}

try {
  await using client = await FamilyClient.open(spec, { netns: values.netns });
  const request = {
    header: camelKeys(JSON.parse(values.header ?? "{}")),
    attrs: fromJson(spec, op.set, JSON.parse(values.json ?? "{}")),
  };
  const print = (d: { op?: string; header: unknown; attrs: unknown }) =>
    console.log(toJson({ op: d.op, header: d.header, attrs: d.attrs }));
  if (values.dump) { for await (const d of client.dump(opName, request)) print(d); }
  else for (const d of await client.do(opName, request, { flags })) print(d);
} catch (e) {
  if (e instanceof NetlinkError) {
    console.error(`error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
