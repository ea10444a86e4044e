/**
 * Typed events for rules, neighbours and the bridge FDB against the host
 * kernel in a fresh namespace: each event decodes as the same object does
 * in a dump, and as `ip -j rule` / `bridge -j fdb` show it; IP neighbours
 * and FDB entries (one kernel group) come apart under their own kinds.
 */
import assert from "node:assert/strict";
import { formatAddress, formatMac } from "../mod.ts";
import { Rtnl, RTNL_EVENT_GROUPS, type RtnlEvent } from "../src/rtnl/mod.ts";
import { rtnlEvents } from "../src/rtnl/events.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, run } from "./helpers/netns.ts";

loadSys();

/** Reads events until `done` says so (bounded by a signal). */
async function collect(
  it: AsyncIterableIterator<RtnlEvent>,
  done: (seen: RtnlEvent[]) => boolean,
): Promise<RtnlEvent[]> {
  const seen: RtnlEvent[] = [];
  for await (const e of it) {
    seen.push(e);
    if (done(seen)) break;
  }
  return seen;
}

Deno.test({
  name:
    "events: rules, neighbours, fdb entries and nexthops, typed, as dumps and ip/bridge show them",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "br0", "type", "bridge");
    await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
    await ns.ip("link", "set", "va", "master", "br0");
    await ns.ip("addr", "add", "10.8.0.1/24", "dev", "vb");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const events = rtnl.events(["rule", "fdb", "neighbour", "nexthop"], {
      signal: AbortSignal.timeout(10_000),
    });
    const first = events.next(); // subscribed from here

    await rtnl.addRule({ priority: 500, from: "10.5.0.0/16", table: 50 });
    await ns.ip("-6", "rule", "add", "pref", "501", "fwmark", "0x7", "table", "51");
    await run("bridge", "-n", ns.name, "fdb", "add", "02:00:00:00:00:42", "dev", "va", "master");
    await rtnl.addNeighbour("vb", "10.8.0.2", "02:00:00:00:00:02");
    await ns.ip("link", "set", "va", "up");
    await ns.ip("link", "set", "vb", "up");
    await ns.ip("nexthop", "add", "id", "7", "via", "10.8.0.2", "dev", "vb");
    await rtnl.addNexthop({ id: 8, blackhole: true });
    const nexthops = await rtnl.nexthops();
    await rtnl.deleteNexthop(8);
    const rules = [...await rtnl.rules({ ipVersion: 4 }), ...await rtnl.rules({ ipVersion: 6 })];
    const fdb = await rtnl.fdb({ dev: "va" });
    const neigh = await rtnl.neighbours({ ipVersion: 4 });
    await rtnl.deleteRule({ priority: 500 });

    const seen = [
      (await first).value as RtnlEvent,
      ...await collect(events, (s) => s.some((e) => e.kind === "rule" && e.action === "del")),
    ];
    // nexthops: as the dump has them, and ip's
    const nhNew = seen.filter((e) => e.kind === "nexthop" && e.action === "new");
    assert.deepEqual(nhNew.map((e) => e.kind === "nexthop" && e.nexthop), nexthops);
    const [ip7] = await ns.ipJson<{ id: number; gateway: string; dev: string }[]>(
      "nexthop",
      "show",
      "id",
      "7",
    );
    const n7 = nexthops.find((n) => n.id === 7)!;
    assert.deepEqual([n7.id, formatAddress(n7.gateway!), n7.oif], [
      ip7.id,
      ip7.gateway,
      (await rtnl.getLink(ip7.dev)).index,
    ]);
    const nhDel = seen.find((e) => e.kind === "nexthop" && e.action === "del");
    assert.ok(nhDel?.kind === "nexthop" && nhDel.nexthop.id === 8 && nhDel.nexthop.blackhole);
    const ruleNew = seen.filter((e) => e.kind === "rule" && e.action === "new");
    assert.deepEqual(
      ruleNew.map((e) => e.kind === "rule" && e.rule),
      rules.filter((r) => r.priority === 500 || r.priority === 501),
    );
    const del = seen.find((e) => e.kind === "rule" && e.action === "del");
    assert.ok(del?.kind === "rule" && del.rule.priority === 500 && del.rule.table === 50);
    // the IPv6 one as ip prints it
    const [ip6] = await ns.ipJson<{ priority: number; fwmark: string; table: string }[]>(
      "-6",
      "rule",
      "show",
      "pref",
      "501",
    );
    const r6 = ruleNew.find((e) => e.kind === "rule" && e.rule.priority === 501);
    assert.ok(r6?.kind === "rule");
    assert.deepEqual(
      [r6.rule.priority, `0x${r6.rule.fwmark?.toString(16)}`, String(r6.rule.table)],
      [ip6.priority, ip6.fwmark, ip6.table],
    );

    const fdbNew = seen.filter((e) => e.kind === "fdb");
    const ours = fdbNew.find((e) =>
      e.kind === "fdb" && formatMac(e.entry.lladdr!) === "02:00:00:00:00:42"
    );
    assert.ok(ours?.kind === "fdb");
    // all but cacheinfo (its timers count time)
    const noTimes = (e?: typeof ours.entry) => e && { ...e, attrs: { ...e.attrs, cacheinfo: 0 } };
    assert.deepEqual(
      noTimes(ours.entry),
      noTimes(fdb.find((e) => formatMac(e.lladdr!) === "02:00:00:00:00:42")),
    );
    const [tool] = (JSON.parse(
      await run("bridge", "-j", "-n", ns.name, "fdb", "show", "dev", "va"),
    ) as { mac: string; master?: string }[]).filter((e) => e.mac === "02:00:00:00:00:42");
    assert.equal(tool.master, "br0");
    assert.equal(ours.entry.master, (await rtnl.getLink("br0")).index);

    // IP neighbours under "neighbour" only, FDB entries under "fdb" only
    for (const e of seen) {
      if (e.kind === "neighbour") assert.notEqual(e.neighbour.family, 7);
      if (e.kind === "fdb") assert.equal(e.entry.family, 7);
    }
    const n = seen.find((e) =>
      e.kind === "neighbour" && e.neighbour.dst && formatAddress(e.neighbour.dst) === "10.8.0.2"
    );
    assert.ok(n?.kind === "neighbour");
    // (its cacheinfo counts references: the rest is the dump's)
    const key = (x?: typeof n.neighbour) =>
      x && [x.family, x.index, x.stateNames, x.flagNames, x.dst, x.lladdr, x.header];
    assert.deepEqual(
      key(n.neighbour),
      key(neigh.find((x) => x.dst && formatAddress(x.dst) === "10.8.0.2")),
    );
  },
});

Deno.test("events: the kinds, one naming scheme; a misspelt one is a TypeError naming the valid", () => {
  assert.deepEqual(Object.keys(RTNL_EVENT_GROUPS), [
    "link",
    "address",
    "route",
    "neighbour",
    "rule",
    "fdb",
    "nexthop",
    "vlan",
  ]);
  assert.deepEqual(RTNL_EVENT_GROUPS.rule, { 4: [8], 6: [19] });
  assert.deepEqual(RTNL_EVENT_GROUPS.vlan, { 4: [33], 6: [33] }); // RTNLGRP_BRVLAN
  assert.throws(() => rtnlEvents({}, ["rules" as never]), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /"rules"/);
    assert.match(e.message, /"rule"/);
    return true;
  });
});
