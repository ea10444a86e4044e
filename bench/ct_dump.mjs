// The conntrack row, the library's side: `dumps` dumps of the conntrack
// table of the netns it runs in, each entry decoded into a typed
// ConntrackEntry (addresses as text, ports, status names, TCP state) and
// read, not printed. One line per dump: "ms entries". Runs on Deno (the
// sources) and Node (the npm build):
//   deno run --allow-ffi --allow-read bench/ct_dump.mjs <dumps> [module]
//   node bench/ct_dump.mjs <dumps> <built esm/src/conntrack/mod.js>
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const [dumps = "1", mod = "../src/conntrack/mod.ts"] = args;
const { Conntrack } = await import(mod);
const ct = await Conntrack.open();
let checksum = 0;
try {
  for (let i = 0; i < Number(dumps); i++) {
    const t0 = performance.now();
    let n = 0;
    for await (const e of ct.dump()) {
      n++;
      // what `conntrack -L` prints of each, so that nothing is skipped as unused
      checksum += e.orig.src.length + e.reply.dst.length + (e.orig.sport ?? 0) +
        (e.timeout ?? 0) + e.statusNames.length + (e.tcpState?.length ?? 0) + (e.use ?? 0);
    }
    const ms = performance.now() - t0;
    console.log(`${ms.toFixed(3)} ${n} ${checksum > 0 ? "" : "-"}`);
  }
} finally {
  await ct.close();
}
