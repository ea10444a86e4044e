/**
 * Traffic control this host's kernel lacks (netem, fq_codel, prio, flower,
 * matchall, gact, police), in the VM on Debian's 7.2 kernel: what the
 * library builds `tc -j -s` shows, and what tc builds the library decodes,
 * field by field.
 */
import assert from "node:assert/strict";
import { Tc } from "../../src/tc/mod.ts";
import { ignoreUnlessRoot, type Netns } from "../helpers/netns.ts";
import { tc, tcJson, vethNs } from "../helpers/tc.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = [
  "sch_netem",
  "sch_fq_codel",
  "cls_flower",
  "cls_matchall",
  "act_gact",
  "sch_ingress",
  "sch_prio",
  "act_police",
  "veth",
];

Deno.test({
  name: "vm tc: netem and fq_codel the library adds are what tc -j -s shows, and the reverse",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await t.addQdisc("va", { kind: "netem", delay: "100ms", jitter: "10ms", loss: 5, limit: 500 });
    await t.addQdisc("vb", {
      kind: "fq_codel",
      limit: 2000,
      flows: 512,
      target: "4ms",
      interval: "90ms",
      quantum: 1300,
      ecn: true,
      ceThreshold: "2ms",
    });
    const shown = await tcJson(ns, "-s", "qdisc", "show");
    const netem = shown.find((q) => q.kind === "netem")!;
    assert.equal(netem.dev, "va");
    assert.equal(netem.root, true);
    assert.deepEqual(netem.options, {
      limit: 500,
      delay: { delay: 0.1, jitter: 0.01, correlation: 0 },
      "loss-random": { loss: 0.05, correlation: 0 },
      ecn: false,
      gap: 0,
    });
    const fq = shown.find((q) => q.kind === "fq_codel")!;
    assert.deepEqual(fq.options, {
      limit: 2000,
      flows: 512,
      quantum: 1300,
      target: 3999, // the kernel keeps CoDel times in 1024 ns units
      ce_threshold: 1999,
      interval: 89999,
      memory_limit: 33554432,
      ecn: true,
      drop_batch: 64,
    });

    const mine = await t.qdiscs();
    const mNetem = mine.find((q) => q.kind === "netem")!;
    assert.deepEqual(mNetem.options, {
      kind: "netem",
      delay: netem.options.delay.delay * 1e6,
      jitter: netem.options.delay.jitter * 1e6,
      loss: netem.options["loss-random"].loss * 100,
      duplicate: 0,
      limit: netem.options.limit,
      gap: netem.options.gap,
    });
    assert.equal(mNetem.handle, netem.handle);
    const mFq = mine.find((q) => q.kind === "fq_codel")!;
    assert.equal(mFq.handle, fq.handle);
    assert.deepEqual(mFq.options, {
      kind: "fq_codel",
      limit: fq.options.limit,
      flows: fq.options.flows,
      target: fq.options.target,
      interval: fq.options.interval,
      quantum: fq.options.quantum,
      ceThreshold: fq.options.ce_threshold,
      memoryLimit: fq.options.memory_limit,
      dropBatchSize: fq.options.drop_batch,
      ecn: fq.options.ecn,
    });
    // fq_codel's xstats (the spec's tc-fq-codel-xstats) against tc -s
    const x = mFq.stats!.xstats as Record<string, number>;
    assert.deepEqual(
      [x.maxpacket, x.dropOverlimit, x.newFlowCount, x.ecnMark, x.newFlowsLen, x.oldFlowsLen],
      [
        fq.maxpacket,
        fq.drop_overlimit,
        fq.new_flow_count,
        fq.ecn_mark,
        fq.new_flows_len,
        fq.old_flows_len,
      ],
    );
    for (const k of ["packets", "drops", "overlimits", "requeues"] as const) {
      assert.equal(mFq.stats![k], fq[k], k);
    }
    assert.equal(Number(mFq.stats!.bytes), fq.bytes);

    // what tc makes, the library reads
    await tc(
      ns,
      "qdisc",
      "replace",
      "dev",
      "va",
      "root",
      "netem",
      "delay",
      "30ms",
      "7ms",
      "loss",
      "2%",
      "duplicate",
      "1%",
      "limit",
      "321",
    );
    await tc(
      ns,
      "qdisc",
      "replace",
      "dev",
      "vb",
      "root",
      "fq_codel",
      "limit",
      "999",
      "target",
      "7ms",
      "noecn",
    );
    const back = await t.qdiscs();
    assert.deepEqual(back.find((q) => q.kind === "netem")!.options, {
      kind: "netem",
      delay: 30000,
      jitter: 7000,
      loss: 2,
      duplicate: 1,
      limit: 321,
      gap: 0,
    });
    const fq2 = back.find((q) => q.kind === "fq_codel")!.options as Record<string, unknown>;
    const tcFq2 = (await tcJson(ns, "qdisc", "show", "dev", "vb"))[0].options;
    assert.deepEqual(
      [fq2.limit, fq2.target, fq2.ecn],
      [tcFq2.limit, tcFq2.target, tcFq2.ecn ?? false],
    );
  },
});

Deno.test({
  name: "vm tc: prio's bands and priomap, both ways",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    const map = [0, 1, 2, 3, 0, 1, 2, 3, 3, 2, 1, 0];
    await t.addQdisc("va", { kind: "prio", bands: 4, priomap: map }, { handle: "3:" });
    const [q] = await tcJson(ns, "qdisc", "show", "dev", "va");
    assert.equal(q.kind, "prio");
    assert.equal(q.handle, "3:");
    assert.equal(q.options.bands, 4);
    assert.deepEqual(q.options.priomap, [...map, 0, 0, 0, 0]);
    await tc(ns, "qdisc", "add", "dev", "vb", "root", "handle", "4:", "prio");
    const [p] = await t.qdiscs("vb");
    assert.deepEqual(p.options, {
      kind: "prio",
      bands: 3,
      priomap: (await tcJson(ns, "qdisc", "show", "dev", "vb"))[0].options.priomap,
    });
  },
});

/** `tc filter show`'s police line (iproute2 6.1's JSON leaves rate and burst out). */
async function policeText(ns: Netns, dev: string, where: string) {
  const text = await tc(ns, "filter", "show", "dev", dev, where);
  const m = / police 0x([0-9a-f]+) rate (\S+) burst (\S+) mtu (\S+) action ([a-z]+)(?:\/([a-z]+))?/
    .exec(
      text,
    );
  assert.ok(m, text);
  return {
    index: parseInt(m[1], 16),
    rate: m[2],
    burst: m[3],
    mtu: m[4],
    exceed: m[5],
    conform: m[6],
  };
}

Deno.test({
  name: "vm tc: flower and matchall with gact and police, compared with tc -j -s filter show",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await t.addQdisc("va", { kind: "clsact" });
    await t.addFilter("va", {
      parent: "ingress",
      prio: 5,
      kind: "flower",
      ipProto: "tcp",
      src: "10.0.0.0/24",
      dst: "10.1.2.3",
      sport: 1000,
      dport: 80,
      actions: [{ kind: "gact", verdict: "drop" }],
    });
    await t.addFilter("va", {
      parent: "egress",
      prio: 6,
      protocol: "all",
      kind: "matchall",
      classid: "1:2",
      actions: [
        { kind: "police", rate: "1mbit", burst: "10k", exceed: "drop" },
        { kind: "gact", verdict: "pass" },
      ],
    });
    const [fl] = (await tcJson(ns, "-s", "filter", "show", "dev", "va", "ingress"))
      .filter((f) => f.options);
    assert.equal(fl.protocol, "ip");
    assert.equal(fl.pref, 5);
    assert.equal(fl.kind, "flower");
    assert.deepEqual(fl.options.keys, {
      eth_type: "ipv4",
      ip_proto: "tcp",
      dst_ip: "10.1.2.3",
      src_ip: "10.0.0.0/24",
      dst_port: 80,
      src_port: 1000,
    });
    assert.equal(fl.options.actions.length, 1);
    assert.equal(fl.options.actions[0].kind, "gact");
    assert.deepEqual(fl.options.actions[0].control_action, { type: "drop" });

    const [ma] = (await tcJson(ns, "-s", "filter", "show", "dev", "va", "egress"))
      .filter((f) => f.options);
    assert.equal(ma.protocol, "all");
    assert.equal(ma.pref, 6);
    assert.equal(ma.options.flowid, "1:2");
    assert.deepEqual(ma.options.actions.map((a: { kind: string }) => a.kind), ["police", "gact"]);
    assert.deepEqual(ma.options.actions[0].control_action, { type: "drop" });
    assert.deepEqual(ma.options.actions[1].control_action, { type: "pass" });
    const police = await policeText(ns, "va", "egress");
    assert.deepEqual(police, {
      index: ma.options.actions[0].index,
      rate: "1Mbit",
      burst: "10Kb",
      mtu: "2Kb",
      exceed: "drop",
      // the kernel dumps the conform verdict only when it is not ok (0)
      conform: undefined,
    });

    // the library's reading of the same
    const [mfl] = (await t.filters("va", { parent: "ingress" })).filter((f) => f.options?.flower);
    assert.equal(mfl.prio, fl.pref);
    assert.equal(mfl.protocol, fl.protocol);
    assert.equal(mfl.handleNumber, fl.options.handle);
    assert.deepEqual(mfl.options!.flower, {
      ethType: 0x0800,
      ipProto: fl.options.keys.ip_proto,
      src: fl.options.keys.src_ip,
      dst: `${fl.options.keys.dst_ip}/32`,
      sport: fl.options.keys.src_port,
      dport: fl.options.keys.dst_port,
    });
    assert.equal(mfl.options!.notInHw, fl.options.not_in_hw);
    const [gact] = mfl.options!.actions;
    assert.deepEqual([gact.kind, gact.verdict, gact.index], [
      "gact",
      "drop",
      fl.options.actions[0].index,
    ]);
    const [mma] = (await t.filters("va", { parent: "egress" })).filter((f) => f.options);
    assert.equal(mma.options!.classid, ma.options.flowid);
    assert.equal(mma.options!.hits, BigInt(ma.options.rule_hit));
    const [p, g] = mma.options!.actions;
    assert.deepEqual(
      {
        kind: p.kind,
        rate: p.rate,
        burst: p.burst,
        mtu: p.mtu,
        verdict: p.verdict,
        conform: p.conform,
      },
      { kind: "police", rate: 125000, burst: 10240, mtu: 2040, verdict: "drop", conform: "pass" },
    );
    assert.deepEqual([g.kind, g.verdict], ["gact", "pass"]);

    // what tc makes, the library reads
    await tc(ns, "qdisc", "add", "dev", "vb", "handle", "ffff:", "ingress");
    await tc(
      ns,
      "filter",
      "add",
      "dev",
      "vb",
      "ingress",
      "prio",
      "3",
      "protocol",
      "ipv6",
      "flower",
      "ip_proto",
      "udp",
      "dst_ip",
      "2001:db8::/64",
      "dst_port",
      "53",
      "action",
      "gact",
      "pass",
    );
    await tc(
      ns,
      "filter",
      "add",
      "dev",
      "vb",
      "ingress",
      "prio",
      "4",
      "protocol",
      "all",
      "matchall",
      "action",
      "police",
      "rate",
      "2mbit",
      "burst",
      "20k",
      "conform-exceed",
      "drop/continue",
    );
    const back = (await t.filters("vb", { parent: "ingress" })).filter((f) => f.options);
    const f6 = back.find((f) => f.kind === "flower")!;
    assert.equal(f6.protocol, "ipv6");
    assert.deepEqual(f6.options!.flower, {
      ethType: 0x86dd,
      ipProto: "udp",
      dst: "2001:db8::/64",
      dport: 53,
    });
    assert.deepEqual(f6.options!.actions.map((a) => [a.kind, a.verdict]), [["gact", "pass"]]);
    const m4 = back.find((f) => f.kind === "matchall")!;
    const [p4] = m4.options!.actions;
    assert.deepEqual(
      [p4.kind, p4.rate, p4.burst, p4.verdict, p4.conform],
      ["police", 250000, 20480, "drop", "continue"],
    );
    await t.deleteFilter("vb", { parent: "ingress", prio: 3 });
    const left = (await tcJson(ns, "filter", "show", "dev", "vb", "ingress")).map((f) => f.pref);
    assert.deepEqual([...new Set(left)], [4]);
  },
});
