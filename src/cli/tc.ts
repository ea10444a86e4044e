/**
 * Shows qdiscs, classes and filters like iproute2's `tc`, through {@linkcode Tc}.
 *
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/tc [-s] [--json] qdisc show [dev DEV]
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/tc class show dev DEV
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/tc filter show dev DEV [ingress|egress|root|parent H]
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi jsr:@netlink-ts/netlink/cli/tc -s qdisc show dev eth0
 * ```
 *
 * @module
 */
import { type Filter, type Qdisc, Tc, type TcClass } from "../tc/client.ts";
import type { TcStatistics } from "../tc/stats.ts";
import { toJson } from "./json.ts";
import { choice, parseCli, runCli, UsageError } from "./usage.ts";

const HELP = `usage: tc.ts [options] qdisc show [dev DEV]
       tc.ts [options] class show dev DEV
       tc.ts [options] filter show dev DEV [ingress|egress|root|parent HANDLE]

  -s, --stats     statistics, as tc -s
  --json          one JSON array
  --netns NAME    the network namespace to read (a name or a path)
  -h, --help      this text`;

const cli = { name: "tc.ts", help: HELP };

/** The positional words: OBJECT show [dev DEV] [where]. */
function words(positionals: string[]) {
  const [object, verb, ...rest] = positionals;
  if (object === undefined) throw new UsageError("what to show is missing: qdisc, class or filter");
  const what = choice("object", object, ["qdisc", "class", "filter"]);
  if (verb === undefined) throw new UsageError(`${what}: "show" is missing`);
  choice("command", verb, ["show", "list", "ls"]);
  let dev: string | undefined;
  let parent: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w === "dev") {
      dev = rest[++i];
      if (dev === undefined) throw new UsageError("dev needs a link name");
    } else if (what === "filter" && (w === "ingress" || w === "egress" || w === "root")) {
      parent = w;
    } else if (what === "filter" && w === "parent") {
      parent = rest[++i];
      if (parent === undefined) throw new UsageError("parent needs a handle");
    } else throw new UsageError(`unexpected argument "${w}"`);
  }
  if (what !== "qdisc" && dev === undefined) throw new UsageError(`${what} show needs dev DEV`);
  return { what, dev, parent };
}

await runCli(cli, async (context) => {
  const { values, positionals } = parseCli(cli, {
    stats: { type: "boolean", short: "s" },
    json: { type: "boolean" },
    netns: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, 8);
  const { what, dev, parent } = words(positionals);
  context.netns = values.netns;
  await using tc = Tc.open({ netns: values.netns });
  const names = await tc.linkNames();
  const name = (i: number) => names.get(i) ?? String(i);
  let rows: (Qdisc | TcClass | Filter)[];
  if (what === "qdisc") rows = await tc.qdiscs(dev);
  else if (what === "class") rows = await tc.classes(dev!);
  else rows = await tc.filters(dev!, parent === undefined ? {} : { parent });
  if (values.json) {
    console.log(toJson(rows.map((r) => {
      const { attrs: _, stats, ...rest } = r;
      return { dev: name(r.ifindex), ...rest, ...(values.stats && stats ? { stats } : {}) };
    })));
    return;
  }
  for (const r of rows) {
    console.log(line(what, r, name(r.ifindex)));
    if (values.stats && r.stats) console.log(statsText(r.stats));
  }
});

function where(parent: string): string {
  return parent === "root" ? "root" : `parent ${parent}`;
}

function optionsText(o: Record<string, unknown> | undefined): string {
  if (!o) return "";
  return Object.entries(o)
    .filter(([k, v]) => k !== "kind" && k !== "raw" && v !== undefined && typeof v !== "object")
    .map(([k, v]) => `${k} ${v}`)
    .join(" ");
}

function line(what: string, r: Qdisc | TcClass | Filter, dev: string): string {
  if (what === "filter") {
    const f = r as Filter;
    const o = f.options;
    const parts = [
      `filter ${where(f.parent)} protocol ${f.protocol} pref ${f.prio} ${f.kind} chain ${f.chain}`,
    ];
    if (f.handle) parts.push(`handle ${f.handle}`);
    if (o?.classid) parts.push(`classid ${o.classid}`);
    if (o?.match) parts.push(`match ${toJson(o.match)}`);
    if (o?.flower) parts.push(`flower ${toJson(o.flower)}`);
    if (o?.bpf) parts.push(`bpf ${toJson(o.bpf)}`);
    for (const a of o?.actions ?? []) {
      const extra = a.kind === "mirred"
        ? ` ${a.direction} ${a.mode} to ifindex ${a.ifindex}`
        : a.kind === "police"
        ? ` rate ${a.rate} burst ${a.burst} conform ${a.conform}`
        : "";
      parts.push(`\n  action ${a.kind}${extra} ${a.verdict} index ${a.index}`);
    }
    return parts.join(" ");
  }
  const o = (r as Qdisc).options as Record<string, unknown>;
  return `${what} ${r.kind} ${r.handle} dev ${dev} ${where(r.parent)} ${optionsText(o)}`.trimEnd();
}

function statsText(s: TcStatistics): string {
  const rate = s.bps !== undefined ? `\n rate ${s.bps * 8n}bit ${s.pps}pps` : "";
  return ` Sent ${s.bytes} bytes ${s.packets} pkt (dropped ${s.drops}, overlimits ${s.overlimits} requeues ${s.requeues})\n backlog ${s.backlog}b ${s.qlen}p requeues ${s.requeues}${rate}`;
}
