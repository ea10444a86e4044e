/**
 * W1, the library's side: dumps the IPv4 routes as typed route objects
 * (RouteView) and prints "ms routes" per dump, like c/dump.c. It imports
 * the modules it uses, not all of mod.ts, as a start-up-sensitive script
 * would. Modes:
 * - default: `dump()` streams owned messages, a RouteView over each;
 * - `--map`: `request()` of the dump collects it with one promise, and
 *   its map callback reads a RouteView in the receive buffer (libmnl's
 *   callback model, as c/dump.c does);
 * - `--generic`: the eager generated decoder (Rtnl.routes).
 *
 * With `--c LIB` (c/dump.c built as a shared object), C dumps run in this
 * same process, alternating with the library's, and each line is
 * "c streamed mapped view floor" in ms (view: mapped, reading dst
 * through a Uint8Array view rather than at `dstAt`; floor: the same dump
 * through Deno FFI with no library, headers walked).
 *
 *     deno run --allow-ffi bench/dump.ts <dumps> [--map | --generic | --c LIB] [--rss]
 */
import { NETLINK, NLM_F } from "../src/constants.ts";
import { NetlinkSocket } from "../src/socket.ts";
import { MessageWriter } from "../src/writer.ts";
import { RouteView } from "../src/rtnl/route_view.ts";

const dumps = Number(Deno.args[0] ?? 10);
const at = Deno.args.indexOf("--c");
const cLib = at >= 0 ? Deno.args[at + 1] : undefined;
const generic = Deno.args.includes("--generic");
await using sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter(32).begin(26, /* RTM_GETROUTE */ NLM_F.DUMP);
w.buffer[w.fixed(12)] = 2; // AF_INET
const request = w.finish().slice();
const rtnl = generic ? (await import("../src/rtnl/client.ts")).Rtnl.open() : undefined;
let checksum = 0;
// dst's first byte, read where it is, as c/dump.c reads it through its pointer
const sum = (r: RouteView) =>
  (r.oif ?? 0) + r.dstLength + (r.dstAt < 0 ? 0 : r.message.data[r.dstAt]);
// the same through a Uint8Array view of dst (an allocation per route)
const sumView = (r: RouteView) => (r.oif ?? 0) + r.dstLength + (r.dst?.[0] ?? 0);
type M = ConstructorParameters<typeof RouteView>[0];
const mapped = { map: (m: M) => sum(new RouteView(m)) };
const mappedView = { map: (m: M) => sumView(new RouteView(m)) };

/** One dump in the given mode: [ms, routes]. */
async function dump(mode: "stream" | "map" | "view" | "generic"): Promise<[number, number]> {
  const t0 = performance.now();
  let n = 0;
  if (mode === "generic") {
    for (const r of await rtnl!.routes({ ipVersion: 4, table: 0 })) {
      n++;
      checksum += (r.oif ?? 0) + r.dstLength + (r.dst?.[0] ?? 0);
    }
  } else if (mode === "map" || mode === "view") {
    for (const s of await sock.request(request.slice(), mode === "map" ? mapped : mappedView)) {
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

/**
 * The floor: the same dump read through Deno FFI with no library, its
 * messages' headers walked and counted (the kernel's share and the
 * runtime's, nothing else). [ms, routes].
 */
function floorDump(): [number, number] {
  const t0 = performance.now();
  const v = new DataView(floor.request.buffer);
  v.setUint32(8, v.getUint32(8, true) + 1, true);
  if (floor.sys.sendTo(floor.fd, floor.request, 0, 0) < 0) throw new Error("floor: send failed");
  let n = 0;
  for (;;) {
    const k = floor.rx.receive(floor.fd, 16, true);
    if (k === -11) continue;
    if (k < 0) throw new Error(`floor: receive failed (${k})`);
    for (let i = 0; i < k; i++) {
      const d = floor.rx.slots[i];
      const len = floor.rx.meta[i * 4];
      const dv = new DataView(d.buffer, d.byteOffset, len);
      for (let o = 0; o < len; o += (dv.getUint32(o, true) + 3) & ~3) {
        if (dv.getUint16(o + 4, true) === 3) return [performance.now() - t0, n]; // DONE
        n++;
      }
    }
  }
}
const floor = await (async () => {
  if (!cLib) return undefined!;
  const { loadSys } = await import("../ffi/deno.ts");
  const sys = loadSys();
  const fd = sys.socket(NETLINK.ROUTE, 3 /* SOCK_RAW */);
  if (fd < 0 || sys.bind(fd, 0) < 0 || sys.connect(fd) < 0) throw new Error("floor: socket");
  sys.setInt(fd, 1, /* SOL_SOCKET */ 33, /* SO_RCVBUFFORCE */ 1 << 20);
  const bytes = request.slice();
  new DataView(bytes.buffer).setUint16(6, NLM_F.REQUEST | NLM_F.DUMP, true);
  return { sys, fd, rx: sys.receiver(16, 32768), request: bytes };
})();

if (cLib) {
  const c = Deno.dlopen(cLib, { w1_dump: { parameters: ["buffer"], result: "f64" } });
  const count = new BigUint64Array(1);
  for (let d = 0; d < dumps; d++) {
    const cMs = c.symbols.w1_dump(count);
    if (cMs < 0) throw new Error("the C reference failed");
    const [streamed, n1] = await dump("stream");
    const [mapMs, n2] = await dump("map");
    const [viewMs, n3] = await dump("view");
    const [floorMs, n4] = floorDump();
    if (n1 !== Number(count[0]) || n2 !== n1 || n3 !== n1 || n4 !== n1) {
      throw new Error(`${count[0]} ${n1} ${n2} ${n3} ${n4} routes`);
    }
    console.log([cMs, streamed, mapMs, viewMs, floorMs].map((x) => x.toFixed(3)).join(" "));
  }
  c.close();
} else {
  const mode = generic ? "generic" : Deno.args.includes("--map") ? "map" : "stream";
  for (let d = 0; d < dumps; d++) {
    const [ms, n] = await dump(mode);
    console.log(`${ms.toFixed(3)} ${n}`);
  }
}
await rtnl?.close();
if (Deno.args.includes("--rss")) {
  const hwm = /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1];
  console.log(`rss_kb ${hwm} ${checksum > 0 ? "" : "-"}`);
}
