/**
 * Prints rtnetlink events and uevents as they happen, like `ip monitor`.
 * Overruns are reported, never hidden.
 *
 *     deno run --allow-ffi jsr:@netlink-ts/netlink/cli/monitor [link] [address] [route] [neighbour] [rule] [fdb] [nexthop] [vlan] [uevent] [--netns NS] [--json]
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi jsr:@netlink-ts/netlink/cli/monitor link route uevent --json
 * ```
 *
 * @module
 */
import { formatAddress, formatMac } from "../address.ts";
import { Overrun } from "../errors.ts";
import { Rtnl, RTNL_EVENT_GROUPS, type RtnlEvent, type RtnlEventKind } from "../rtnl/client.ts";
import { type UeventItem, uevents } from "../uevent.ts";
import { toJson } from "./json.ts";
import { choice, intOption, parseCli, runCli } from "./usage.ts";

const HELP =
  `usage: monitor.ts [link] [address] [route] [neighbour] [rule] [fdb] [nexthop] [vlan] [uevent] [options]

  What to follow (default: all of them).
  --netns NAME    the network namespace to watch
  --count N       stop after N events
  --timeout MS    stop after MS milliseconds
  --json          one JSON object per line
  -h, --help      this text`;

const cli = { name: "monitor.ts", help: HELP };
const known = [...Object.keys(RTNL_EVENT_GROUPS), "uevent"];
const { values, positionals } = await parsed();

/** The arguments, or the usage error's two lines and exit status 2. */
async function parsed() {
  let out;
  await runCli(cli, () => {
    out = parseCli(cli, {
      netns: { type: "string" },
      count: { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    }, Infinity);
    for (const p of out.positionals) choice("event kind", p, known);
  });
  return out!;
}
const fmt = (b?: Uint8Array) => (b ? formatAddress(b) : "");
function line(
  e: RtnlEvent | UeventItem | { source: "uevent" } & UeventItem,
): Record<string, unknown> {
  if (e instanceof Overrun) {
    return { kind: "overrun", note: "events were lost: re-read the state" };
  }
  if ("devpath" in e) return { kind: "uevent", ...e };
  switch (e.kind) {
    case "link":
      return {
        kind: "link",
        action: e.action,
        ifindex: e.link.index,
        ifname: e.link.name,
        up: e.link.up,
      };
    case "address":
      return {
        kind: "address",
        action: e.action,
        ifindex: e.address.index,
        local: `${fmt(e.address.local ?? e.address.address)}/${e.address.prefixLength}`,
      };
    case "route":
      return {
        kind: "route",
        action: e.action,
        dst: e.route.dst ? `${fmt(e.route.dst)}/${e.route.dstLength}` : "default",
        gateway: e.route.gateway ? fmt(e.route.gateway) : undefined,
        oif: e.route.oif,
        table: e.route.table,
      };
    case "neighbour":
      return {
        kind: "neighbour",
        action: e.action,
        dst: fmt(e.neighbour.dst),
        ifindex: e.neighbour.index,
        state: e.neighbour.state,
      };
    case "rule":
      return {
        kind: "rule",
        action: e.action,
        priority: e.rule.priority,
        from: e.rule.srcLength ? `${fmt(e.rule.src)}/${e.rule.srcLength}` : "all",
        ruleAction: e.rule.action,
        table: e.rule.table || undefined,
      };
    case "fdb":
      return {
        kind: "fdb",
        action: e.action,
        mac: e.entry.lladdr ? formatMac(e.entry.lladdr) : "",
        ifindex: e.entry.index,
        vlan: e.entry.vlan,
        dst: e.entry.dst ? fmt(e.entry.dst) : undefined,
      };
    case "nexthop":
      return {
        kind: "nexthop",
        action: e.action,
        id: e.nexthop.id,
        gateway: e.nexthop.gateway ? fmt(e.nexthop.gateway) : undefined,
        oif: e.nexthop.oif,
        group: e.nexthop.group?.map((g) => `${g.id}/${g.weight}`).join(","),
      };
    case "vlan":
      return {
        kind: "vlan",
        action: e.action,
        ifindex: e.vlan.ifindex,
        vid: e.vlan.vidEnd === undefined ? e.vlan.vid : `${e.vlan.vid}-${e.vlan.vidEnd}`,
        pvid: e.vlan.pvid || undefined,
        untagged: e.vlan.untagged || undefined,
        state: e.vlan.state,
        global: e.vlan.global,
      };
    default:
      return { kind: "other", type: e.type };
  }
}

function show(r: Record<string, unknown>): void {
  if (values.json) console.log(toJson(r));
  else {
    console.log(
      Object.entries(r).filter(([, v]) => v !== undefined).map(([k, v]) =>
        k === "kind" || k === "action" ? String(v) : `${k} ${typeof v === "object" ? toJson(v) : v}`
      ).join(" "),
    );
  }
}

await runCli(cli, async (context) => {
  const count = values.count === undefined
    ? Infinity
    : intOption("--count", values.count, 1, Number.MAX_SAFE_INTEGER);
  // setTimeout takes at most 2**31-1 ms (~24.8 days).
  const timeout = values.timeout === undefined
    ? undefined
    : intOption("--timeout", values.timeout, 1, 2 ** 31 - 1);
  context.netns = values.netns;
  const want = new Set(positionals.length ? positionals : known);
  const kinds = [...want].filter((k) => k !== "uevent") as RtnlEventKind[];

  const stop = new AbortController();
  const timer = timeout === undefined ? undefined : setTimeout(() => stop.abort(), timeout);
  const onInt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInt);
  let left = count;
  const print = (r: Record<string, unknown>) => {
    show(r);
    if (--left <= 0) stop.abort();
  };
  try {
    await using rtnl = Rtnl.open({ netns: values.netns });
    const streams: AsyncIterable<RtnlEvent | UeventItem>[] = [];
    if (kinds.length) streams.push(rtnl.events(kinds, { signal: stop.signal }));
    if (want.has("uevent")) streams.push(uevents({ netns: values.netns, signal: stop.signal }));
    await Promise.all(streams.map(async (s) => {
      try {
        for await (const e of s) print(line(e));
      } catch (e) {
        if (!stop.signal.aborted) throw e;
      }
    }));
  } finally {
    clearTimeout(timer);
    Deno.removeSignalListener("SIGINT", onInt);
  }
});
