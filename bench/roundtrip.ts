/**
 * The library's request round trip: RTM_GETLINK by index with NLM_F_ACK.
 * Prints one mean per batch (µs), like c/roundtrip.c. By default each reply
 * is read by a `map` callback in the receive buffer, as c/roundtrip.c's
 * callback reads it in libmnl's; with `owned`, the reply is copied out and
 * returned as a Message.
 *
 *     deno run --allow-ffi bench/roundtrip.ts <batches> <per-batch> <ifindex> [owned]
 */
import { MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";

const [batches = 10, per = 2000, ifindex = 1] = Deno.args.slice(0, 3).map(Number);
const owned = Deno.args[3] === "owned";
await using sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter().begin(18 /* RTM_GETLINK */);
w.view.setInt32(w.fixed(16) + 4, ifindex, true);
const bytes = w.finish();
const map = { map: (m: { type: number }) => m.type };
const once = () => owned ? sock.request(bytes) : sock.request(bytes, map);
for (let i = 0; i < 20_000; i++) await once(); // let the JIT settle
for (let b = 0; b < batches; b++) {
  const t0 = performance.now();
  for (let i = 0; i < per; i++) {
    const replies = await once();
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  console.log(((performance.now() - t0) * 1000 / per).toFixed(3));
}
