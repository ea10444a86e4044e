/**
 * nftables rules the library installs, proven with traffic between fresh
 * namespaces joined by veth (UDP with python3, bounded): a drop rule
 * drops, and counts what it dropped as nft shows it; masquerade in a
 * gateway namespace rewrites the source the far side sees; deleting and
 * flushing undo both.
 */
import assert from "node:assert/strict";
import { type Expr, match, NftClient } from "../src/nft/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, run } from "./helpers/netns.ts";
import { type Json, nftJson } from "./helpers/nft.ts";
import { requireTools } from "./helpers/tools.ts";
import { udpSource, vethPair } from "./helpers/traffic.ts";

loadSys();

const T = "fw";
const verdict = (v: "accept" | "drop"): Expr => ({ type: "verdict", verdict: v });

Deno.test({
  name: "nft: a rule the library installs drops UDP between two namespaces, and counts it",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft", "python3");
    await using a = await makeNetns();
    await using b = await makeNetns();
    await vethPair(a, "va", "10.7.0.1/24", b, "vb", "10.7.0.2/24");
    assert.equal(await udpSource(a, b, "10.7.0.2", 5555), "10.7.0.1", "no rule yet: delivered");
    await using nft = await NftClient.open({ netns: b.name });
    await nft.batch()
      .addTable({ family: "inet", name: T })
      .addChain({ family: "inet", table: T, name: "in", hook: "input", priority: 0 })
      .addRule({
        family: "inet",
        table: T,
        chain: "in",
        comment: "no 5555",
        exprs: [...match.dport("udp", 5555), { type: "counter" }, verdict("drop")],
      })
      .commit();
    assert.equal(await udpSource(a, b, "10.7.0.2", 5555), "timeout", "dropped");
    assert.equal(await udpSource(a, b, "10.7.0.2", 5556), "10.7.0.1", "another port passes");
    // the counter the library reads is the one nft shows, and it counted the drops
    const [rule] = await nft.listRules({ family: "inet", table: T });
    const counter = rule.exprs.find((e) => e.type === "counter");
    assert.ok(counter?.type === "counter" && counter.packets! > 0n, "drops counted");
    const j = await nftJson(b);
    const shown = j.rule[0].expr.find((e: Json) => e.counter).counter;
    assert.deepEqual(shown, { packets: Number(counter.packets), bytes: Number(counter.bytes) });
    // deleting the rule by its handle lets the traffic through again
    await nft.batch().deleteRule(rule).commit();
    assert.equal((await nftJson(b)).rule.length, 0);
    assert.equal(await udpSource(a, b, "10.7.0.2", 5555), "10.7.0.1", "rule deleted: delivered");
  },
});

Deno.test({
  name: "nft: masquerade in a gateway namespace rewrites the source the far side sees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft", "python3");
    await using client = await makeNetns();
    await using gw = await makeNetns();
    await using server = await makeNetns();
    await vethPair(client, "cg", "10.1.0.2/24", gw, "gc", "10.1.0.1/24");
    await vethPair(gw, "gs", "10.2.0.1/24", server, "sg", "10.2.0.2/24");
    await client.ip("route", "add", "default", "via", "10.1.0.1");
    await server.ip("route", "add", "default", "via", "10.2.0.1");
    await run("ip", "netns", "exec", gw.name, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    assert.equal(
      await udpSource(client, server, "10.2.0.2", 7000),
      "10.1.0.2",
      "routed, not NATed",
    );
    await using nft = await NftClient.open({ netns: gw.name });
    await nft.batch()
      .addTable({ family: "ip", name: "nat" })
      .addChain({
        family: "ip",
        table: "nat",
        name: "post",
        hook: "postrouting",
        type: "nat",
        priority: 100,
      })
      .addRule({
        family: "ip",
        table: "nat",
        chain: "post",
        exprs: [...match.oifname("gs"), { type: "masq" }],
      })
      .commit();
    assert.equal(await udpSource(client, server, "10.2.0.2", 7001), "10.2.0.1", "masqueraded");
    // flushing the chain ends the NAT
    await nft.batch().flushChain({ family: "ip", table: "nat", name: "post" }).commit();
    assert.equal((await nftJson(gw)).rule.length, 0);
    assert.equal(
      await udpSource(client, server, "10.2.0.2", 7002),
      "10.1.0.2",
      "flushed: not NATed",
    );
  },
});
