// The nftables row, the library's side: `dumps` listings of the whole
// ruleset of the netns it runs in (NftClient.ruleset(): tables, chains,
// sets with their elements, rules with their expressions decoded into
// typed objects), read, not printed. One line per listing: "ms rules".
//   deno run --allow-ffi --allow-read bench/nft_ruleset.mjs <dumps> [module]
//   node bench/nft_ruleset.mjs <dumps> <built esm/src/nft/mod.js>
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const [dumps = "1", mod = "../src/nft/mod.ts"] = args;
const { NftClient } = await import(mod);
const nft = await NftClient.open();
let checksum = 0;
try {
  for (let i = 0; i < Number(dumps); i++) {
    const t0 = performance.now();
    const rs = await nft.ruleset();
    let rules = 0;
    for (const t of rs.tables) {
      rules += t.rules.length;
      for (const r of t.rules) checksum += r.exprs.length + r.chain.length;
      for (const s of t.sets) checksum += s.elements?.length ?? 0;
    }
    const ms = performance.now() - t0;
    console.log(`${ms.toFixed(3)} ${rules} ${checksum > 0 ? "" : "-"}`);
  }
} finally {
  await nft.close();
}
