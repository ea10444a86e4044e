/**
 * Traffic control against the host kernel (htb, tbf, ingress, clsact):
 * qdiscs and htb classes the library builds are what iproute2's tc shows,
 * field by field, and what tc builds the library decodes; replace, change
 * and delete; typed errors for bad options; the tc group's events.
 */
import assert from "node:assert/strict";
import { Tc } from "../src/tc/mod.ts";
import { NetlinkError } from "../src/errors.ts";
import { ignoreUnlessRoot, type Netns } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";
import { tc, tcJson, vethNs } from "./helpers/tc.ts";

Deno.test({
  name: "tc: qdiscs the library adds are what tc -j -s qdisc show shows",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("tc");
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await t.addQdisc("va", { kind: "htb", defaultClass: 0x20, r2q: 7, directQlen: 55 }, {
      handle: "1:",
    });
    await t.addQdisc("vb", { kind: "tbf", rate: "3mbit", burst: "8k", latency: "50ms" });
    // and the same made by tc, for the numbers tc's own arithmetic gives
    await ns.ip("link", "add", "name", "vc", "type", "veth", "peer", "name", "vd");
    await tc(
      ns,
      "qdisc",
      "add",
      "dev",
      "vc",
      "root",
      "tbf",
      "rate",
      "3mbit",
      "burst",
      "8k",
      "latency",
      "50ms",
    );
    await t.addQdisc("vb", { kind: "clsact" });
    await t.addQdisc("va", { kind: "ingress" });
    const shown = await tcJson(ns, "-s", "qdisc", "show");
    const htb = shown.find((q) => q.kind === "htb")!;
    assert.equal(htb.handle, "1:");
    assert.equal(htb.root, true);
    assert.deepEqual(htb.options, {
      r2q: 7,
      default: "0x20",
      direct_packets_stat: 0,
      direct_qlen: 55,
    });
    const tbf = shown.find((q) => q.kind === "tbf" && q.dev === "vb")!;
    const tcs = shown.find((q) => q.kind === "tbf" && q.dev === "vc")!;
    assert.equal(tbf.options.rate, 375000);
    assert.deepEqual(tbf.options, tcs.options);
    // tc computes the latency back from the limit: 50 ms at 375000 B/s
    assert.ok(Math.abs(tbf.options.lat - 50000) <= 1, `lat ${tbf.options.lat}`);
    const clsact = shown.find((q) => q.kind === "clsact")!;
    assert.equal(clsact.parent, "ffff:fff1");
    assert.equal(clsact.handle, "ffff:");
    assert.ok(shown.find((q) => q.kind === "ingress" && q.dev === "va"));

    // and the library's own view of the same objects, with statistics as tc -s
    const mine = await t.qdiscs();
    const index = new Map<string, number>();
    for (const dev of ["lo", "va", "vb", "vc", "vd"]) index.set(dev, await t.ifindex(dev));
    for (const q of shown) {
      const m = mine.find((x) =>
        x.kind === q.kind && x.handle === q.handle && x.ifindex === index.get(q.dev)
      );
      assert.ok(m, `${q.kind} ${q.handle}`);
      assert.equal(m.parent, q.root ? "root" : q.parent ?? m.parent);
      assert.equal(Number(m.stats!.bytes), q.bytes);
      assert.equal(m.stats!.packets, q.packets);
      assert.equal(m.stats!.drops, q.drops);
      assert.equal(m.stats!.overlimits, q.overlimits);
      assert.equal(m.stats!.requeues, q.requeues);
      assert.equal(m.stats!.backlog, q.backlog);
      assert.equal(m.stats!.qlen, q.qlen);
      assert.equal(m.stats!.bps, undefined, "no estimator, no rate");
      assert.equal(q.rate, undefined);
    }
    const mineTbf = mine.find((x) => x.kind === "tbf" && x.ifindex === index.get("vb"))!;
    assert.deepEqual(mineTbf.options, {
      kind: "tbf",
      rate: tbf.options.rate,
      burst: tbf.options.burst,
      limit: (mineTbf.options as { limit: number }).limit,
      mtu: 0,
    });
  },
});

Deno.test({
  name: "tc: replace, change and delete a qdisc",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("tc");
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await t.addQdisc("va", { kind: "htb" }, { handle: "2:" });
    let [q] = await tcJson(ns, "qdisc", "show", "dev", "va");
    assert.equal(q.kind, "htb");
    assert.equal(q.handle, "2:");
    await assert.rejects(
      t.addQdisc("va", { kind: "htb" }, { handle: "2:" }),
      (e: unknown) => e instanceof NetlinkError && e.code === "EEXIST",
    );
    await t.replaceQdisc("va", { kind: "tbf", rate: "1mbit", burst: "4k", limit: 10000 });
    [q] = await tcJson(ns, "qdisc", "show", "dev", "va");
    assert.equal(q.kind, "tbf");
    assert.equal(q.options.rate, 125000);
    const [mine] = await t.qdiscs("va");
    assert.deepEqual(mine.options, {
      kind: "tbf",
      rate: 125000,
      burst: 4096,
      limit: 10000,
      mtu: 0,
    });
    await t.changeQdisc("va", { kind: "tbf", rate: "2mbit", burst: "4k", limit: 10000 }, {
      handle: mine.handle,
    });
    [q] = await tcJson(ns, "qdisc", "show", "dev", "va");
    assert.equal(q.options.rate, 250000);
    await t.deleteQdisc("va");
    [q] = await tcJson(ns, "qdisc", "show", "dev", "va");
    assert.notEqual(q.kind, "tbf");
  },
});

/** `tc class show`'s text (iproute2 6.1 prints htb classes without JSON). */
async function tcClasses(ns: Netns, dev: string) {
  const text = await tc(ns, "-s", "class", "show", "dev", dev);
  return text.split(/^(?=class )/m).filter(Boolean).map((block) => {
    const f = (re: RegExp) => re.exec(block)?.[1];
    return {
      kind: f(/^class (\S+)/),
      classid: f(/^class \S+ (\S+)/),
      parent: f(/ parent (\S+)/) ?? (/ root /.test(block) ? "root" : undefined),
      prio: Number(f(/ prio (\d+)/)),
      rate: f(/ rate (\S+)/),
      ceil: f(/ ceil (\S+)/),
      burst: f(/ burst (\S+)/),
      cburst: f(/ cburst (\S+)/),
      bytes: Number(f(/Sent (\d+) bytes/)),
      packets: Number(f(/bytes (\d+) pkt/)),
      drops: Number(f(/dropped (\d+)/)),
    };
  });
}

Deno.test({
  name: "tc: htb classes the library adds are what tc class show shows, and the reverse",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("tc");
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await t.addQdisc("va", { kind: "htb", defaultClass: "10" }, { handle: "1:" });
    await t.addClass("va", "1:1", { kind: "htb", rate: "10mbit" });
    await t.addClass("va", "1:10", {
      kind: "htb",
      rate: "1mbit",
      ceil: "2mbit",
      burst: "15k",
      cburst: "3k",
      prio: 2,
    }, { parent: "1:1" });
    const shown = await tcClasses(ns, "va");
    const c10 = shown.find((c) => c.classid === "1:10")!;
    assert.deepEqual(
      { ...c10, bytes: 0, packets: 0, drops: 0 },
      {
        kind: "htb",
        classid: "1:10",
        parent: "1:1",
        prio: 2,
        rate: "1Mbit",
        ceil: "2Mbit",
        burst: "15Kb",
        cburst: "3Kb",
        bytes: 0,
        packets: 0,
        drops: 0,
      },
    );
    const c1 = shown.find((c) => c.classid === "1:1")!;
    assert.equal(c1.rate, "10Mbit");
    assert.equal(c1.ceil, "10Mbit");
    assert.equal(c1.burst, "1600b");

    // what tc makes, the library reads
    await tc(
      ns,
      "class",
      "add",
      "dev",
      "va",
      "parent",
      "1:1",
      "classid",
      "1:20",
      "htb",
      "rate",
      "3mbit",
      "ceil",
      "5mbit",
      "burst",
      "20k",
      "cburst",
      "4k",
      "prio",
      "5",
      "quantum",
      "3000",
    );
    const mine = await t.classes("va");
    const c20 = mine.find((c) => c.handle === "1:20")!;
    assert.equal(c20.parent, "1:1");
    assert.deepEqual(c20.options, {
      kind: "htb",
      rate: 375000,
      ceil: 625000,
      // tc's own arithmetic (tc_calc_xmitsize) truncates 20480 and 4096 kept as time
      burst: 20479,
      cburst: 4095,
      prio: 5,
      quantum: 3000,
      level: 0,
    });
    assert.equal(mine.find((c) => c.handle === "1:1")!.options.level, 7);
    for (const c of shown) {
      const m = mine.find((x) => x.handle === c.classid)!;
      assert.equal(Number(m.stats!.bytes), c.bytes, c.classid);
      assert.equal(m.stats!.packets, c.packets, c.classid);
    }
    // change and replace: tc shows the new rates
    await t.changeClass("va", "1:20", { kind: "htb", rate: "4mbit", ceil: "6mbit", prio: 1 }, {
      parent: "1:1",
    });
    let c = (await tcClasses(ns, "va")).find((x) => x.classid === "1:20")!;
    assert.deepEqual([c.rate, c.ceil, c.prio], ["4Mbit", "6Mbit", 1]);
    await t.replaceClass("va", "1:20", { kind: "htb", rate: "2mbit" }, { parent: "1:1" });
    c = (await tcClasses(ns, "va")).find((x) => x.classid === "1:20")!;
    assert.deepEqual([c.rate, c.ceil, c.prio], ["2Mbit", "2Mbit", 0]);
    await t.deleteClass("va", "1:20");
    assert.equal((await tcClasses(ns, "va")).some((c) => c.classid === "1:20"), false);
  },
});

Deno.test({
  name: "tc: bad options are typed errors before anything is sent",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await assert.rejects(
      t.addQdisc("va", { kind: "tbf", rate: "1mbitt", burst: 1, limit: 1 }),
      /tbf rate: "1mbitt" is not a rate/,
    );
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      t.addQdisc("va", { kind: "htb", defualt: 1 } as any),
      /htb has no option defualt/,
    );
    await assert.rejects(
      t.addQdisc("va", { kind: "prio", bands: 1 }),
      (e: unknown) => e instanceof RangeError && /prio bands/.test(e.message),
    );
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      t.addQdisc("va", { kind: "sfq" } as any),
      /kind "sfq" has no typed options here/,
    );
    await assert.rejects(
      t.addFilter("va", { kind: "u32", match: { src: "2001:db8::/32" } }),
      /an IPv4 prefix/,
    );
    await assert.rejects(
      t.addFilter("va", {
        kind: "matchall",
        actions: [{ kind: "gact", verdict: "drpo" as "drop" }],
      }),
      /unknown verdict "drpo" \(did you mean "drop"\?\)/,
    );
    await assert.rejects(
      t.addQdisc("nosuch0", { kind: "ingress" }),
      (e: unknown) => e instanceof NetlinkError && e.code === "ENODEV",
    );
    assert.equal((await t.qdiscs("va")).some((q) => q.kind === "tbf" || q.kind === "htb"), false);
  },
});

Deno.test({
  name: "tc: events of the tc group as the library and tc change things",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 10_000);
    const events = t.events({ signal: ac.signal });
    const first = events.next(); // the socket joins the group here
    await t.addQdisc("va", { kind: "htb", defaultClass: 1 }, { handle: "5:" });
    await tc(
      ns,
      "class",
      "add",
      "dev",
      "va",
      "parent",
      "5:",
      "classid",
      "5:1",
      "htb",
      "rate",
      "1mbit",
    );
    await t.addQdisc("va", { kind: "clsact" });
    await t.addFilter("va", { parent: "ingress", prio: 3, kind: "u32", match: { dport: 9 } });
    await t.deleteQdisc("va");
    const seen: string[] = [];
    try {
      for (let r = await first; !r.done; r = await events.next()) {
        const e = r.value;
        if (e.kind === "qdisc") seen.push(`${e.action} qdisc ${e.qdisc.kind} ${e.qdisc.handle}`);
        if (e.kind === "class") {
          seen.push(`${e.action} class ${e.class.handle} ${e.class.options.kind}`);
        }
        if (e.kind === "filter" && e.filter.options?.keys) {
          seen.push(
            `${e.action} filter ${e.filter.kind} ${e.filter.prio} ${e.filter.options.match?.dport}`,
          );
        }
        if (seen.includes("del qdisc htb 5:")) break;
      }
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
    for (
      const want of [
        "new qdisc htb 5:",
        "new class 5:1 htb",
        "new qdisc clsact ffff:",
        "new filter u32 3 9",
        "del qdisc htb 5:",
      ]
    ) {
      assert.ok(seen.includes(want), `${want} in ${JSON.stringify(seen)}`);
    }
  },
});
