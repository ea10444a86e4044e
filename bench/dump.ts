/**
 * W1, the library's side: dumps the IPv4 routes as typed route objects
 * (RouteView: lazy, zero-copy) and prints "ms routes" per dump, like
 * c/dump.c. With --generic, the eager generated decoder instead.
 *
 *     deno run --allow-ffi bench/dump.ts <dumps> [--generic] [--rss]
 */
import { Rtnl } from "../mod.ts";

const dumps = Number(Deno.args[0] ?? 10);
const generic = Deno.args.includes("--generic");
await using rtnl = Rtnl.open();
let checksum = 0;
for (let d = 0; d < dumps; d++) {
  const t0 = performance.now();
  let n = 0;
  if (generic) {
    for (const r of await rtnl.routes({ ipVersion: 4, table: 0 })) {
      n++;
      checksum += (r.oif ?? 0) + r.dstLength + (r.dst?.[0] ?? 0);
    }
  } else {
    for await (const r of rtnl.routeViews({ ipVersion: 4 })) {
      n++;
      checksum += (r.oif ?? 0) + r.dstLength + (r.dst?.[0] ?? 0);
    }
  }
  console.log(`${(performance.now() - t0).toFixed(3)} ${n}`);
}
if (Deno.args.includes("--rss")) {
  const hwm = /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1];
  console.log(`rss_kb ${hwm} ${checksum > 0 ? "" : "-"}`);
}
