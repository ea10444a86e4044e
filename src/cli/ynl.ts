/**
 * A drop-in for the kernel's ynl CLI (tools/net/ynl/pyynl/cli.py of Linux
 * 7.2): the same options, the same output, the same exit codes, driven by
 * the generated family tables instead of the YAML files.
 *
 *     ynl.ts --family rt-link --dump getlink --output-json
 *     ynl.ts --family ethtool --do linkinfo-get --json '{"header":{"dev-name":"eth0"}}'
 *     ynl.ts --list-families
 *
 * `--output-json` prints what cli.py prints, byte for byte (checked op by
 * op against cli.py 7.2 in tests/ynl_cli_compare.test.ts). Without it
 * cli.py prints Python's `pprint`, and so does this (the layout ported),
 * except that a set short enough for its line keeps the kernel's bit order
 * where Python's is its hash order, which changes from run to run.
 *
 * Where it differs, knowingly: `--spec FILE` takes a kernel spec whose
 * family is generated (matched by its file name); `--validate`, `--schema`
 * and `--dbg-small-recv` are accepted and do nothing (the tables are
 * checked when generated); `--list-attrs` prints types without the spec's
 * doc texts, which the tables do not keep; `--multi` sends its operations
 * one after the other, not in one payload; a do's ACK that carries a
 * warning is not printed (a dump's is, as cli.py's "Netlink warning");
 * what cli.py fails on with a Python traceback is one line on stderr here,
 * with the same exit status. `--netns NAME` (not in cli.py) runs in a named
 * network namespace.
 *
 * Exit status: 0, 1 for a netlink error (printed on stdout as
 * `Netlink error: ...`, as cli.py does) or a failure, 2 for bad
 * arguments.
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/ynl --family rt-link --dump getlink --output-json
 * ```
 *
 * @module
 */
import { type ExtAck, NetlinkError, Overrun } from "../errors.ts";
import { familyTables } from "../families/mod.ts";
import { FamilyClient } from "../ynl/family.ts";
import type { Attrs } from "../ynl/codec.ts";
import type { FamilySpec, OpSpec } from "../ynl/schema.ts";
import { own } from "../ynl/schema.ts";
import { pyJson, pyPrettyPrint } from "../ynl/pyvalue.ts";
import { ynlReply } from "../ynl/ynl_view.ts";
import { ynlRequest } from "./ynl_input.ts";
import { opPolicy } from "./ynl_policy.ts";
import { explain } from "./usage.ts";
import { unknownName } from "../suggest.ts";
import { argError, parseYnlArgs, type YnlArgs } from "./ynl_args.ts";
import { netlinkErrorText, opModes, printAttrs, warningText } from "./ynl_text.ts";
import type { Message } from "../message.ts";

const families = Object.values(familyTables);

function findFamily(args: YnlArgs): FamilySpec {
  if (args.family !== undefined) {
    const f = families.find((x) => x.kernelSpec === args.family) ??
      families.find((x) => x.name === args.family);
    if (!f) {
      const names = families.map((x) => x.kernelSpec ?? x.name);
      fatal(
        `Spec file ${args.family}.yaml does not exist: ${
          unknownName("family", args.family, names)
        }`,
      );
    }
    return f;
  }
  const path = args.spec!;
  try {
    if (!Deno.statSync(path).isFile) throw new Error();
  } catch {
    fatal(`Spec file ${path} does not exist`);
  }
  const stem = path.slice(path.lastIndexOf("/") + 1).replace(/\.yaml$/, "");
  return families.find((x) => x.kernelSpec === stem) ??
    fatal(`Spec file ${path}: no generated family has this spec`);
}

/** What cli.py fails on with a traceback (exit 1): one line here, same status. */
function fatal(message: string): never {
  console.error(`ynl.ts: ${message}`);
  Deno.exit(1);
}

async function main(): Promise<void> {
  const args = parseYnlArgs(Deno.args);
  const out = (v: unknown) => console.log(args.outputJson ? pyJson(v) : pyPrettyPrint(v));

  if (args.listFamilies) {
    for (const n of families.map((f) => f.kernelSpec).filter((n) => n !== undefined).sort()) {
      console.log(n);
    }
    return;
  }
  let json: Attrs = {};
  if (args.json) {
    try {
      json = JSON.parse(args.json);
    } catch (e) {
      fatal(`--json is not valid JSON (${(e as Error).message})`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      fatal("--json takes a JSON object");
    }
  }
  const f = findFamily(args);
  if (args.validate) return;
  const processUnknown = args.processUnknown ?? (args.family !== undefined);

  const opOf = (name: string): OpSpec => {
    const op = own(f.ops, name);
    if (!op || op.event !== undefined) {
      const names = Object.values(f.ops).filter((o) => o.event === undefined).map((o) => o.name);
      fatal(unknownName(`operation of ${f.name}`, name, names));
    }
    return op;
  };
  // check the operations before opening anything, as cli.py's lookups fail
  if (args.do) opOf(args.do);
  if (args.dump) opOf(args.dump);

  // cli.py resolves the family before anything else, listings included
  let client: FamilyClient | undefined;
  {
    try {
      client = await FamilyClient.open(f, { netns: args.netns });
    } catch (e) {
      if (e instanceof NetlinkError && e.code === "ENOENT") {
        fatal(`family ${f.name} is not available in this kernel (is its module loaded?)`);
      }
      throw e;
    }
  }
  try {
    if (args.subscribe) {
      try {
        client!.join(args.subscribe);
      } catch {
        fatal(`Multicast group "${args.subscribe}" not present in the family`);
      }
    }
    if (args.listOps) {
      for (const op of Object.values(f.ops)) {
        if (op.event === undefined && op.set && (op.do || op.dump)) {
          console.log(`${op.name}  [ ${opModes(op).join(", ")} ]`);
        }
      }
    }
    if (args.listMsgs) {
      for (const op of Object.values(f.ops)) {
        console.log(`${op.name}  [ ${opModes(op).join(", ")} ]`);
      }
    }
    if (args.listAttrs !== undefined) {
      const op = own(f.ops, args.listAttrs);
      if (!op) {
        console.log(`Operation ${args.listAttrs} not found`);
        Deno.exit(1);
      }
      printAttrs(f, op);
    }
    if (!client) return;
    let doOp = args.do, dumpOp = args.dump;
    if (args.policy) {
      for (const [name, mode] of [[doOp, "do"], [dumpOp, "dump"]] as const) {
        if (name) out(await opPolicy(f, client.familyId, name, mode, args.netns));
      }
      doOp = dumpOp = undefined;
    }
    const view = (op: OpSpec, m: Message) => {
      const genl = f.protocol !== "netlink-raw" ? 4 : 0;
      const payload = m.data.subarray(m.offset + m.headerSize + genl, m.offset + m.length);
      return ynlReply(f, op, payload, { processUnknown });
    };
    const replyValue = (op: OpSpec, kind: "do" | "dump") =>
      (op[kind] ?? op.do ?? op.dump)?.reply?.value;
    const mine = (op: OpSpec, kind: "do" | "dump", m: Message) => {
      const want = replyValue(op, kind);
      const got = f.protocol !== "netlink-raw" ? m.data[m.offset + m.headerSize] : m.type;
      return want === undefined || want === got;
    };
    const request = (op: OpSpec, vals: Attrs) => {
      const r = ynlRequest(f, op, vals);
      return op.fixedHeader ?? f.fixedHeader ? r : { attrs: r.attrs };
    };
    const doOne = async (name: string, vals: Attrs) => {
      const op = opOf(name);
      const replies = await client!.doMessages(name, request(op, vals), {
        flags: args.flags,
      });
      const decoded = replies.filter((m) => mine(op, "do", m)).map((m) => view(op, m));
      return decoded.length === 0 ? null : decoded.length === 1 ? decoded[0] : decoded;
    };
    try {
      if (doOp) out(await doOne(doOp, json));
      if (dumpOp) {
        const op = opOf(dumpOp);
        const all: unknown[] = [];
        const onWarning = (x: ExtAck, m: Message) => console.log(warningText(x, m));
        for await (const m of client.dumpMessages(dumpOp, request(op, json), { onWarning })) {
          if (mine(op, "dump", m)) all.push(view(op, m));
        }
        out(all);
      }
      if (args.multi.length) {
        const results: unknown[] = [];
        for (const [name, text] of args.multi) results.push(await doOne(name, JSON.parse(text)));
        out(results);
      }
      if (args.subscribe) {
        const signal = args.duration === undefined
          ? undefined
          : AbortSignal.timeout(args.duration * 1000);
        const byValue = new Map<number, OpSpec>();
        for (const op of Object.values(f.ops)) {
          const v = op.event ?? replyValue(op, "do");
          if (v !== undefined) byValue.set(v, op);
        }
        try {
          for await (const e of client.events({ signal })) {
            if (e instanceof Overrun) continue;
            const op = byValue.get(e.op === undefined ? e.message.type : e.cmd) ??
              byValue.get(f.protocol === "netlink-raw" ? e.message.type : e.cmd);
            if (op) out({ name: op.name, msg: view(op, e.message) });
          }
        } catch (e) {
          if (!(e instanceof DOMException && e.name === "TimeoutError")) throw e;
        }
      }
    } catch (e) {
      if (e instanceof NetlinkError) {
        const op = own(f.ops, args.do ?? args.dump ?? "");
        // stdout as cli.py prints it; stderr says it the project's way (errno name, the fix)
        console.log(netlinkErrorText(e, op ? f.sets[op.set] : undefined));
        console.error(`ynl.ts: ${explain(e, { netns: args.netns })}`);
        Deno.exit(1);
      }
      throw e;
    }
  } finally {
    await client?.close();
  }
}

function netnsOf(argv: string[]): string | undefined {
  const i = argv.indexOf("--netns");
  return i < 0 ? argv.find((a) => a.startsWith("--netns="))?.slice(8) : argv[i + 1];
}

try {
  await main();
} catch (e) {
  if (e instanceof Error && e.name === "YnlArgsError") argError(e.message);
  if (e instanceof Error && e.name === "YnlException") fatal(e.message);
  fatal(explain(e, { netns: netnsOf(Deno.args) }));
}
