/**
 * nftables against the host kernel in fresh namespaces, compared with
 * Debian's `nft` field by field: what the library writes `nft -j list
 * ruleset` shows; what `nft -f` writes the library decodes (and writes back
 * identically). Traffic: tests/nft_traffic.test.ts; failures:
 * tests/nft_errors.test.ts; positions, maps, flowtables, events:
 * tests/nft_objects.test.ts.
 */
import assert from "node:assert/strict";
import { type Expr, match, NftClient, SET_TYPES } from "../src/nft/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, run } from "./helpers/netns.ts";
import { type Json, nftFile, nftJson } from "./helpers/nft.ts";
import { requireTools } from "./helpers/tools.ts";

loadSys();

const F = "inet", T = "fw";
const verdict = (v: "accept" | "drop"): Expr => ({ type: "verdict", verdict: v });

Deno.test({
  name: "nft: what the library writes, nft -j list ruleset shows field by field",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await using nft = await NftClient.open({ netns: ns.name });
    await nft.batch()
      .addTable({ family: "inet", name: T })
      .addChain({
        family: "inet",
        table: T,
        name: "in",
        hook: "input",
        priority: 0,
        policy: "drop",
      })
      .addChain({ family: "inet", table: T, name: "fwd", hook: "forward", priority: -10 })
      .addChain({ family: "inet", table: T, name: "sub" })
      .addChain({
        family: "inet",
        table: T,
        name: "post",
        hook: "postrouting",
        type: "nat",
        priority: 100,
      })
      .addChain({
        family: "inet",
        table: T,
        name: "pre",
        hook: "prerouting",
        type: "nat",
        priority: -100,
      })
      .addSet({
        family: "inet",
        table: T,
        name: "ok4",
        keyType: SET_TYPES.ipv4_addr,
        keyLen: 4,
        elements: [{ key: match.ipv4("10.0.0.1") }, { key: match.ipv4("10.0.0.9") }],
      })
      .addSet({
        family: "inet",
        table: T,
        name: "ports",
        keyType: SET_TYPES.inet_service,
        keyLen: 2,
        flags: ["timeout"],
        timeout: 60_000,
        elements: [{ key: match.be16(8080) }],
      })
      .addSet({
        family: "inet",
        table: T,
        name: "vm",
        keyType: SET_TYPES.inet_service,
        keyLen: 2,
        dataType: SET_TYPES.verdict,
        elements: [{ key: match.be16(22), data: { verdict: "accept" } }, {
          key: match.be16(23),
          data: { verdict: "jump", chain: "sub" },
        }],
      })
      .addRule({
        family: F,
        table: T,
        chain: "in",
        comment: "established",
        exprs: [...match.ctState("established", "related"), verdict("accept")],
      })
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
        exprs: [...match.dport("tcp", 22), { type: "counter" }, verdict("accept")],
      })
      .addRule({
        family: F,
        table: T,
        chain: "in",
        exprs: [
          ...match.nfprotoIpv4(),
          { type: "payload", base: "network-header", offset: 12, len: 4, dreg: 1 },
          { type: "lookup", set: "ok4", sreg: 1 },
          { type: "verdict", verdict: "jump", chain: "sub" },
        ],
      })
      .addRule({
        family: F,
        table: T,
        chain: "in",
        exprs: [
          ...match.l4proto("tcp"),
          { type: "payload", base: "transport-header", offset: 2, len: 2, dreg: 1 },
          { type: "lookup", set: "vm", sreg: 1, dreg: 0 },
        ],
      })
      .addRule({
        family: F,
        table: T,
        chain: "in",
        exprs: [
          { type: "limit", rate: 10, unit: 60, burst: 5 },
          { type: "log", prefix: "dropped: ", level: "info" },
          { type: "reject", kind: "icmpx-unreach", code: 3 },
        ],
      })
      .addRule({
        family: F,
        table: T,
        chain: "sub",
        exprs: [{ type: "verdict", verdict: "return" }],
      })
      .addRule({
        family: F,
        table: T,
        chain: "post",
        exprs: [...match.nfprotoIpv4(), ...match.oifname("eth9"), { type: "masq" }],
      })
      .addRule({
        family: F,
        table: T,
        chain: "post",
        exprs: [
          ...match.nfprotoIpv4(),
          ...match.ipAddr("saddr", "10.1.0.0/24"),
          ...match.nat("snat", "10.2.0.1"),
        ],
      })
      .addRule({
        family: F,
        table: T,
        chain: "pre",
        exprs: [
          ...match.nfprotoIpv4(),
          ...match.dport("tcp", 80),
          ...match.nat("dnat", "10.1.0.2", 8080),
        ],
      })
      .addRule({
        family: F,
        table: T,
        chain: "pre",
        exprs: [...match.nfprotoIpv4(), ...match.dport("tcp", 81), {
          type: "immediate",
          dreg: 1,
          data: match.be16(3128),
        }, {
          type: "redir",
          regProtoMin: 1,
        }],
      })
      .commit();

    const j = await nftJson(ns);
    const mine = await nft.ruleset();
    const table = mine.tables.find((t) => t.name === T)!;
    // tables and chains: every field nft shows
    assert.deepEqual(j.table, [{ family: "inet", name: T, handle: Number(table.handle) }]);
    const chains = table.chains.map((c) =>
      Object.fromEntries(
        Object.entries({
          family: c.family,
          table: c.table,
          name: c.name,
          handle: Number(c.handle),
          type: c.type,
          hook: c.hook,
          prio: c.priority,
          policy: c.policy,
        }).filter(([, v]) => v !== undefined),
      )
    );
    assert.deepEqual(chains, j.chain);
    assert.deepEqual(j.chain.find((c: Json) => c.name === "in"), {
      family: "inet",
      table: T,
      name: "in",
      handle: j.chain.find((c: Json) => c.name === "in").handle,
      type: "filter",
      hook: "input",
      prio: 0,
      policy: "drop",
    });
    assert.equal(j.chain.find((c: Json) => c.name === "post").type, "nat");
    assert.equal(j.chain.find((c: Json) => c.name === "pre").prio, -100);
    // sets and the map
    const ok4 = j.set.find((s: Json) => s.name === "ok4");
    assert.equal(ok4.type, "ipv4_addr");
    assert.deepEqual(ok4.elem, ["10.0.0.1", "10.0.0.9"]);
    assert.equal(ok4.handle, Number(table.sets.find((s) => s.name === "ok4")!.handle));
    const ports = j.set.find((s: Json) => s.name === "ports");
    assert.equal(ports.type, "inet_service");
    assert.deepEqual(ports.flags, ["timeout"]);
    assert.equal(ports.timeout, 60);
    assert.equal(ports.elem[0].elem.val, 8080);
    const vm = j.map.find((s: Json) => s.name === "vm");
    assert.equal(vm.type, "inet_service");
    assert.equal(vm.map, "verdict");
    assert.deepEqual(vm.elem, [[22, { accept: null }], [23, { jump: { target: "sub" } }]]);
    // rules: handles and comments agree, and nft reads each as written
    assert.deepEqual(
      j.rule.map((r: Json) => [r.chain, r.handle, r.comment]),
      table.rules.map((r) => [r.chain, Number(r.handle), r.comment]),
    );
    const exprs = j.rule.map((r: Json) => r.expr);
    assert.deepEqual(exprs[0], [
      { match: { op: "in", left: { ct: { key: "state" } }, right: ["established", "related"] } },
      { accept: null },
    ]);
    assert.deepEqual(exprs[1], [
      { match: { op: "==", left: { meta: { key: "iifname" } }, right: "lo" } },
      { accept: null },
    ]);
    assert.deepEqual(exprs[2], [
      { match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: 22 } },
      { counter: { packets: 0, bytes: 0 } },
      { accept: null },
    ]);
    assert.deepEqual(exprs[3], [
      { match: { op: "==", left: { payload: { protocol: "ip", field: "saddr" } }, right: "@ok4" } },
      { jump: { target: "sub" } },
    ]);
    assert.deepEqual(exprs[4], [
      { vmap: { key: { payload: { protocol: "tcp", field: "dport" } }, data: "@vm" } },
    ]);
    assert.deepEqual(exprs[5], [
      { limit: { rate: 10, burst: 5, per: "minute" } },
      { log: { prefix: "dropped: ", level: "info" } },
      { reject: { type: "icmpx", expr: "admin-prohibited" } },
    ]);
    assert.deepEqual(exprs[6], [{ return: null }]);
    assert.deepEqual(exprs[7], [
      { match: { op: "==", left: { meta: { key: "nfproto" } }, right: "ipv4" } },
      { match: { op: "==", left: { meta: { key: "oifname" } }, right: "eth9" } },
      { masquerade: null },
    ]);
    assert.deepEqual(exprs[8], [
      {
        match: {
          op: "==",
          left: { payload: { protocol: "ip", field: "saddr" } },
          right: { prefix: { addr: "10.1.0.0", len: 24 } },
        },
      },
      { snat: { family: "ip", addr: "10.2.0.1" } },
    ]);
    assert.deepEqual(exprs[9].slice(1), [
      { match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: 80 } },
      { dnat: { family: "ip", addr: "10.1.0.2", port: 8080 } },
    ]);
    assert.deepEqual(exprs[10].slice(1), [
      { match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: 81 } },
      { redirect: { port: 3128 } },
    ]);
  },
});

const RULESET = `
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "veth1" masquerade
    ip saddr 192.168.7.0/24 snat to 10.0.0.1
  }
  chain pre {
    type nat hook prerouting priority dstnat;
    tcp dport 8080 dnat to 192.168.7.2:80
  }
}
table inet filter {
  comment "the filter"
  set blocked {
    type ipv4_addr
    flags interval
    elements = { 10.9.0.0/16, 172.16.0.1 }
  }
  map ports {
    type inet_service : verdict
    elements = { 22 : accept, 80 : jump web }
  }
  chain input {
    comment "way in"
    type filter hook input priority filter; policy drop;
    ct state established,related accept comment "stateful"
    ct state invalid drop
    iifname "lo" accept
    ip saddr @blocked drop
    meta l4proto udp udp dport 53 counter accept
    tcp dport vmap @ports
    limit rate 5/second burst 10 packets log prefix "in: " level warn
    reject with icmpx type port-unreachable
  }
  chain web {
    ip daddr != 10.0.0.0/8 return
    accept
  }
}
`;

Deno.test({
  name: "nft: what nft -f writes the library decodes, and writes back the same",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await nftFile(ns, RULESET);
    await using nft = await NftClient.open({ netns: ns.name });
    const rs = await nft.ruleset();
    const j = await nftJson(ns);
    // field by field against nft's own listing
    assert.deepEqual(
      rs.tables.map((t) => [t.family === "ip" ? "ip" : t.family, t.name, Number(t.handle)]),
      j.table.map((t: Json) => [t.family, t.name, t.handle]),
    );
    const chains = rs.tables.flatMap((t) => t.chains);
    assert.deepEqual(
      chains.map((c) => [c.table, c.name, Number(c.handle), c.type, c.hook, c.priority, c.policy]),
      j.chain.map((c: Json) => [c.table, c.name, c.handle, c.type, c.hook, c.prio, c.policy]),
    );
    const filter = rs.tables.find((t) => t.name === "filter")!;
    // comments, in the userdata nft keeps them in
    assert.equal(filter.comment, "the filter");
    assert.equal(filter.chains.find((c) => c.name === "input")?.comment, "way in");
    const blocked = filter.sets.find((s) => s.name === "blocked")!;
    assert.equal(blocked.keyType, SET_TYPES.ipv4_addr);
    assert.deepEqual(blocked.flags, ["interval"]);
    // an interval set holds each range as its start and an interval-end
    const text = blocked.elements!.map((e) => `${e.key.join(".")}${e.flags ? " end" : ""}`);
    assert.deepEqual(
      text.sort(),
      ["0.0.0.0 end", "10.10.0.0 end", "10.9.0.0", "172.16.0.1", "172.16.0.2 end"].sort(),
    );
    const ports = filter.sets.find((s) => s.name === "ports")!;
    assert.equal(ports.dataType, SET_TYPES.verdict);
    assert.deepEqual(
      ports.elements!.map((e) => [e.key[0] << 8 | e.key[1], e.data]).sort(),
      [[22, { verdict: "accept" }], [80, { verdict: "jump", chain: "web" }]],
    );
    const rules = rs.tables.flatMap((t) => t.rules);
    assert.deepEqual(
      rules.map((r) => [r.table, r.chain, Number(r.handle), r.comment]),
      j.rule.map((r: Json) => [r.table, r.chain, r.handle, r.comment]),
    );
    // typed decoding of what nft compiled
    const input = filter.rules.filter((r) => r.chain === "input");
    assert.deepEqual(input[0].exprs.map((e) => e.type), ["ct", "bitwise", "cmp", "verdict"]);
    assert.deepEqual(input[2].exprs, [
      { type: "meta", key: "iifname", dreg: 1 },
      { type: "cmp", op: "eq", sreg: 1, data: match.ifname("lo") },
      { type: "verdict", verdict: "accept" },
    ]);
    assert.deepEqual(input[3].exprs, [
      { type: "meta", key: "nfproto", dreg: 1 },
      { type: "cmp", op: "eq", sreg: 1, data: new Uint8Array([2]) },
      { type: "payload", base: "network-header", offset: 12, len: 4, dreg: 1 },
      { type: "lookup", set: "blocked", sreg: 1 },
      { type: "verdict", verdict: "drop" },
    ]);
    assert.ok(input[4].exprs.some((e) => e.type === "counter"));
    assert.deepEqual(input[6].exprs.slice(0, 2), [
      { type: "limit", rate: 5, unit: 1, burst: 10, per: "pkts" },
      { type: "log", prefix: "in: ", level: "warning" },
    ]);
    assert.deepEqual(input[7].exprs, [{ type: "reject", kind: "icmpx-unreach", code: 1 }]);
    const nat = rs.tables.find((t) => t.name === "nat")!;
    assert.deepEqual(nat.rules[0].exprs.at(-1), { type: "masq" });
    assert.deepEqual(nat.rules[1].exprs.at(-1), {
      type: "nat",
      nat: "snat",
      family: "ipv4",
      regAddrMin: 1,
      regAddrMax: 1,
      flags: ["map-ips"],
    });

    // written back by the library into a fresh namespace: nft lists the same ruleset
    await using other = await makeNetns();
    await using nft2 = await NftClient.open({ netns: other.name });
    const b = nft2.batch();
    for (const t of rs.tables) {
      b.addTable(t);
      for (const c of t.chains) b.addChain(c);
      for (const s of t.sets) b.addSet(s);
    }
    for (const t of rs.tables) {
      for (const r of t.rules) b.addRule({ ...r, handle: undefined, position: undefined });
    }
    await b.commit();
    const strip = (x: Json): Json =>
      JSON.parse(JSON.stringify(x, (k, v) => (k === "handle" ? undefined : v)));
    const again = await nftJson(other);
    for (const kind of ["table", "chain", "set", "map", "rule"]) {
      assert.deepEqual(strip(again[kind]), strip(j[kind]), kind);
    }
    // and as text (no handles; table and chain comments included)
    const listed = (n: typeof ns) => run("ip", "netns", "exec", n.name, "nft", "list", "ruleset");
    assert.equal(await listed(other), await listed(ns));
    assert.match(await listed(other), /comment "the filter"/);
  },
});
