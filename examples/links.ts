/**
 * Lists the network interfaces of a namespace (or this one) and then
 * prints link events until interrupted.
 *
 *     deno run --allow-ffi examples/links.ts [netns]
 */
import {
  type AttributeDecoder,
  MessageWriter,
  NETLINK,
  NetlinkSocket,
  NLM_F,
  Overrun,
} from "../mod.ts";
import { parseCli, runCli } from "../src/cli/usage.ts";

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const IFLA_IFNAME = 3;
const RTNLGRP_LINK = 1;

function describe(ad: AttributeDecoder): string {
  while (ad.next()) if (ad.type === IFLA_IFNAME) return ad.string();
  return "?";
}

const cli = {
  name: "links.ts",
  help: "usage: links.ts [NETNS]\n\n  Lists the links, then prints link events until Ctrl-C.",
};
await runCli(cli, async (context) => {
  const netns = parseCli(cli, { help: { type: "boolean", short: "h" } }, 1).positionals[0];
  context.netns = netns;
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns, groups: [RTNLGRP_LINK] });

  const dump = new MessageWriter().begin(RTM_GETLINK, NLM_F.DUMP);
  dump.fixed(16); // struct ifinfomsg
  for await (const link of sock.dump(dump)) {
    const index = new DataView(link.data.buffer, link.data.byteOffset).getInt32(
      link.offset + 20,
      true,
    );
    console.log(`${index}: ${describe(link.attributes(16))}`);
  }

  console.log("watching link events (Ctrl-C to stop)");
  const stop = new AbortController();
  const onInt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInt);
  try {
    for await (const ev of sock.events({ signal: stop.signal })) {
      if (ev instanceof Overrun) console.log("overrun: events were lost");
      else console.log(`${ev.type === RTM_NEWLINK ? "new" : "del"} ${describe(ev.attributes(16))}`);
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
  }
});
