// W3 on Node (the npm build, koffi backend): like roundtrip.ts.
//   node bench/roundtrip_node.mjs <built mod.js> <batches> <per-batch> <ifindex> [owned]
const [mod, batches = "5", per = "2000", ifindex = "1", mode] = process.argv.slice(2);
const options = mode === "owned" ? {} : { map: (m) => m.type };
const { MessageWriter, NETLINK, NetlinkSocket } = await import(mod);
const sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter().begin(18 /* RTM_GETLINK */);
w.view.setInt32(w.fixed(16) + 4, Number(ifindex), true);
const bytes = w.finish();
for (let i = 0; i < 20_000; i++) await sock.request(bytes, options);
for (let b = 0; b < Number(batches); b++) {
  const t0 = performance.now();
  for (let i = 0; i < Number(per); i++) {
    const replies = await sock.request(bytes, options);
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  console.log(((performance.now() - t0) * 1000 / Number(per)).toFixed(3));
}
await sock.close();
