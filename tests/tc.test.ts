/**
 * Traffic control against the host kernel (htb, tbf, prio, ingress,
 * clsact, u32, bpf, mirred), compared with iproute2's tc field by field
 * in both directions: what the library builds, `tc -j -s` shows; what tc
 * builds, the library decodes. A tbf and an htb limit the library sets
 * really slow a bounded TCP transfer between two namespaces.
 */
import assert from "node:assert/strict";
import { Tc } from "../src/tc/mod.ts";
import { NetlinkError } from "../src/errors.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run, waitOperUp } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";

const tc = (ns: Netns, ...args: string[]) => run("tc", "-n", ns.name, ...args);
/** `tc -j ...`, parsed; u32's repeated "match" keys are numbered so none is lost. */
// deno-lint-ignore no-explicit-any
async function tcJson<T = Record<string, any>[]>(ns: Netns, ...args: string[]): Promise<T> {
  let n = 0;
  const text = (await tc(ns, "-j", ...args)).replace(/"match":/g, () => `"match${n++}":`);
  return JSON.parse(text || "[]") as T;
}

async function vethNs(): Promise<Netns> {
  const ns = await makeNetns();
  // no IPv6: its neighbour discovery would count in statistics between two reads
  for (const k of ["all", "default"]) {
    await run("ip", "netns", "exec", ns.name, "sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`);
  }
  await ns.ip("link", "add", "name", "va", "type", "veth", "peer", "name", "vb");
  await ns.ip("link", "set", "va", "up");
  await ns.ip("link", "set", "vb", "up");
  return ns;
}

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
    await t.deleteClass("va", "1:20");
    assert.equal((await tcClasses(ns, "va")).some((c) => c.classid === "1:20"), false);
  },
});

Deno.test({
  name: "tc: u32 and bpf filters with mirred, both ways, compared with tc -j -s filter show",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("tc");
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await t.addQdisc("vb", { kind: "clsact" });
    await t.addFilter("vb", {
      parent: "ingress",
      prio: 10,
      kind: "u32",
      match: { src: "10.0.0.0/24", dst: "10.1.0.1", ipProto: "tcp", sport: 1000, dport: 80 },
      classid: "1:10",
      actions: [{ kind: "mirred", mode: "redirect", dev: "va" }],
    });
    await t.addFilter("vb", {
      parent: "egress",
      prio: 20,
      protocol: "all",
      kind: "bpf",
      ops: [{ code: 6, jt: 0, jf: 0, k: 0xffffffff }],
      classid: "1:1",
      actions: [{ kind: "mirred", mode: "mirror", dev: "va", direction: "ingress" }],
    });
    const ing = (await tcJson(ns, "-s", "filter", "show", "dev", "vb", "ingress"))
      .find((f) => f.options?.match0)!;
    assert.equal(ing.protocol, "ip");
    assert.equal(ing.pref, 10);
    assert.equal(ing.kind, "u32");
    assert.equal(ing.options.fh, "800::800");
    assert.equal(ing.options.flowid, "1:10");
    const matches = [0, 1, 2, 3].map((i) => ing.options[`match${i}`]);
    assert.deepEqual(matches, [
      { value: "a000000", mask: "ffffff00", offmask: "", off: 12 },
      { value: "a010001", mask: "ffffffff", offmask: "", off: 16 },
      { value: "60000", mask: "ff0000", offmask: "", off: 8 },
      { value: "3e80050", mask: "ffffffff", offmask: "", off: 20 },
    ]);
    const [mirred] = ing.options.actions;
    assert.equal(mirred.kind, "mirred");
    assert.equal(mirred.mirred_action, "redirect");
    assert.equal(mirred.direction, "egress");
    assert.equal(mirred.to_dev, "va");
    assert.deepEqual(mirred.control_action, { type: "stolen" });

    const eg = (await tcJson(ns, "-s", "filter", "show", "dev", "vb", "egress"))
      .find((f) => f.options)!;
    assert.equal(eg.protocol, "all");
    assert.equal(eg.pref, 20);
    assert.equal(eg.options.flowid, "1:1");
    assert.deepEqual(eg.options.bytecode, {
      length: 1,
      insns: [{ code: 6, jt: 0, jf: 0, k: 4294967295 }],
    });
    const [mirror] = eg.options.actions;
    assert.equal(mirror.mirred_action, "mirror");
    assert.equal(mirror.direction, "ingress");
    assert.deepEqual(mirror.control_action, { type: "pipe" });

    // the library's reading of the same filters
    const va = await t.ifindex("va");
    const mine = (await t.filters("vb", { parent: "ingress" })).find((f) => f.options?.keys)!;
    assert.equal(mine.handle, "800::800");
    assert.equal(mine.parent, "ffff:fff2");
    assert.equal(mine.prio, 10);
    assert.equal(mine.protocol, "ip");
    assert.equal(mine.options!.classid, "1:10");
    assert.deepEqual(mine.options!.match, {
      src: "10.0.0.0/24",
      dst: "10.1.0.1/32",
      ipProto: 6,
      sport: 1000,
      dport: 80,
    });
    const [a] = mine.options!.actions;
    assert.deepEqual(
      {
        kind: a.kind,
        mode: a.mode,
        direction: a.direction,
        ifindex: a.ifindex,
        verdict: a.verdict,
      },
      { kind: "mirred", mode: "redirect", direction: "egress", ifindex: va, verdict: "stolen" },
    );
    assert.equal(a.index, mirred.index);
    assert.equal(a.refcnt, mirred.ref);
    assert.equal(a.bindcnt, mirred.bind);
    assert.equal(Number(a.stats!.bytes), mirred.stats.bytes);
    assert.equal(a.stats!.packets, mirred.stats.packets);

    // what tc makes, the library reads
    await t.addQdisc("va", { kind: "ingress" });
    await tc(
      ns,
      "filter",
      "add",
      "dev",
      "va",
      "ingress",
      "prio",
      "7",
      "protocol",
      "ip",
      "u32",
      "match",
      "ip",
      "dst",
      "192.168.7.0/24",
      "match",
      "ip",
      "dport",
      "53",
      "0xffff",
      "flowid",
      "1:7",
      "action",
      "mirred",
      "egress",
      "mirror",
      "dev",
      "vb",
    );
    const [fromTc] = (await t.filters("va", { parent: "ingress" })).filter((f) => f.options?.keys);
    assert.equal(fromTc.prio, 7);
    assert.equal(fromTc.options!.classid, "1:7");
    assert.equal(fromTc.options!.terminal, true);
    assert.deepEqual(fromTc.options!.match, { dst: "192.168.7.0/24", dport: 53 });
    assert.deepEqual(
      fromTc.options!.actions.map((x) => [x.kind, x.mode, x.direction, x.verdict, x.ifindex]),
      [["mirred", "mirror", "egress", "pipe", await t.ifindex("vb")]],
    );
    // delete one priority: tc no longer shows it
    await t.deleteFilter("vb", { parent: "ingress", prio: 10 });
    assert.deepEqual(await tcJson(ns, "filter", "show", "dev", "vb", "ingress"), []);
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

/** Bytes per second of one bounded TCP transfer from `a` (10.9.0.1) to `b` (10.9.0.2). */
async function transfer(a: Netns, b: Netns, bytes: number): Promise<number> {
  const server = `
import socket, time, json
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.9.0.2", 5201)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
got = 0; start = None
while got < ${bytes}:
    d = c.recv(65536)
    if not d: break
    if start is None: start = time.monotonic()
    got += len(d)
print(json.dumps({"bytes": got, "seconds": time.monotonic() - start}))`;
  const client = `
import socket, time
for i in range(100):
    try:
        c = socket.create_connection(("10.9.0.2", 5201), timeout=30); break
    except OSError: time.sleep(0.05)
c.sendall(b"x" * ${bytes}); c.close()`;
  const srv = new Deno.Command("ip", {
    args: ["netns", "exec", b.name, "python3", "-c", server],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await run("ip", "netns", "exec", a.name, "python3", "-c", client);
  const out = await srv;
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(r.bytes, bytes);
  return r.bytes / r.seconds;
}

Deno.test({
  name: "tc: a tbf and an htb class the library sets really limit a transfer between namespaces",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("python3");
    await using a = await makeNetns();
    await using b = await makeNetns();
    await a.ip("link", "add", "name", "sa", "type", "veth", "peer", "name", "sb", "netns", b.name);
    await a.ip("address", "add", "10.9.0.1/24", "dev", "sa");
    await b.ip("address", "add", "10.9.0.2/24", "dev", "sb");
    await a.ip("link", "set", "sa", "up");
    await b.ip("link", "set", "sb", "up");
    await waitOperUp(a, "sa");
    await waitOperUp(b, "sb");
    const size = 600_000;
    const free = await transfer(a, b, size);
    await using t = Tc.open({ netns: a.name });
    const rate = 250_000; // 2mbit
    await t.addQdisc("sa", { kind: "tbf", rate, burst: "10k", latency: "100ms" }, {
      estimator: { interval: -2, ewmaLog: 2 },
    });
    const tbf = await transfer(a, b, size);
    // the library's counters, between two readings of tc -s (late ACKs may still pass)
    const before = (await tcJson(a, "-s", "qdisc", "show", "dev", "sa"))[0];
    const [q] = await t.qdiscs("sa");
    const after = (await tcJson(a, "-s", "qdisc", "show", "dev", "sa"))[0];
    assert.ok(Number(q.stats!.bytes) >= size, `tbf sent ${q.stats!.bytes}`);
    for (const k of ["bytes", "packets", "drops", "overlimits", "requeues"] as const) {
      const mine = Number(q.stats![k]);
      assert.ok(
        before[k] <= mine && mine <= after[k],
        `${k}: ${before[k]} <= ${mine} <= ${after[k]}`,
      );
    }
    assert.ok(q.stats!.packets > 100 && q.stats!.overlimits > 0, `${q.stats!.packets} packets`);
    // the estimator ran: a rate in bytes and packets per second, as tc -s shows one
    assert.ok(q.stats!.bps! > 0n && q.stats!.pps! > 0n, `rate ${q.stats!.bps} ${q.stats!.pps}`);
    assert.ok(before.rate > 0 && after.pps > 0, `tc: rate ${before.rate} ${before.pps}`);
    await t.replaceQdisc("sa", { kind: "htb", defaultClass: 0x10 }, { handle: "1:" });
    await t.addClass("sa", "1:10", { kind: "htb", rate, burst: "10k" });
    const htb = await transfer(a, b, size);
    const cls = (await t.classes("sa")).find((c) => c.handle === "1:10")!;
    assert.ok(Number(cls.stats!.bytes) >= size, `class sent ${cls.stats!.bytes}`);
    console.log(
      `free ${Math.round(free)} B/s, tbf ${Math.round(tbf)} B/s, htb ${
        Math.round(htb)
      } B/s, set ${rate}`,
    );
    // generous: the shaped transfers run near the rate, the free one far above it
    for (const [name, bps] of [["tbf", tbf], ["htb", htb]] as const) {
      assert.ok(bps < rate * 2, `${name}: ${bps} B/s, set ${rate}`);
      assert.ok(bps > rate / 4, `${name}: ${bps} B/s, set ${rate}`);
      assert.ok(free > bps * 5, `${name}: ${bps} B/s shaped, ${free} B/s free`);
    }
  },
});

Deno.test({
  name: "tc: the tc-like CLI shows what tc -j -s shows",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("tc");
    await using ns = await vethNs();
    for (
      const c of [
        "qdisc add dev va root handle 1: htb default 10",
        "class add dev va parent 1: classid 1:10 htb rate 5mbit",
        "qdisc add dev va parent 1:10 handle 2: tbf rate 1mbit burst 4k limit 9000",
        "qdisc add dev vb clsact",
        "filter add dev vb ingress prio 2 protocol ip u32 match ip sport 22 0xffff " +
        "action mirred egress redirect dev va",
      ]
    ) await tc(ns, ...c.split(" "));
    const cli = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../src/cli/tc.ts", import.meta.url).pathname,
          "--netns",
          ns.name,
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    // deno-lint-ignore no-explicit-any
    const mine: any[] = JSON.parse(await cli("-s", "--json", "qdisc", "show"));
    const theirs = await tcJson(ns, "-s", "qdisc", "show");
    assert.deepEqual(
      mine.map((q) => [q.dev, q.kind, q.handle, q.parent, Number(q.stats.bytes), q.stats.packets]),
      theirs.map((q) => [q.dev, q.kind, q.handle, q.root ? "root" : q.parent, q.bytes, q.packets]),
    );
    const tbf = mine.find((q) => q.kind === "tbf");
    const tcTbf = theirs.find((q) => q.kind === "tbf")!;
    assert.deepEqual([tbf.options.rate, tbf.options.burst], [
      tcTbf.options.rate,
      tcTbf.options.burst,
    ]);
    // deno-lint-ignore no-explicit-any
    const filters: any[] = JSON.parse(
      await cli("--json", "filter", "show", "dev", "vb", "ingress"),
    );
    const tcFilters = await tcJson(ns, "filter", "show", "dev", "vb", "ingress");
    assert.deepEqual(
      filters.map((f) => [f.protocol, f.prio, f.kind, f.handle]),
      tcFilters.map((f) => [f.protocol, f.pref, f.kind, f.options?.fh ?? ""]),
    );
    const text = await cli("-s", "qdisc", "show", "dev", "va");
    assert.match(text, /^qdisc htb 1: dev va root .*defaultClass 16/m);
    assert.match(text, /^qdisc tbf 2: dev va parent 1:10 rate 125000 burst 4096 limit 9000/m);
    assert.match(text, /^ Sent \d+ bytes \d+ pkt \(dropped 0, overlimits 0 requeues 0\)$/m);
  },
});

/** Loads `r0 = 0; exit` as a sched_cls program and pins it at `path` (python3's ctypes, bpf(2)). */
const PIN = `
import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
insns = struct.pack("<BBhi", 0xb7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)
ibuf = ctypes.create_string_buffer(insns, len(insns))
lic = ctypes.create_string_buffer(b"GPL")
attr = struct.pack("<IIQQIIQI", 3, 2, ctypes.addressof(ibuf), ctypes.addressof(lic), 0, 0, 0, 0)
abuf = ctypes.create_string_buffer(attr, 128)
fd = libc.syscall(321, 5, abuf, 128)
if fd < 0: raise OSError(ctypes.get_errno(), "BPF_PROG_LOAD")
path = ctypes.create_string_buffer(sys.argv[1].encode())
pattr = ctypes.create_string_buffer(struct.pack("<QII", ctypes.addressof(path), fd, 0), 128)
if libc.syscall(321, 6, pattr, 128) < 0: raise OSError(ctypes.get_errno(), "BPF_OBJ_PIN")`;

Deno.test({
  name: "tc: a bpf filter from a pinned program (bpf(2) BPF_OBJ_GET), as tc shows it",
  ignore: ignoreUnlessRoot || Deno.build.arch !== "x86_64",
  async fn() {
    await requireTools("tc", "python3");
    await using ns = await vethNs();
    const dir = await Deno.makeTempDir();
    await run("mount", "-t", "bpf", "bpf", dir);
    try {
      await run("python3", "-c", PIN, `${dir}/prog`);
      await using t = Tc.open({ netns: ns.name });
      await t.addQdisc("vb", { kind: "clsact" });
      await t.addFilter("vb", {
        parent: "ingress",
        prio: 4,
        protocol: "all",
        kind: "bpf",
        pinned: `${dir}/prog`,
        directAction: true,
      });
      const [f] = (await tcJson(ns, "filter", "show", "dev", "vb", "ingress"))
        .filter((x) => x.options);
      assert.equal(f.kind, "bpf");
      assert.equal(f.pref, 4);
      assert.equal(f.options["direct-action"], true);
      assert.equal(f.options.bpf_name, "prog");
      const [mine] = (await t.filters("vb", { parent: "ingress" })).filter((x) => x.options);
      assert.deepEqual(mine.options!.bpf, {
        directAction: true,
        name: "prog",
        id: f.options.prog.id,
        tag: f.options.prog.tag,
      });
      await assert.rejects(
        t.addFilter("vb", { parent: "ingress", kind: "bpf", pinned: `${dir}/none` }),
        /bpf: ENOENT .*BPF_OBJ_GET .*none/,
      );
    } finally {
      await run("umount", dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
