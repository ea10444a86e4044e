// W4, the library's side: `dumps` link dumps of the netns it runs in, each
// fully decoded through the generated rt-link family into typed Link objects
// (kinds with their data, stats64, operstate by name). One line per dump:
// "ms links". Runs on Deno (the sources) and Node (the npm build):
//   deno run --allow-ffi --allow-read bench/links.mjs <dumps> [module]
//   node bench/links.mjs <dumps> <built esm/src/rtnl/mod.js>
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const [dumps = "1", mod = "../src/rtnl/mod.ts"] = args;
const { Rtnl } = await import(mod);
const rtnl = Rtnl.open();
try {
  for (let i = 0; i < Number(dumps); i++) {
    const t0 = performance.now();
    const links = await rtnl.links();
    const ms = performance.now() - t0;
    // what a caller reads, so that nothing is skipped as unused
    let veth = 0;
    for (const l of links) if (l.info?.kind === "veth" && l.stats64 && l.operstate) veth++;
    console.log(`${ms.toFixed(3)} ${links.length} ${veth}`);
  }
} finally {
  await rtnl.close();
}
