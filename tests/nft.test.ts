/**
 * nftables against the host kernel in fresh namespaces, compared with
 * Debian's `nft` field by field: what the library writes `nft -j list
 * ruleset` shows; what `nft -f` writes the library decodes (and writes back
 * identically); a rule the library installs drops UDP between two
 * namespaces joined by veth, and a masquerade rule rewrites the source the
 * far side sees; a batch with one bad rule changes nothing and names it;
 * bad input is a typed error and nothing is sent; ruleset changes arrive
 * as events.
 */
import assert from "node:assert/strict";
import {
  type Expr,
  match,
  NftBatchError,
  NftClient,
  type NftEvent,
  NftInputError,
  type NftRule,
  SET_TYPES,
} from "../src/nft/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "./helpers/netns.ts";
import { udpSource, vethPair } from "./helpers/traffic.ts";
import { requireTools } from "./helpers/tools.ts";

loadSys();

// deno-lint-ignore no-explicit-any
type Json = any;

/** `nft -j list ruleset` in `ns`: its objects by kind. */
async function nftJson(ns: Netns): Promise<Record<string, Json[]>> {
  const out = JSON.parse(await run("ip", "netns", "exec", ns.name, "nft", "-j", "list", "ruleset"));
  const by: Record<string, Json[]> = {
    table: [],
    chain: [],
    rule: [],
    set: [],
    map: [],
    flowtable: [],
  };
  for (const o of out.nftables) {
    const [k] = Object.keys(o);
    if (k !== "metainfo") (by[k] ??= []).push(o[k]);
  }
  return by;
}

async function nftFile(ns: Netns, text: string): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".nft" });
  try {
    await Deno.writeTextFile(path, text);
    await run("ip", "netns", "exec", ns.name, "nft", "-f", path);
  } finally {
    await Deno.remove(path);
  }
}

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
  },
});

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
    const rule = (exprs: unknown[]) =>
      nft.batch().addTable({ family: "inet", name: T }).addRule({
        family: F,
        table: T,
        chain: "c",
        exprs: exprs as Expr[],
      }).commit();
    const cases: [() => Promise<void>, RegExp][] = [
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
      e.type === "gen"
        ? "gen"
        : e.type === "other" || e.type === "overrun"
        ? e.type
        : `${e.action} ${e.type}`
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
