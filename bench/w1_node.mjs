// W1 on Node (the npm build, koffi backend): the route dumps of bench/dump.ts,
// with c/dump.c built as a shared object loaded through koffi and called in
// this same process, alternating dump by dump with the library's. Each line
// is "c streamed mapped" in ms: streamed is `for await` over `dump()`, an
// owned RouteView per route; mapped is `request()` with a map callback
// reading a RouteView in the receive buffer.
//   node bench/w1_node.mjs <built esm/mod.js> <dumps> --c LIB
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const at = args.indexOf("--c");
const cLib = at >= 0 ? args.splice(at, 2)[1] : undefined;
const [mod, dumps = "10"] = args;
const { MessageWriter, NETLINK, NLM_F, NetlinkSocket } = await import(mod);
const { RouteView } = await import(new URL("src/rtnl/route_view.js", `file://${mod}`).href);
const sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter(32).begin(26, /* RTM_GETROUTE */ NLM_F.DUMP);
w.buffer[w.fixed(12)] = 2; // AF_INET
const request = w.finish().slice();
let checksum = 0;
// dst's first byte read where it is, as bench/dump.ts and c/dump.c do
const sum = (r) => (r.oif ?? 0) + r.dstLength + (r.dstAt < 0 ? 0 : r.message.data[r.dstAt]);
const mapped = { map: (m) => sum(new RouteView(m)) };

async function dump(mode) {
  const t0 = performance.now();
  let n = 0;
  if (mode === "map") {
    for (const s of await sock.request(request.slice(), mapped)) {
      n++;
      checksum += s;
    }
  } else {
    for await (const m of sock.dump(request.slice())) {
      n++;
      checksum += sum(new RouteView(m));
    }
  }
  return [performance.now() - t0, n];
}

// koffi, from the package's own dependencies
const koffi = createRequire(mod)("koffi");
const c = cLib ? koffi.load(cLib).func("double w1_dump(_Out_ uint64_t *count)") : undefined;
for (let d = 0; d < Number(dumps); d++) {
  let cMs = NaN, count = -1;
  if (c) {
    const out = [0];
    cMs = c(out);
    if (cMs < 0) throw new Error("the C reference failed");
    count = Number(out[0]);
  }
  const [streamed, n1] = await dump("stream");
  const [mapMs, n2] = await dump("map");
  if ((c && n1 !== count) || n2 !== n1) throw new Error(`${count} ${n1} ${n2} routes`);
  console.log(`${cMs.toFixed(3)} ${streamed.toFixed(3)} ${mapMs.toFixed(3)}`);
}
await sock.close();
if (checksum <= 0) console.error("checksum");
