/**
 * nftables transactions that fail: a batch with one bad rule changes
 * nothing (as `nft -j list ruleset` and the generation show) and names
 * the rule, its index and the kernel's error; input the library cannot
 * encode is a typed error naming the field, and nothing is sent.
 */
import assert from "node:assert/strict";
import {
  type Expr,
  match,
  NftBatchError,
  NftClient,
  NftInputError,
  type NftRule,
} from "../src/nft/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";
import { nftFile, nftJson } from "./helpers/nft.ts";
import { requireTools } from "./helpers/tools.ts";

loadSys();

const F = "inet", T = "fw";
const verdict = (v: "accept" | "drop"): Expr => ({ type: "verdict", verdict: v });

Deno.test({
  name: "nft: a batch with one bad rule changes nothing and names the rule",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await nftFile(ns, "table inet keep {\n chain c {\n accept\n }\n}\n");
    const before = await nftJson(ns);
    await using nft = await NftClient.open({ netns: ns.name });
    const gen = await nft.generation();
    const b = nft.batch()
      .addTable({ family: "inet", name: T })
      .addChain({ family: "inet", table: T, name: "in", hook: "input", priority: 0 })
      .addRule({
        family: F,
        table: T,
        chain: "in",
        exprs: [...match.iifname("lo"), verdict("accept")],
      })
      .addRule({
        family: F,
        table: T,
        chain: "in",
        comment: "the bad one",
        exprs: [{ type: "verdict", verdict: "jump", chain: "nowhere" }],
      })
      .addRule({ family: F, table: T, chain: "in", exprs: [verdict("drop")] })
      .flushChain({ family: "inet", table: "keep", name: "c" });
    const e = await b.commit().then(() => undefined, (e) => e);
    assert.ok(e instanceof NftBatchError, String(e));
    assert.equal(e.failures.length, 1);
    const f = e.first;
    assert.equal(f.index, 3);
    assert.equal(f.op, "add rule");
    assert.match(f.label, /rule inet fw in #1 "the bad one"/);
    assert.equal((f.object as NftRule).comment, "the bad one");
    assert.equal(f.error.code, "ENOENT");
    assert.equal(f.expr, 0, "the extended ACK points at the jump");
    assert.match(e.message, /operation 3 \(add rule inet fw in #1 "the bad one"\): ENOENT/);
    // nothing applied: not the new table, not the flush of the old chain
    assert.deepEqual(await nftJson(ns), before);
    assert.equal(await nft.generation(), gen);
    // two bad operations: both named, in batch order
    const two = await nft.batch()
      .addRule({ family: F, table: "keep", chain: "missing", exprs: [] })
      .addRule({
        family: F,
        table: "keep",
        chain: "c",
        exprs: [{ type: "lookup", set: "nope", sreg: 1 }],
      })
      .commit().then(() => undefined, (e) => e);
    assert.ok(two instanceof NftBatchError);
    assert.deepEqual(two.failures.map((x) => [x.index, x.error.code]), [[0, "ENOENT"], [
      1,
      "ENOENT",
    ]]);
    assert.equal(two.failures[1].expr, 0);
    assert.deepEqual(await nftJson(ns), before);
  },
});

Deno.test({
  name: "nft: bad input is a typed error naming the field, and nothing is sent",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    const gen = await nft.generation();
    const rule = (exprs: unknown[]): Promise<unknown> =>
      nft.batch().addTable({ family: "inet", name: T }).addRule({
        family: F,
        table: T,
        chain: "c",
        exprs: exprs as Expr[],
      }).commit();
    const cases: [() => Promise<unknown>, RegExp][] = [
      [
        () => nft.batch().addTable({ family: "ipx" as "ip", name: T }).commit(),
        /table\.family: unknown family "ipx"/,
      ],
      [
        () => nft.batch().addTable({ family: "ip", name: "" }).commit(),
        /table\.name: must be a name/,
      ],
      [
        () =>
          nft.batch().addChain({ family: "ip", table: T, name: "c", hook: "inptu" as "input" })
            .commit(),
        /chain\.hook: unknown hook "inptu"/,
      ],
      [
        () =>
          nft.batch().addChain({
            family: "ip",
            table: T,
            name: "c",
            hook: "input",
            policy: "allow" as "accept",
          }).commit(),
        /chain\.policy: must be "accept" or "drop"/,
      ],
      [
        () => nft.batch().addChain({ family: "ip", table: T, name: "c", priority: 5 }).commit(),
        /only a base chain/,
      ],
      [
        () => rule([{ type: "meta", key: "iiffname", dreg: 1 }]),
        /operation 1 \(rule\) expr 0 \(meta\)\.key: unknown "iiffname"/,
      ],
      [
        () => rule([{ type: "cmp", op: "eq", sreg: 5, data: new Uint8Array(1) }]),
        /expr 0 \(cmp\)\.sreg: a register is 1-4 or 8-23/,
      ],
      [
        () => rule([{ type: "cmp", op: "eq", sreg: 1, data: [1] }]),
        /expr 0 \(cmp\)\.data: must be a Uint8Array/,
      ],
      [() => rule([{ type: "verdict", verdict: "jump" }]), /jump needs a chain/],
      [() => rule([{ type: "verdict", verdict: "allow" }]), /unknown verdict "allow"/],
      [() => rule([{ type: "frobnicate" }]), /unknown expression "frobnicate"/],
      [() => rule([{ type: "limit", rate: 0, unit: 1 }]), /rate and unit must be above 0/],
      [
        () => rule([{ type: "nat", nat: "snat", family: "ip" }]),
        /family: must be "ipv4" or "ipv6"/,
      ],
      [() => rule(["accept"]), /an expression is an object/],
      [
        () =>
          nft.batch().addSet({ family: "ip", table: T, name: "s", keyType: 7, keyLen: 0 }).commit(),
        /set\.keyLen: must be an integer 1-64/,
      ],
      [
        () => nft.batch().deleteRule({ family: "ip", table: T, chain: "c", handle: 0n }).commit(),
        /rule\.handle: must be a handle/,
      ],
      [() => Promise.resolve().then(() => void match.ipv4("10.0.0.256")), /not an IPv4 address/],
      [
        () => Promise.resolve().then(() => void match.ifname("a-very-long-ifname")),
        /ifname: must be 1-15 bytes/,
      ],
    ];
    for (const [f, re] of cases) {
      const e = await f().then(() => undefined, (e) => e);
      assert.ok(e instanceof NftInputError, `${re}: got ${e}`);
      assert.match(e.message, re);
    }
    assert.equal(await nft.generation(), gen, "nothing was committed");
    // an empty batch is no transaction at all
    await nft.batch().commit();
    assert.equal(await nft.generation(), gen);
  },
});

Deno.test({
  name: "nft: a batch pinned to a generation is refused once the ruleset moved on",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    const gen = await nft.generation();
    await nftFile(ns, "table ip other {\n}\n"); // someone else commits meanwhile
    const before = await nftJson(ns);
    const e = await nft.batch().addTable({ family: "ip", name: "mine" }).commit({ generation: gen })
      .then(() => undefined, (e) => e);
    assert.ok(e instanceof NftBatchError, String(e));
    assert.equal(e.first.op, "commit");
    assert.equal(e.first.error.code, "ERESTART");
    assert.deepEqual(await nftJson(ns), before, "nothing applied");
    // at the current generation it applies
    await nft.batch().addTable({ family: "ip", name: "mine" }).commit({
      generation: await nft.generation(),
    });
    assert.deepEqual((await nftJson(ns)).table.map((t: { name: string }) => t.name), [
      "other",
      "mine",
    ]);
  },
});
