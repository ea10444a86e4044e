/**
 * A generic caller for every family with a spec, like the kernel's `ynl`
 * CLI: `--do` or `--dump` an operation, attributes as JSON in, JSON out.
 *
 *     deno run --allow-ffi jsr:@netlink-ts/netlink/cli/ynl --family ethtool --dump linkinfo-get --json '{"header":{"dev-name":"eth0"}}'
 *     deno run --allow-ffi jsr:@netlink-ts/netlink/cli/ynl --family rt-link --dump getlink
 *     deno run --allow-ffi jsr:@netlink-ts/netlink/cli/ynl --list
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
import { NLM_F } from "../constants.ts";
import { NetlinkError } from "../errors.ts";
import { familyTables } from "../families/mod.ts";
import { FamilyClient } from "../ynl/family.ts";
import type { Attrs } from "../ynl/codec.ts";
import type { AttrSpec, FamilySpec } from "../ynl/schema.ts";
import { textBytes, toJson } from "./json.ts";
import { choice, type ErrorContext, parseCli, runCli, UsageError } from "./usage.ts";
import { unknownName } from "../suggest.ts";
import { MessageWriter } from "../writer.ts";
import { encodeAttrs, encodeStruct } from "../ynl/codec.ts";

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

const cli = { name: "ynl.ts", help: HELP };
await runCli(cli, main);

async function main(context: ErrorContext): Promise<void> {
  const { values } = parseCli(cli, {
    family: { type: "string" },
    do: { type: "string" },
    dump: { type: "string" },
    json: { type: "string" },
    header: { type: "string" },
    flags: { type: "string" },
    netns: { type: "string" },
    list: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, 0);
  context.netns = values.netns;
  if (values.list) {
    for (const f of Object.values(familyTables)) {
      console.log(`${f.name} (${f.protocol}): ${Object.keys(f.ops).join(" ")}`);
    }
    Deno.exit(0);
  }
  if (values.family === undefined) throw new UsageError("--family is missing (--list shows them)");
  const names = Object.values(familyTables).map((f) => f.name);
  const spec = Object.values(familyTables).find((f) => f.name === values.family) ??
    fail(unknownName("family", values.family, names));
  const opName = values.do ?? values.dump;
  if (!opName || (values.do && values.dump)) {
    throw new UsageError("give one of --do OP and --dump OP");
  }
  const op = spec.ops[opName] ??
    fail(unknownName(`operation of ${spec.name}`, opName, Object.keys(spec.ops)));
  const kind = values.do ? "do" : "dump";
  if (!op[kind]?.request) {
    fail(`${spec.name} ${opName} has no ${kind} request; try --${kind === "do" ? "dump" : "do"}`);
  }

  /** JSON values to what the codec takes: bytes from text, bigint for 64-bit. */
  function fromJson(f: FamilySpec, setName: string | undefined, obj: Attrs): Attrs {
    const set = setName ? f.sets[setName] : undefined;
    if (!set) return obj;
    const out: Attrs = {};
    for (const [k, v] of Object.entries(obj)) {
      const a: AttrSpec | undefined = set.attrs.find((x) => x.name === k || x.key === k);
      if (!a) fail(unknownName(`attribute of ${setName}`, k, set.attrs.map((x) => x.name)));
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
        return (v as unknown[]).map((x) =>
          a.subType === "nest" ? fromJson(f, a.set, x as Attrs) : x
        );
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

  const FLAGS: Record<string, number> = {
    create: NLM_F.CREATE,
    excl: NLM_F.EXCL,
    replace: NLM_F.REPLACE,
    append: NLM_F.APPEND,
  };
  let flags = 0;
  for (const f of (values.flags ?? "").split(",").filter(Boolean)) {
    flags |= FLAGS[choice("--flags value", f, Object.keys(FLAGS))];
  }

  const request = {
    header: camelKeys(jsonObject("--header", values.header)),
    attrs: fromJson(spec, op.set, jsonObject("--json", values.json)),
  };
  try {
    // Encoded once here: a value the codec refuses is a mistake in the arguments.
    const w = new MessageWriter().begin(0);
    const fixed = op.fixedHeader ?? spec.fixedHeader;
    if (fixed) encodeStruct(spec, fixed, w, request.header);
    encodeAttrs(spec, op.set, w, request.attrs);
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) fail(e.message);
    throw e;
  }
  let client;
  try {
    client = await FamilyClient.open(spec, { netns: values.netns });
  } catch (e) {
    if (e instanceof NetlinkError && e.code === "ENOENT" && spec.protocol !== "netlink-raw") {
      throw new Error(
        `family ${spec.name} is not available in this kernel (is its module loaded?)`,
      );
    }
    throw e;
  }
  await using _client = client;
  const print = (d: { op?: string; header: unknown; attrs: unknown }) =>
    console.log(toJson({ op: d.op, header: d.header, attrs: d.attrs }));
  if (values.dump) { for await (const d of client.dump(opName, request)) print(d); }
  else for (const d of await client.do(opName, request, { flags })) print(d);
}

function fail(message: string): never {
  throw new UsageError(message);
}

/** An option's JSON object, or a UsageError saying what is wrong with it. */
function jsonObject(flag: string, text: string | undefined): Attrs {
  if (text === undefined) return {};
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    fail(`${flag} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(`${flag} takes a JSON object`);
  return v;
}
