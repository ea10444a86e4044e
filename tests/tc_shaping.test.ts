/**
 * A tbf and an htb class the library sets really slow a bounded TCP
 * transfer between two namespaces (bytes per second against an unshaped
 * run, generous ratios); the counters after it agree with tc -s; the
 * tc-like CLI shows what tc -j -s shows.
 */
import assert from "node:assert/strict";
import { Tc } from "../src/tc/mod.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run, waitOperUp } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";
import { tc, tcJson, vethNs } from "./helpers/tc.ts";

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
