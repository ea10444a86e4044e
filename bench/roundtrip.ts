/**
 * The library's request round trip: RTM_GETLINK by index with NLM_F_ACK.
 * Prints one mean per batch (µs), like c/roundtrip.c. By default each reply
 * is read by a `map` callback in the receive buffer, as c/roundtrip.c's
 * callback reads it in libmnl's; with `owned`, the reply is copied out and
 * returned as a Message.
 *
 * With `--c LIB` (c/roundtrip.c built as a shared object), batches of the
 * C reference run in this same process, alternating with the library's,
 * and each line is "c mapped owned": the three see the same CPU at the
 * same moments, which separate processes on a shared machine do not.
 *
 *     deno run --allow-ffi bench/roundtrip.ts <batches> <per-batch> <ifindex> [owned] [--c LIB]
 */
import { MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";

const at = Deno.args.indexOf("--c");
const cLib = at >= 0 ? Deno.args[at + 1] : undefined;
const args = at >= 0 ? Deno.args.toSpliced(at, 2) : Deno.args;
const [batches = 10, per = 2000, ifindex = 1] = args.slice(0, 3).map(Number);
const owned = args[3] === "owned";
await using sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter().begin(18 /* RTM_GETLINK */);
w.view.setInt32(w.fixed(16) + 4, ifindex, true);
const bytes = w.finish();
const map = { map: (m: { type: number }) => m.type };

async function batch(owned: boolean): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < per; i++) {
    const replies = owned ? await sock.request(bytes) : await sock.request(bytes, map);
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  return (performance.now() - t0) * 1000 / per;
}

if (cLib) {
  const c = Deno.dlopen(cLib, {
    w3_batch: { parameters: ["i32", "i32"], result: "f64" },
  });
  const cBatch = () => {
    const mean = c.symbols.w3_batch(per, ifindex);
    if (mean < 0) throw new Error("the C reference failed");
    return mean;
  };
  for (let i = 0; i < 10; i++) cBatch(), await batch(false), await batch(true); // warm-up
  for (let b = 0; b < batches; b++) {
    const line = [cBatch(), await batch(false), await batch(true)];
    console.log(line.map((x) => x.toFixed(3)).join(" "));
  }
  c.close();
} else {
  for (let i = 0; i < 10; i++) await batch(owned); // let the JIT settle
  for (let b = 0; b < batches; b++) console.log((await batch(owned)).toFixed(3));
}
