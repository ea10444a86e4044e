/**
 * A conntrack table with entries of every protocol the dump reads (TCP in
 * a zone with a mark, UDP over IPv6, ICMP, flows with and without
 * counters), listed by `Conntrack.list()` and compared with `conntrack -L`.
 */
import assert from "node:assert/strict";
import { Conntrack } from "../src/conntrack/mod.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";

async function sh(ns: Netns, ...args: string[]): Promise<string> {
  return await run("ip", "netns", "exec", ns.name, ...args);
}

Deno.test({
  name:
    "conntrack dump: entries of every kind, with and without counters, as conntrack -L lists them",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("conntrack", "nft", "python3");
    await using ns = await makeNetns();
    await ns.ip("link", "set", "lo", "up");
    await sh(ns, "nft", "add table inet t");
    await sh(ns, "nft", "add chain inet t out { type filter hook output priority 0 ; }");
    await sh(ns, "nft", "add rule inet t out ct state new counter");
    const add = (...a: string[]) => sh(ns, "conntrack", "-I", "-t", "600", ...a);
    const tcp = ["-p", "tcp", "--sport", "1000", "--dport", "80", "--state", "ESTABLISHED"];
    await add("-s", "10.1.0.1", "-d", "10.1.0.2", ...tcp, "-w", "5", "-m", "7", "-u", "ASSURED");
    await add(
      "-s",
      "2001:db8::1",
      "-d",
      "2001:db8::2",
      "-p",
      "udp",
      "--sport",
      "53",
      "--dport",
      "9",
    );
    await add(
      "-s",
      "10.1.0.3",
      "-d",
      "10.1.0.4",
      "-p",
      "icmp",
      "--icmp-type",
      "8",
      "--icmp-code",
      "0",
      "--icmp-id",
      "77",
    );
    await sh(
      ns,
      "python3",
      "-c",
      `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(20): s.sendto(b"x", ("127.0.0.1", 4000 + p))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for p in range(5): s6.sendto(b"x", ("::1", 4000 + p))`,
    );
    // from here on, new entries carry counters: the generic way
    await sh(ns, "sh", "-c", "echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct");
    await add("-s", "10.1.0.5", "-d", "10.1.0.6", ...tcp);
    await sh(
      ns,
      "python3",
      "-c",
      `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(5): s.sendto(b"x", ("127.0.0.2", 5000 + p))`,
    );
    await using ct = await Conntrack.open({ netns: ns.name });
    const mine = await ct.list();
    assert.ok(mine.length >= 33, `${mine.length} entries`);
    // every entry the tool lists, and the counters where the kernel keeps them
    const listed = (await sh(ns, "conntrack", "-L")).trim().split("\n");
    assert.equal(mine.length, listed.length);
    assert.ok(mine.filter((e) => e.countersOrig).length >= 6);
    const zoned = mine.find((e) => e.zone === 5)!;
    // as the tool shows it (conntrack -I's -m sets the mark it lists)
    const line = (await sh(ns, "conntrack", "-L", "-w", "5")).trim();
    assert.match(line, new RegExp(`ESTABLISHED .*\\[ASSURED\\] mark=${zoned.mark} zone=5 `));
    assert.equal(zoned.tcpState, "established");
    assert.ok(zoned.statusNames.includes("assured"));
    assert.equal(zoned.attrs.tupleOrig?.tupleProto?.protoDstPort, 80);
    assert.equal(JSON.parse(JSON.stringify(zoned)).attrs.mark, zoned.mark);
  },
});
