/**
 * Lists links, addresses, routes or neighbours, like `ip -j link/address/route/neighbour`.
 *
 *     deno run --allow-ffi jsr:@netlink-ts/netlink/cli/dump link|address|route|neighbour [-4|-6] [--netns NS] [--json]
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi jsr:@netlink-ts/netlink/cli/dump route -6 --json
 * ```
 *
 * @module
 */
import { formatAddress } from "../address.ts";
import { Rtnl } from "../rtnl/client.ts";
import { toJson } from "./json.ts";
import { choice, intOption, parseCli, runCli, UsageError } from "./usage.ts";

const HELP = `usage: dump.ts link|address|route|neighbour [options]

  -4, -6          only IPv4 or IPv6 (address, route, neighbour)
  --netns NAME    the network namespace to read (a name or a path)
  --table N       route table (default 254, main; 0 for all)
  --json          one JSON array, as ip -j prints
  -h, --help      this text`;

const cli = { name: "dump.ts", help: HELP };
await runCli(cli, async (context) => {
  const { values, positionals } = parseCli(cli, {
    "4": { type: "boolean" },
    "6": { type: "boolean" },
    netns: { type: "string" },
    table: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, 1);
  if (positionals[0] === undefined) {
    throw new UsageError("what to list is missing: link, address, route or neighbour");
  }
  const what = choice("object", positionals[0], ["link", "address", "route", "neighbour"]);
  if (values["4"] && values["6"]) throw new UsageError("-4 and -6 exclude each other");
  const table = values.table === undefined
    ? undefined
    : intOption("--table", values.table, 0, 2 ** 32 - 1);
  context.netns = values.netns;
  await dump(what, values, table);
});

async function dump(
  what: string,
  values: { "4"?: boolean; "6"?: boolean; netns?: string; json?: boolean },
  table?: number,
): Promise<void> {
  const ipVersion = values["4"] ? 4 : values["6"] ? 6 : undefined;
  const fmt = (b?: Uint8Array) => (b ? formatAddress(b) : undefined);

  await using rtnl = Rtnl.open({ netns: values.netns });
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  let rows: Record<string, unknown>[];
  switch (what) {
    case "link":
      rows = (await rtnl.links()).map((l) => ({
        ifindex: l.index,
        ifname: l.name,
        flags: l.flags,
        up: l.up,
        mtu: l.mtu,
        kind: l.kind,
        address: l.address,
        attrs: l.attrs,
      }));
      break;
    case "address":
      rows = (await rtnl.addresses({ ipVersion })).map((a) => ({
        ifindex: a.index,
        dev: names.get(a.index),
        family: a.family === 2 ? "inet" : "inet6",
        local: fmt(a.local ?? a.address),
        prefixlen: a.prefixLength,
        scope: a.scope,
        label: a.label,
      }));
      break;
    case "route":
      rows = (await rtnl.routes({
        ipVersion,
        table,
      })).map((r) => ({
        dst: r.dst ? `${fmt(r.dst)}/${r.dstLength}` : "default",
        gateway: fmt(r.gateway),
        dev: r.oif === undefined ? undefined : names.get(r.oif),
        prefsrc: fmt(r.prefsrc),
        metric: r.priority,
        table: r.table,
        protocol: r.protocol,
        scope: r.scope,
        type: r.type,
      }));
      break;
    default:
      rows = (await rtnl.neighbours({ ipVersion })).map((n) => ({
        dst: fmt(n.dst),
        dev: names.get(n.index),
        lladdr: n.lladdr,
        state: n.state,
      }));
  }
  if (values.json) console.log(toJson(rows));
  else {
    for (const r of rows) {
      console.log(
        Object.entries(r).filter(([k, v]) => v !== undefined && k !== "attrs")
          .map(([k, v]) => `${k} ${toJson(v).replace(/^"|"$/g, "")}`).join(" "),
      );
    }
  }
}
