/**
 * Lists links, addresses, routes or neighbours as `ip -j` does: the same
 * objects, keys and values (names, not numbers; ip's defaults left out).
 *
 *     deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/dump link|address|route|neighbour [show] [table ID] [proxy] [-4|-6] [-d] [--netns NS] [--json]
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi --allow-read jsr:@netlink-ts/netlink/cli/dump route -6 --json
 * ```
 *
 * @module
 */
// Static: every listing needs the socket, rt-link and the link formatter, and a
// static graph loads in one go; each object's own family is imported on demand.
import { show } from "./ip_json/show.ts";
import { choice, intOption, parseCli, runCli, UsageError } from "./usage.ts";

const HELP = `usage: dump.ts link|address|route|neighbour [show] [ARGS] [options]

  route [show] [table ID|all]   a routing table (default main), by name or number
  neighbour [show] [proxy]      the proxy entries instead
  -4, -6          only IPv4 or IPv6
  -d, --details   the details, as ip -d
  --netns NAME    the network namespace to read (a name or a path)
  --table ID      as "table ID"
  --json          one JSON array, as ip -j prints
  -h, --help      this text`;

const OBJECTS = ["link", "address", "route", "neighbour"] as const;
const ALIASES: Record<string, (typeof OBJECTS)[number]> = {
  l: "link",
  a: "address",
  addr: "address",
  r: "route",
  n: "neighbour",
  neigh: "neighbour",
  neighbor: "neighbour",
};

const cli = { name: "dump.ts", help: HELP };
await runCli(cli, async (context) => {
  const { values, positionals } = parseCli(cli, {
    "4": { type: "boolean" },
    "6": { type: "boolean" },
    details: { type: "boolean", short: "d" },
    netns: { type: "string" },
    table: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, 4);
  const [first, ...rest] = positionals;
  if (first === undefined) {
    throw new UsageError("what to list is missing: link, address, route or neighbour");
  }
  const what = ALIASES[first] ?? choice("object", first, OBJECTS);
  if (values["4"] && values["6"]) throw new UsageError("-4 and -6 exclude each other");
  if (rest[0] === "show" || rest[0] === "list") rest.shift();
  let tableText = values.table;
  let tableFlag = "--table";
  let proxy = false;
  while (rest.length) {
    const word = rest.shift()!;
    if (what === "route" && word === "table" && rest.length) {
      [tableText, tableFlag] = [rest.shift(), "table"];
    } else if (what === "neighbour" && word === "proxy") proxy = true;
    else throw new UsageError(`${what}: unexpected argument "${word}"`);
  }
  context.netns = values.netns;
  const table = tableText === undefined ? undefined : await tableArg(tableFlag, tableText);
  const rows = await show(what, {
    ipVersion: values["4"] ? 4 : values["6"] ? 6 : undefined,
    details: values.details,
    netns: values.netns,
    table,
    proxy,
  });
  if (values.json) console.log(JSON.stringify(rows));
  else for (const r of rows) console.log(text(r as Record<string, unknown>));
});

/** A table by name (ip's rt_tables), number, or "all" (0). */
async function tableArg(flag: string, word: string): Promise<number> {
  if (word === "all") return 0;
  const { tableId } = await import("./ip_json/names.ts");
  const id = tableId(word);
  if (id !== undefined) return id;
  if (/^\d+$/.test(word)) return intOption(flag, word, 0, 2 ** 32 - 1);
  throw new UsageError(
    `${flag} takes a whole number from 0 to 4294967295, a name from rt_tables or "all", not ${
      JSON.stringify(word)
    }`,
  );
}

/** One object as a line of "key value" pairs. */
function text(r: Record<string, unknown>): string {
  return Object.entries(r).map(([k, v]) => `${k} ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}
