/** The README's main command (the demo) runs and shows the whole timeline. */
import assert from "node:assert/strict";
import { ignoreUnlessRoot, makeNetns, run } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";
import { udpSource, vethPair } from "./helpers/traffic.ts";

Deno.test({
  name: "examples/veth_events.ts: requests acknowledged, events seen, errors typed",
  ignore: ignoreUnlessRoot,
  async fn() {
    const demo = new URL("../examples/veth_events.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", "--allow-read", "--allow-run", demo],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
    for (
      const line of [
        /RTM_NEWLINK demo0\/demo1: acknowledged/,
        /again: EEXIST/,
        /dump: lo, demo1, demo0/,
        /kernel says: link demo0 new/,
        /kernel says: link demo1 deleted/,
        /both ends of the pair reported deleted/,
      ]
    ) assert.match(text, line);
  },
});

Deno.test({
  name: "examples/conntrack_watch.ts --demo: the table, its events and a prune by mark",
  ignore: ignoreUnlessRoot,
  async fn() {
    const demo = new URL("../examples/conntrack_watch.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", demo, "--demo"],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
    for (
      const line of [
        /^0 entries of at most \d+$/m,
        /^new +proto 17 10\.0\.0\.1:5353 -> 10\.0\.0\.2:53 \[UNREPLIED\] mark=17 zone=0$/m,
        /^update +proto 17 10\.0\.0\.1:5353 -> 10\.0\.0\.2:53 \[UNREPLIED\] mark=18 zone=0$/m,
        /^new +proto 17 10\.0\.0\.1:5354 -> 10\.0\.0\.2:53 \[UNREPLIED\] mark=0 zone=0$/m,
        /^pruned 1 entries with mark bits 0x10$/m,
        /^1 entries left$/m,
      ]
    ) assert.match(text, line);
  },
});

Deno.test({
  name: "examples/nat_gateway.ts: the gateway masquerades LAN traffic and drops new WAN traffic",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft", "python3");
    await using client = await makeNetns();
    await using gw = await makeNetns();
    await using server = await makeNetns();
    await vethPair(client, "cg", "10.1.0.2/24", gw, "lan0", "10.1.0.1/24");
    await vethPair(gw, "wan0", "10.2.0.1/24", server, "sg", "10.2.0.2/24");
    await client.ip("route", "add", "default", "via", "10.1.0.1");
    await server.ip("route", "add", "10.1.0.0/24", "via", "10.2.0.1");
    await run("ip", "netns", "exec", gw.name, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    // before: routed as is, both ways
    assert.equal(await udpSource(client, server, "10.2.0.2", 7100), "10.1.0.2");
    assert.equal(await udpSource(server, client, "10.1.0.2", 7101), "10.2.0.2");
    const example = new URL("../examples/nat_gateway.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-ffi",
        "--allow-read",
        example,
        "--netns",
        gw.name,
        "--lan",
        "lan0",
        "--wan",
        "wan0",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
    assert.match(text, /table inet nat_gateway: 4 rules/);
    assert.match(text, /postrouting #\d+: masquerade/);
    // after: the server sees the gateway, and the WAN cannot open flows in
    assert.equal(await udpSource(client, server, "10.2.0.2", 7102), "10.2.0.1", "masqueraded");
    assert.equal(
      await udpSource(server, client, "10.1.0.2", 7103),
      "timeout",
      "forward policy drop",
    );
    const listed = JSON.parse(
      await run(
        "ip",
        "netns",
        "exec",
        gw.name,
        "nft",
        "-j",
        "list",
        "table",
        "inet",
        "nat_gateway",
      ),
    );
    const rules = listed.nftables.filter((o: { rule?: unknown }) => o.rule).map((
      o: { rule: { comment: string; expr: unknown[] } },
    ) => o.rule);
    const lanToWan = rules.find((r: { comment: string }) => r.comment === "lan to wan");
    assert.ok(
      lanToWan.expr.some((e: { counter?: { packets: number } }) => (e.counter?.packets ?? 0) > 0),
      "LAN traffic counted",
    );
  },
});
