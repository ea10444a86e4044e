/**
 * Lists the kernel's generic netlink families, like `genl-ctrl-list`.
 *
 *     deno run --allow-ffi jsr:@netlink-ts/netlink/cli/genl_list [--netns NS] [--json]
 *
 * @example Run it
 * ```sh
 * deno run --allow-ffi jsr:@netlink-ts/netlink/cli/genl_list --json
 * ```
 *
 * @module
 */
import { NETLINK } from "../constants.ts";
import { NetlinkSocket } from "../socket.ts";
import { listFamilies } from "../ynl/family.ts";
import { parseCli, runCli } from "./usage.ts";

const HELP = `usage: genl_list.ts [--netns NAME] [--json]

  Lists every generic netlink family: id, name, version, operations and
  multicast groups.`;

const cli = { name: "genl_list.ts", help: HELP };
await runCli(cli, async (context) => {
  const { values } = parseCli(cli, {
    netns: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, 0);
  context.netns = values.netns;
  await using sock = NetlinkSocket.open(NETLINK.GENERIC, { netns: values.netns });
  const all = [];
  for await (const f of listFamilies(sock)) all.push(f);
  if (values.json) console.log(JSON.stringify(all));
  else {
    for (const f of all) {
      const groups = Object.entries(f.groups).map(([n, id]) => `${n}(${id})`).join(" ");
      console.log(
        `0x${
          f.id.toString(16).padStart(4, "0")
        } ${f.name} version ${f.version}, ${f.ops.length} ops${groups ? `, groups ${groups}` : ""}`,
      );
    }
  }
});
