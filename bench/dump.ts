/**
 * W1, the library's side: dumps the IPv4 routes as typed route objects
 * (RouteView: lazy, zero-copy) and prints "ms routes" per dump, like
 * c/dump.c. It imports the modules it uses, not all of mod.ts, as a
 * start-up-sensitive script would. With --map, the RouteView is read inside
 * the dump's map callback, over the receive buffer (no copy: libmnl's
 * callback model, as c/dump.c does). With --generic, the eager generated
 * decoder (Rtnl.routes) instead.
 *
 *     deno run --allow-ffi bench/dump.ts <dumps> [--map | --generic] [--rss]
 */
import { NETLINK, NLM_F } from "../src/constants.ts";
import { NetlinkSocket } from "../src/socket.ts";
import { MessageWriter } from "../src/writer.ts";
import { RouteView } from "../src/rtnl/route_view.ts";

const dumps = Number(Deno.args[0] ?? 10);
const generic = Deno.args.includes("--generic");
const mapped = Deno.args.includes("--map");
const sum = (r: RouteView) => (r.oif ?? 0) + r.dstLength + (r.dst?.[0] ?? 0);
await using sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter(32).begin(26, /* RTM_GETROUTE */ NLM_F.DUMP);
w.buffer[w.fixed(12)] = 2; // AF_INET
const request = w.finish().slice();
const rtnl = generic ? (await import("../src/rtnl/client.ts")).Rtnl.open() : undefined;
let checksum = 0;
for (let d = 0; d < dumps; d++) {
  const t0 = performance.now();
  let n = 0;
  if (rtnl) {
    for (const r of await rtnl.routes({ ipVersion: 4, table: 0 })) {
      n++;
      checksum += (r.oif ?? 0) + r.dstLength + (r.dst?.[0] ?? 0);
    }
  } else if (mapped) {
    for await (const s of sock.dump(request.slice(), { map: (m) => sum(new RouteView(m)) })) {
      n++;
      checksum += s;
    }
  } else {
    for await (const m of sock.dump(request.slice())) {
      n++;
      checksum += sum(new RouteView(m));
    }
  }
  console.log(`${(performance.now() - t0).toFixed(3)} ${n}`);
}
await rtnl?.close();
if (Deno.args.includes("--rss")) {
  const hwm = /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1];
  console.log(`rss_kb ${hwm} ${checksum > 0 ? "" : "-"}`);
}
