/**
 * nftables flowtables, which this host's kernel lacks, in the VM on
 * Debian's 7.2 (kmod/vm/suite.ts loads the modules below): what the
 * library adds `nft -j list ruleset` shows, what `nft -f` adds the library
 * decodes, field by field; and the rest of a ruleset written on the 7.2
 * kernel reads back the same.
 */
import assert from "node:assert/strict";
import { match, NftClient } from "../../src/nft/mod.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["veth", "nf_tables", "nft_ct", "nf_flow_table", "nf_flow_table_inet"];

// deno-lint-ignore no-explicit-any
type Json = any;

async function nftJson(ns: Netns): Promise<Record<string, Json[]>> {
  const out = JSON.parse(await run("ip", "netns", "exec", ns.name, "nft", "-j", "list", "ruleset"));
  const by: Record<string, Json[]> = { table: [], chain: [], rule: [], flowtable: [] };
  for (const o of out.nftables) {
    const [k] = Object.keys(o);
    if (k !== "metainfo") (by[k] ??= []).push(o[k]);
  }
  return by;
}

Deno.test({
  name: "vm nft: flowtables the library adds nft shows, and nft's the library decodes",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "fa", "type", "veth", "peer", "name", "fb");
    await using nft = await NftClient.open({ netns: ns.name });
    await nft.batch()
      .addTable({ family: "inet", name: "fw" })
      .addFlowtable({
        family: "inet",
        table: "fw",
        name: "ft",
        hook: "ingress",
        priority: 10,
        devices: ["fa", "fb"],
      })
      .addChain({ family: "inet", table: "fw", name: "fwd", hook: "forward", priority: 0 })
      .addRule({
        family: "inet",
        table: "fw",
        chain: "fwd",
        exprs: [...match.ctState("established"), { type: "counter" }, {
          type: "verdict",
          verdict: "accept",
        }],
      })
      .commit();
    let j = await nftJson(ns);
    const [mine] = await nft.listFlowtables();
    assert.equal(j.flowtable.length, 1);
    const ft = j.flowtable[0];
    assert.deepEqual(
      [ft.family, ft.table, ft.name, ft.handle, ft.hook, ft.prio, [...ft.dev].sort()],
      [
        mine.family,
        mine.table,
        mine.name,
        Number(mine.handle),
        mine.hook,
        mine.priority,
        [
          ...mine.devices!,
        ].sort(),
      ],
    );
    assert.deepEqual([ft.hook, ft.prio, [...ft.dev].sort()], ["ingress", 10, ["fa", "fb"]]);
    assert.deepEqual(j.rule[0].expr.map((e: Json) => Object.keys(e)[0]), [
      "match",
      "counter",
      "accept",
    ]);
    await nft.batch().deleteFlowtable({ family: "inet", table: "fw", name: "ft" }).commit();
    assert.deepEqual((await nftJson(ns)).flowtable, []);

    // nft's own flowtable, decoded
    await run(
      "ip",
      "netns",
      "exec",
      ns.name,
      "nft",
      "add flowtable inet fw f2 { hook ingress priority -5; devices = { fb }; }",
    );
    j = await nftJson(ns);
    const [theirs] = await nft.listFlowtables();
    assert.deepEqual(
      { name: theirs.name, hook: theirs.hook, priority: theirs.priority, devices: theirs.devices },
      {
        name: j.flowtable[0].name,
        hook: "ingress",
        priority: j.flowtable[0].prio,
        devices: ["fb"],
      },
    );
    assert.equal(theirs.priority, -5);
    assert.equal(Number(theirs.handle), j.flowtable[0].handle);
  },
});
