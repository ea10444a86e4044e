/**
 * nftables objects beyond a plain ruleset, compared with `nft -j`: rules
 * placed by position and replaced by handle, maps with element timeouts
 * and comments, set flushes, flowtables (refused alike by nft and the
 * library where the kernel has none; tests/vm/nft.test.ts has them on
 * 7.2), and ruleset changes as typed events.
 */
import { Overrun } from "../src/errors.ts";
import assert from "node:assert/strict";
import {
  type Expr,
  match,
  NftBatchError,
  type NftChain,
  NftClient,
  type NftEvent,
  NftInputError,
  type NftRule,
  type NftSet,
  type NftTable,
  SET_TYPES,
} from "../src/nft/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, run } from "./helpers/netns.ts";
import { type Json, nftFile, nftJson } from "./helpers/nft.ts";
import { requireTools } from "./helpers/tools.ts";

loadSys();

const F = "inet", T = "fw";
const verdict = (v: "accept" | "drop"): Expr => ({ type: "verdict", verdict: v });

Deno.test({
  name: "nft: rules placed by position and replaced by handle, map elements deleted, sets flushed",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await ns.ip("link", "add", "fa", "type", "veth", "peer", "name", "fb");
    await using nft = await NftClient.open({ netns: ns.name });
    const mark = (n: number): Expr[] => [
      { type: "immediate", dreg: 1, data: match.host32(n) },
      { type: "meta", key: "mark", sreg: 1 },
    ];
    const r = (n: number): NftRule => ({
      family: F,
      table: T,
      chain: "c",
      comment: `r${n}`,
      exprs: mark(n),
    });
    await nft.batch()
      .addTable({ family: F, name: T })
      .addChain({ family: F, table: T, name: "c" })
      .addRule(r(1))
      .addRule(r(2))
      .addSet({
        family: F,
        table: T,
        name: "m",
        keyType: SET_TYPES.ipv4_addr,
        keyLen: 4,
        dataType: SET_TYPES.ipv4_addr,
        dataLen: 4,
        flags: ["timeout"],
        elements: [
          { key: match.ipv4("10.0.0.1"), data: match.ipv4("192.168.0.7"), comment: "one" },
          { key: match.ipv4("10.0.0.2"), data: match.ipv4("192.168.0.8"), timeout: 3_600_000 },
          { key: match.ipv4("10.0.0.3"), data: match.ipv4("192.168.0.9") },
        ],
      })
      .commit();
    const [one, two] = await nft.listRules({ family: F, table: T, chain: "c" });
    await nft.batch()
      .insertRule(r(0)) // at the top
      .addRule({ ...r(15), position: one.handle }) // after r1
      .insertRule({ ...r(5), position: two.handle }) // before r2
      .replaceRule({ ...r(20), handle: two.handle! })
      .deleteElements({ family: F, table: T, name: "m" }, [{ key: match.ipv4("10.0.0.3") }])
      .commit();
    let j = await nftJson(ns);
    assert.deepEqual(j.rule.map((x: Json) => x.comment), ["r0", "r1", "r15", "r5", "r20"]);
    assert.equal(j.rule[4].handle, Number(two.handle), "replaced in place, same handle");
    assert.deepEqual(j.rule[0].expr, [{ mangle: { key: { meta: { key: "mark" } }, value: 0 } }]);
    assert.deepEqual(j.rule[4].expr, [{ mangle: { key: { meta: { key: "mark" } }, value: 20 } }]);
    const m = j.map.find((x: Json) => x.name === "m");
    assert.equal(m.type, "ipv4_addr");
    assert.equal(m.map, "ipv4_addr");
    assert.deepEqual(m.flags, ["timeout"]);
    const elems = Object.fromEntries(
      m.elem.map(([k, v]: Json) => [typeof k === "string" ? k : k.elem.val, v]),
    );
    assert.deepEqual(Object.keys(elems).sort(), ["10.0.0.1", "10.0.0.2"], "10.0.0.3 deleted");
    assert.equal(elems["10.0.0.1"], "192.168.0.7");
    assert.equal(elems["10.0.0.2"], "192.168.0.8");
    const meta = (ip: string) => m.elem.find(([k]: Json) => k.elem?.val === ip)?.[0].elem;
    assert.equal(meta("10.0.0.1").comment, "one");
    assert.equal(meta("10.0.0.2").timeout, 3600);
    // the library reads the same elements back, timeouts and comments included
    const mine = await nft.listElements({ family: F, table: T, name: "m" });
    const byKey = new Map(mine.map((e) => [e.key.join("."), e]));
    assert.deepEqual(byKey.get("10.0.0.1")?.data, match.ipv4("192.168.0.7"));
    assert.equal(byKey.get("10.0.0.1")?.comment, "one");
    assert.equal(byKey.get("10.0.0.2")?.timeout, 3_600_000);
    assert.ok((byKey.get("10.0.0.2")?.expiration ?? 0) > 0);
    // flush the map, then delete the whole table
    await nft.batch().flushSet({ family: F, table: T, name: "m" }).commit();
    j = await nftJson(ns);
    assert.equal(j.map[0].elem, undefined, "flushed");
    await nft.batch().deleteTable({ family: F, name: T }).commit();
    assert.deepEqual((await nftJson(ns)).table, []);
    assert.deepEqual(await nft.listTables(), []);
  },
});

Deno.test({
  name: "nft: flowtables as nft shows them (or refused alike where the kernel has none)",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await ns.ip("link", "add", "fa", "type", "veth", "peer", "name", "fb");
    await using nft = await NftClient.open({ netns: ns.name });
    await nft.batch().addTable({ family: F, name: T }).commit();
    const ftb = () =>
      nft.batch().addFlowtable({
        family: F,
        table: T,
        name: "ft",
        hook: "ingress",
        priority: 0,
        devices: ["fa", "fb"],
      });
    // this host's kernel is built without flowtables (nf_flow_table): nft
    // itself is refused, and the library must be refused the same way
    const probe = await run("ip", "netns", "exec", ns.name, "nft", "add", "table", "inet", "probe")
      .then(() =>
        run(
          "ip",
          "netns",
          "exec",
          ns.name,
          "nft",
          "add flowtable inet probe x { hook ingress priority 0; devices = { fa }; }",
        )
      )
      .then(() => true, () => false);
    await run("ip", "netns", "exec", ns.name, "nft", "delete", "table", "inet", "probe");
    if (!probe) {
      const e = await ftb().commit().then(() => undefined, (e) => e);
      assert.ok(e instanceof NftBatchError, String(e));
      assert.equal(e.first.op, "add flowtable");
      assert.equal(e.first.error.code, "ENOENT");
      assert.deepEqual((await nftJson(ns)).flowtable, []);
      return;
    }
    await ftb().commit();
    const j = await nftJson(ns);
    const ft = j.flowtable[0];
    assert.deepEqual(
      { name: ft.name, table: ft.table, hook: ft.hook, prio: ft.prio, dev: [...ft.dev].sort() },
      { name: "ft", table: T, hook: "ingress", prio: 0, dev: ["fa", "fb"] },
    );
    const [mineFt] = await nft.listFlowtables();
    assert.deepEqual(
      { ...mineFt, devices: [...mineFt.devices!].sort() },
      {
        family: F,
        table: T,
        name: "ft",
        handle: BigInt(ft.handle),
        hook: "ingress",
        priority: 0,
        devices: ["fa", "fb"],
        flags: mineFt.flags,
      },
    );
    await nft.batch().deleteFlowtable({ family: F, table: T, name: "ft" }).commit();
    assert.deepEqual((await nftJson(ns)).flowtable, []);
  },
});

Deno.test({
  name: "nft: ruleset changes arrive as typed events, and the stream ends with its signal",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 5000);
    const events = nft.monitor({ signal: ac.signal });
    const got: NftEvent[] = [];
    const reading = (async () => {
      for await (const ev of events) {
        if (ev instanceof Overrun) throw new Error("an overrun on a quiet ruleset");
        got.push(ev);
        if (got.filter((e) => e.type === "gen").length === 2) break;
      }
    })();
    await nft.batch()
      .addTable({ family: "ip", name: "mon" })
      .addChain({ family: "ip", table: "mon", name: "c" })
      .addRule({
        family: "ip",
        table: "mon",
        chain: "c",
        comment: "watched",
        exprs: [verdict("accept")],
      })
      .addSet({ family: "ip", table: "mon", name: "s", keyType: SET_TYPES.ipv4_addr, keyLen: 4 })
      .commit();
    // and one change made by nft itself
    await run("ip", "netns", "exec", ns.name, "nft", "delete", "table", "ip", "mon");
    await reading;
    clearTimeout(timer);
    const summary = got.map((e) =>
      e.type === "gen" ? "gen" : e.type === "other" ? e.type : `${e.action} ${e.type}`
    );
    assert.deepEqual(summary.slice(0, 5), ["new table", "new chain", "new rule", "new set", "gen"]);
    const rule = got.find((e) => e.type === "rule");
    assert.ok(rule?.type === "rule");
    assert.equal(rule.rule.comment, "watched");
    assert.deepEqual(rule.rule.exprs, [verdict("accept")]);
    assert.ok(summary.slice(5).includes("del table"), summary.join(", "));
    const gens = got.filter((e) => e.type === "gen");
    assert.ok(gens[0].type === "gen" && gens[0].id === (await nft.generation()) - 1);
    assert.ok(gens[1].type === "gen" && gens[1].name === "nft", JSON.stringify(gens[1]));
    // a stream whose signal aborts ends (no hang, no error)
    const quiet = nft.monitor({ signal: AbortSignal.timeout(100) });
    for await (const _ of quiet) assert.fail("no changes were made");
  },
});

Deno.test({
  name: "nft: with echo, a commit returns what it created, handles as nft shows them",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    const got = await nft.batch()
      .addTable({ family: F, name: T })
      .addChain({ family: F, table: T, name: "c" })
      .addRule({ family: F, table: T, chain: "c", comment: "a", exprs: [verdict("accept")] })
      .addSet({ family: F, table: T, name: "s", keyType: SET_TYPES.ipv4_addr, keyLen: 4 })
      .addRule({ family: F, table: T, chain: "c", comment: "b", exprs: [verdict("drop")] })
      .commit({ echo: true });
    const j = await nftJson(ns);
    assert.equal(got.length, 5);
    const [table, chain, a, set, b] = got as [NftTable, NftChain, NftRule, NftSet, NftRule];
    assert.equal(Number(table.handle), j.table[0].handle);
    assert.equal(Number(chain.handle), j.chain[0].handle);
    assert.equal(Number(set.handle), j.set[0].handle);
    assert.deepEqual(
      [a, b].map((r) => [r.comment, Number(r.handle)]),
      j.rule.map((r: Json) => [r.comment, r.handle]),
    );
    // the echoed handle names the rule for a later delete
    await nft.batch().deleteRule(a).commit();
    assert.deepEqual((await nftJson(ns)).rule.map((r: Json) => r.comment), ["b"]);
    // without echo nothing comes back
    const none = await nft.batch().addTable({ family: F, name: "t2" }).commit();
    assert.deepEqual(none, [undefined]);
  },
});

Deno.test({
  name: "nft: commits over one client at once take turns, each with its own answer",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    await nft.batch().addTable({ family: F, name: T }).commit();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => {
        const b = nft.batch();
        for (let k = 0; k < 20; k++) {
          b.addChain({ family: F, table: i === 5 && k === 19 ? "missing" : T, name: `c${i}_${k}` });
        }
        return b.commit({ timeoutMs: 3000 });
      }),
    );
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    const bad = results[5] as PromiseRejectedResult;
    assert.ok(bad.reason instanceof NftBatchError);
    assert.match(bad.reason.first.label, /chain inet missing c5_19/);
    assert.equal(bad.reason.first.index, 19);
    const names = (await nftJson(ns)).chain.map((c: Json) => c.name);
    assert.equal(names.length, 7 * 20);
    assert.ok(!names.some((n: string) => n.startsWith("c5_")), "the refused batch left nothing");
  },
});

Deno.test({
  name: "nft: a monitor that overran says so, and goes on",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    const ac = new AbortController();
    // a tiny receive buffer, and nobody reading while 300 chains are announced
    const events = nft.monitor({ signal: ac.signal, receiveBufferSize: 4096 });
    const b = nft.batch().addTable({ family: F, name: T });
    for (let i = 0; i < 300; i++) b.addChain({ family: F, table: T, name: `c${i}` });
    await b.commit();
    const seen: string[] = [];
    const timer = setTimeout(() => ac.abort(), 3000);
    let after = false;
    for await (const ev of events) {
      seen.push(ev instanceof Overrun ? "overrun" : ev.type);
      if (ev instanceof Overrun) {
        // the stream goes on: a change made once the queue is drained still arrives
        if (!after) {
          after = true;
          setTimeout(() => nft.batch().addTable({ family: F, name: "later" }).commit(), 100);
        }
      }
      if (!(ev instanceof Overrun) && ev.type === "table" && ev.table.name === "later") break;
    }
    clearTimeout(timer);
    assert.ok(seen.includes("overrun"), seen.slice(0, 10).join(","));
    assert.ok(seen.length < 302, `${seen.length} events: some were lost`);
    assert.equal(seen.at(-1), "table");
  },
});

Deno.test({
  name: "nft: a batch of 3000 rules commits; one too large for the send buffer is a typed error",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    const b = nft.batch().addTable({ family: F, name: T }).addChain({
      family: F,
      table: T,
      name: "c",
    });
    for (let i = 0; i < 3000; i++) {
      b.addRule({
        family: F,
        table: T,
        chain: "c",
        exprs: [...match.dport("tcp", 1 + i), verdict("accept")],
      });
    }
    await b.commit();
    assert.equal((await nftJson(ns)).rule.length, 3000);
    assert.equal((await nft.listRules({ family: F, table: T })).length, 3000);
    // a socket whose send buffer is small: the batch cannot go as one datagram
    await using small = await NftClient.open({ netns: ns.name, sendBufferSize: 65536 });
    const huge = small.batch();
    for (let i = 0; i < 20000; i++) huge.addChain({ family: F, table: T, name: `x${i}` });
    const e = await huge.commit().then(() => undefined, (e) => e);
    assert.ok(e instanceof NftInputError, String(e));
    assert.match(e.message, /20000 operations \(\d+ bytes\) do not fit in one datagram/);
    assert.equal((await nftJson(ns)).chain.length, 1);
  },
});

Deno.test({
  name: "nft: a concatenated range set nft -f writes decodes with its key ends",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await nftFile(
      ns,
      "table inet t {\n set s {\n  type ipv4_addr . inet_service\n  flags interval\n" +
        "  elements = { 10.0.0.0/8 . 80-90, 192.168.1.1 . 22 }\n }\n}\n",
    );
    await using nft = await NftClient.open({ netns: ns.name });
    const [set] = await nft.listSets();
    const [shown] = (await nftJson(ns)).set;
    assert.deepEqual(shown.type, ["ipv4_addr", "inet_service"]);
    assert.deepEqual([set.name, Number(set.handle), set.keyLen], [shown.name, shown.handle, 8]);
    assert.deepEqual(set.flags, ["interval", "concat"]);
    // each field padded to 4 bytes: address, then port in network order
    const elems = await nft.listElements(set);
    const view = (b: Uint8Array) => `${[...b.subarray(0, 4)].join(".")} . ${b[4] << 8 | b[5]}`;
    assert.deepEqual(
      elems.map((e) => [view(e.key), view(e.keyEnd!)]),
      [["10.0.0.0 . 80", "10.255.255.255 . 90"], ["192.168.1.1 . 22", "192.168.1.1 . 22"]],
    );
    assert.deepEqual(shown.elem[0], {
      concat: [{ prefix: { addr: "10.0.0.0", len: 8 } }, { range: [80, 90] }],
    });
  },
});
