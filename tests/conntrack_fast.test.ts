/**
 * The dump's fast path (src/conntrack/fast.ts: entries read straight from
 * the message, attrs decoded at their first read) against the generic way
 * (the generated family's decode, then toEntry), entry by entry, on a
 * table that has both kinds: entries without counters (the fast path) and,
 * once `nf_conntrack_acct` is on, entries with them (the generic way);
 * TCP with a zone and a mark, UDP over IPv4 and IPv6, ICMP, and real
 * UDP flows from python3.
 */
import assert from "node:assert/strict";
import { Conntrack, type ConntrackEntry } from "../src/conntrack/mod.ts";
import { toEntry } from "../src/conntrack/entry.ts";
import { fastEntry } from "../src/conntrack/fast.ts";
import { conntrack } from "../src/families/conntrack.ts";
import { decodeAttrs } from "../src/ynl/codec.ts";
import { ParseError } from "../src/errors.ts";
import { Message } from "../src/message.ts";
import { MessageWriter } from "../src/writer.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";

async function sh(ns: Netns, ...args: string[]): Promise<string> {
  return await run("ip", "netns", "exec", ns.name, ...args);
}

/** An entry as plain data, without what ticks between two dumps. */
function plain(e: ConntrackEntry): Record<string, unknown> {
  const { timeout: _t, use: _u, ...rest } = { ...e, attrs: { ...e.attrs } };
  delete rest.attrs.timeout;
  delete rest.attrs.use;
  return rest;
}

Deno.test({
  name: "conntrack dump: the fast path's entries are the generic decode's, attrs included",
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
    const generic: ConntrackEntry[] = [];
    for await (const d of ct.family.dump("get", { header: {} })) generic.push(toEntry(d));
    assert.equal(mine.length, generic.length);
    assert.ok(mine.length >= 33, `${mine.length} entries`);
    const byId = (xs: ConntrackEntry[]) =>
      [...xs].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).map(plain);
    assert.deepEqual(byId(mine), byId(generic));
    // both ways ran: the lazy attrs of the fast path are not an own property until read
    const fresh = await ct.list();
    const fast = fresh.filter((e) => !Object.hasOwn(e, "attrs")).length;
    const counted = generic.filter((e) => e.countersOrig).length;
    assert.ok(counted >= 6, `${counted} entries with counters`);
    assert.equal(fast, generic.length - counted);
    const zoned = fresh.find((e) => e.zone === 5)!;
    // as the tool shows it (conntrack -I's -m sets the mark it lists)
    const line = (await sh(ns, "conntrack", "-L", "-w", "5")).trim();
    assert.match(line, new RegExp(`ESTABLISHED .*\\[ASSURED\\] mark=${zoned.mark} zone=5 `));
    assert.equal(zoned.tcpState, "established");
    assert.ok(zoned.statusNames.includes("assured"));
    assert.equal(zoned.attrs.tupleOrig?.tupleProto?.protoDstPort, 80);
    assert.equal(JSON.parse(JSON.stringify(zoned)).attrs.mark, zoned.mark);
  },
});

/** A dump reply: tuples of `sport`, a status attribute of `statusBytes` bytes. */
function reply(statusBytes: 2 | 4, cut = 0): Message {
  const w = new MessageWriter(256).begin(256);
  w.buffer[w.fixed(4)] = 2; // AF_INET
  for (const [dir, sport] of [[1, 40000], [2, 53]]) {
    const t = w.nestStart(dir);
    const ip = w.nestStart(1);
    w.u32be(1, 0x0a000001).u32be(2, 0x0a000002).nestEnd(ip);
    const p = w.nestStart(2);
    w.u8(1, 17).u16be(2, sport).u16be(3, dir === 1 ? 53 : 40000).nestEnd(p);
    w.nestEnd(t);
  }
  if (statusBytes === 4) w.u32be(3, 8);
  else w.u16be(3, 8);
  const b = w.finish().slice();
  // `cut` bytes off the end: the last attribute's length then runs past the message
  return new Message(b, 0, b.length - cut);
}

Deno.test("conntrack fast path: crafted replies read as the generic decode reads them, errors too", () => {
  const generic = (m: Message) =>
    decodeAttrs(conntrack, "conntrack-attrs", m.attributes(4)) as never;
  const m = reply(4);
  const e = fastEntry(m, generic)!;
  const g = toEntry({
    op: "get",
    cmd: 0,
    header: { nfgenFamily: 2 },
    attrs: generic(m),
    message: m,
  });
  assert.deepEqual({ ...e, attrs: e.attrs }, g);
  assert.equal(e.orig.src, "10.0.0.1");
  assert.equal(e.reply.sport, 53);
  // a u32 of 2 bytes and an attribute past the end: ParseError both ways
  for (const bad of [reply(2), reply(4, 4)]) {
    assert.throws(() => generic(bad), ParseError);
    assert.throws(() => fastEntry(bad, generic), ParseError);
  }
});
