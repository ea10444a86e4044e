/**
 * The library's request round trip: RTM_GETLINK by index with NLM_F_ACK.
 * Prints one mean per batch (µs), like c/roundtrip.c.
 *
 *     deno run --allow-ffi bench/roundtrip.ts <batches> <per-batch> <ifindex>
 */
import { MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";

const [batches = 10, per = 2000, ifindex = 1] = Deno.args.map(Number);
await using sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter().begin(18 /* RTM_GETLINK */);
w.view.setInt32(w.fixed(16) + 4, ifindex, true);
const bytes = w.finish();
for (let i = 0; i < 20_000; i++) await sock.request(bytes); // let the JIT settle
for (let b = 0; b < batches; b++) {
  const t0 = performance.now();
  for (let i = 0; i < per; i++) {
    const replies = await sock.request(bytes);
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  console.log(((performance.now() - t0) * 1000 / per).toFixed(3));
}
