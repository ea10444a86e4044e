// W3 on Node (the npm build, koffi backend): like roundtrip.ts, and with
// --c LIB alternating in-process with c/roundtrip.c built as a shared
// object (each line "c mapped owned").
//   node bench/roundtrip_node.mjs <built mod.js> <batches> <per-batch> <ifindex> [--c LIB]
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const at = args.indexOf("--c");
const cLib = at >= 0 ? args.splice(at, 2)[1] : undefined;
const [mod, batches = "5", per = "2000", ifindex = "1"] = args;
const { MessageWriter, NETLINK, NetlinkSocket } = await import(mod);
const sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter().begin(18 /* RTM_GETLINK */);
w.view.setInt32(w.fixed(16) + 4, Number(ifindex), true);
const bytes = w.finish();
const map = { map: (m) => m.type };

async function batch(owned) {
  const t0 = performance.now();
  for (let i = 0; i < Number(per); i++) {
    const replies = owned ? await sock.request(bytes) : await sock.request(bytes, map);
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  return (performance.now() - t0) * 1000 / Number(per);
}

// koffi, from the package's own dependencies
const koffi = createRequire(mod)("koffi");
const w3 = cLib ? koffi.load(cLib).func("double w3_batch(int, int)") : undefined;
const cBatch = () => {
  const mean = w3(Number(per), Number(ifindex));
  if (mean < 0) throw new Error("the C reference failed");
  return mean;
};
for (let i = 0; i < 10; i++) {
  if (w3) cBatch();
  await batch(false);
  await batch(true);
}
for (let b = 0; b < Number(batches); b++) {
  const line = w3 ? [cBatch(), await batch(false), await batch(true)] : [await batch(false)];
  console.log(line.map((x) => x.toFixed(3)).join(" "));
}
await sock.close();
