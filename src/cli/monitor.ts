/**
 * Prints rtnetlink events and uevents as they happen, like `ip monitor`.
 * Overruns are reported, never hidden.
 *
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/monitor [link] [addr] [route] [neigh] [uevent] [--netns NS] [--json]
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/monitor link route uevent --json
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatAddress } from "../address.ts";
import { Rtnl, type RtnlEvent, type RTNLGRP } from "../rtnl/client.ts";
import { type UeventItem, uevents } from "../uevent.ts";
import { toJson } from "./json.ts";

const HELP = `usage: monitor.ts [link] [addr] [route] [neigh] [uevent] [options]

  What to follow (default: all of them).
  --netns NAME    the network namespace to watch
  --count N       stop after N events
  --timeout MS    stop after MS milliseconds
  --json          one JSON object per line
  -h, --help      this text`;

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    netns: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
const known = ["link", "addr", "route", "neigh", "uevent"];
const bad = positionals.filter((p) => !known.includes(p));
if (values.help || bad.length) {
  console.log(HELP);
  Deno.exit(values.help ? 0 : 2);
}
const want = new Set(positionals.length ? positionals : known);
const groups: (keyof typeof RTNLGRP)[] = [];
if (want.has("link")) groups.push("link");
if (want.has("addr")) groups.push("ipv4-ifaddr", "ipv6-ifaddr");
if (want.has("route")) groups.push("ipv4-route", "ipv6-route");
if (want.has("neigh")) groups.push("neigh");

const stop = new AbortController();
const timer = values.timeout ? setTimeout(() => stop.abort(), Number(values.timeout)) : undefined;
const onInt = () => stop.abort();
Deno.addSignalListener("SIGINT", onInt);
let left = values.count ? Number(values.count) : Infinity;

const fmt = (b?: Uint8Array) => (b ? formatAddress(b) : "");
function line(
  e: RtnlEvent | UeventItem | { source: "uevent" } & UeventItem,
): Record<string, unknown> {
  if ("overrun" in e || ("kind" in e && e.kind === "overrun")) {
    return { event: "overrun", note: "events were lost: re-read the state" };
  }
  if ("devpath" in e) return { event: "uevent", ...e };
  switch (e.kind) {
    case "link":
      return {
        event: `${e.action}link`,
        ifindex: e.link.index,
        ifname: e.link.name,
        up: e.link.up,
      };
    case "address":
      return {
        event: `${e.action}addr`,
        ifindex: e.address.index,
        local: `${fmt(e.address.local ?? e.address.address)}/${e.address.prefixLength}`,
      };
    case "route":
      return {
        event: `${e.action}route`,
        dst: e.route.dst ? `${fmt(e.route.dst)}/${e.route.dstLength}` : "default",
        gateway: e.route.gateway ? fmt(e.route.gateway) : undefined,
        oif: e.route.oif,
        table: e.route.table,
      };
    case "neighbour":
      return {
        event: `${e.action}neigh`,
        dst: fmt(e.neighbour.dst),
        ifindex: e.neighbour.index,
        state: e.neighbour.state,
      };
    default:
      return { event: "other", type: e.type };
  }
}

function print(r: Record<string, unknown>): void {
  if (values.json) console.log(toJson(r));
  else {
    console.log(
      Object.entries(r).filter(([, v]) => v !== undefined).map(([k, v]) =>
        k === "event" ? String(v) : `${k} ${typeof v === "object" ? toJson(v) : v}`
      ).join(" "),
    );
  }
  if (--left <= 0) stop.abort();
}

await using rtnl = Rtnl.open({ netns: values.netns });
const streams: AsyncIterable<RtnlEvent | UeventItem>[] = [];
if (groups.length) streams.push(rtnl.events(groups, { signal: stop.signal }));
if (want.has("uevent")) streams.push(uevents({ netns: values.netns, signal: stop.signal }));
await Promise.all(streams.map(async (s) => {
  try {
    for await (const e of s) print(line(e));
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  }
}));
clearTimeout(timer);
Deno.removeSignalListener("SIGINT", onInt);
