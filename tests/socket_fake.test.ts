/**
 * The socket's own logic (demultiplexing, the direct path and its
 * hand-over, cancellation, close, truncation, mappers) against the fake
 * kernel of src/testing/: a real kernel adds nothing to these, so they
 * run without root. What only a kernel proves stays in socket.test.ts.
 */
import assert from "node:assert/strict";
import {
  ClosedError,
  type Message,
  MessageWriter,
  NETLINK,
  NetlinkSocket,
  NLM_F,
  TruncatedError,
} from "../mod.ts";
import { FakeKernel } from "../src/testing/mod.ts";
import { FakeLinks, RTM_DELLINK, RTM_NEWLINK } from "./helpers/fake_rtnl.ts";
import { getLink, IFLA_IFNAME, linkName, newVeth, noOverrun } from "./helpers/link_messages.ts";

const RTNLGRP_LINK = 1;
const opts = { sanitizeResources: true, sanitizeOps: true };

/** A fake namespace with `pairs` veth pairs, `${prefix}a${i}` and `${prefix}b${i}`. */
function fakeNetns(prefix = "", pairs = 0): { links: FakeLinks; kernel: FakeKernel } {
  const links = new FakeLinks();
  for (let i = 0; i < pairs; i++) (links.add(`${prefix}a${i}`), links.add(`${prefix}b${i}`));
  // A small reader's dump comes in several datagrams, DONE alone, as the kernel sends it.
  links.dumpOptions = { datagramSize: 512, splitDone: true };
  return { links, kernel: new FakeKernel(links.handler) };
}

/** A socket that reads one datagram of at most 4 KiB per call: a dump spans many reads. */
function smallReads(sys: FakeKernel): NetlinkSocket {
  return NetlinkSocket.open(NETLINK.ROUTE, { sys, slotSize: 4096, batch: 1 });
}

Deno.test("requests, a dump and events share one socket without mixing up", opts, async () => {
  const { kernel } = fakeNetns("s", 1);
  using _ = kernel;
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
  const eventNames: string[] = [];
  const ac = new AbortController();
  const collector = (async () => {
    try {
      for await (const ev of sock.events({ signal: ac.signal })) {
        eventNames.push(linkName(noOverrun(ev)).name);
      }
    } catch (e) {
      assert.equal((e as Error).name, "AbortError");
    }
  })();
  const [dumped, one, none] = await Promise.all([
    Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP)), linkName),
    sock.request(getLink(1)),
    sock.request(getLink(99999)).catch((e) => e),
  ]);
  assert.deepEqual(dumped.map((l) => l.name).sort(), ["lo", "sa0", "sb0"]);
  assert.equal(linkName(one[0]).name, "lo");
  assert.equal(none.code, "ENODEV");
  await sock.request(newVeth("mc", "md"));
  while (!eventNames.includes("md")) await new Promise((r) => setTimeout(r, 10));
  ac.abort();
  await collector;
  // The multicast events came to the stream, not to the request they came from.
  assert.deepEqual(eventNames, ["mc", "md"]);
});

Deno.test(
  "a datagram larger than the receive slot is a TruncatedError, then the slot grows",
  opts,
  async () => {
    const { kernel } = fakeNetns("t", 4);
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, slotSize: 256 });
    await assert.rejects(Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP))), TruncatedError);
    assert.ok(sock.stats.truncated >= 1);
    // The abandoned dump drained; the grown slot holds the retry.
    const retried = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { timeoutMs: 5000 }));
    assert.equal(retried.length, 9);
  },
);

Deno.test(
  "a request's reply larger than the slot is a TruncatedError; the retry fits",
  opts,
  async () => {
    const { kernel } = fakeNetns();
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, slotSize: 16 });
    const err = await sock.request(getLink(1)).then(() => undefined, (e) => e);
    assert.ok(err instanceof TruncatedError, String(err));
    assert.ok(err.length > 16, `${err.length}`);
    assert.equal(sock.stats.truncated, 1);
    const [lo] = await sock.request(getLink(1));
    assert.equal(lo.type, RTM_NEWLINK);
    assert.equal(lo.length, err.length);
    assert.equal(sock.stats.truncated, 1);
  },
);

Deno.test(
  "a request with NLM_F_EXCL is no dump: given up on, it holds no dump back",
  opts,
  async () => {
    const { kernel } = fakeNetns();
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    // NLM_F_EXCL is one of NLM_F_DUMP's two bits. Without an ACK, the
    // kernel does not answer a request that succeeds: it times out.
    await assert.rejects(
      sock.request(newVeth("xa", "xb"), { ack: false, timeoutMs: 50 }),
      { name: "TimeoutError" },
    );
    const links = await sock.request(getLink(0, NLM_F.DUMP), { map: linkName, timeoutMs: 5000 });
    assert.deepEqual(links.map((l) => l.name).sort(), ["lo", "xa", "xb"]);
  },
);

Deno.test(
  "requests on an idle socket (none in flight): kept replies, a throwing mapper, no reply",
  opts,
  async () => {
    const { kernel } = fakeNetns("i", 1);
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    const [lo] = await sock.request(getLink(1));
    const ia0 = (await sock.request(getLink(0, NLM_F.DUMP), { map: linkName }))
      .find((l) => l.name === "ia0")!;
    for (let i = 0; i < 3; i++) await sock.request(getLink(ia0.index));
    assert.deepEqual(linkName(lo), { index: 1, name: "lo" });
    const boom = () => {
      throw new Error("boom");
    };
    await assert.rejects(sock.request(getLink(1), { map: boom }), /boom/);
    assert.deepEqual(await sock.request(getLink(ia0.index), { map: linkName }), [ia0]);
    await assert.rejects(
      sock.events({ signal: AbortSignal.timeout(50) }).next(),
      { name: "TimeoutError" },
    );
    await assert.rejects(
      sock.request(newVeth("nr0", "nr1"), { ack: false, timeoutMs: 50 }),
      { name: "TimeoutError" },
    );
    // A signal aborted already: rejected, and nothing is sent.
    const sent = kernel.requests.length;
    await assert.rejects(
      sock.request(newVeth("ab0", "ab1"), { signal: AbortSignal.abort() }),
      { name: "AbortError" },
    );
    assert.equal(kernel.requests.length, sent);
    const names = (await sock.request(getLink(0, NLM_F.DUMP), { map: linkName })).map((l) =>
      l.name
    );
    assert.ok(names.includes("nr0") && names.includes("nr1"), names.join(" "));
    assert.ok(!names.includes("ab0"), names.join(" "));
    assert.equal(sock.stats.foreignDropped + sock.stats.overruns + sock.stats.truncated, 0);
  },
);

Deno.test("AbortSignal and timeoutMs end waits; the socket stays usable", opts, async () => {
  const { kernel } = fakeNetns();
  using _ = kernel;
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
  await using maker = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  const ac = new AbortController();
  const waiting = sock.events({ signal: ac.signal }).next();
  setTimeout(() => ac.abort(new Error("stop")), 20);
  await assert.rejects(waiting, /stop/);
  const timed = AbortSignal.timeout(30);
  await assert.rejects(sock.events({ signal: timed }).next(), { name: "TimeoutError" });
  // A dump abandoned after its first message is drained, not mixed into later replies.
  for (let i = 0; i < 8; i++) await maker.request(newVeth(`a${i}`, `b${i}`));
  const first = await sock.dump(getLink(0, NLM_F.DUMP)).next();
  assert.equal(first.value!.type, RTM_NEWLINK);
  const stop = new AbortController();
  stop.abort();
  await assert.rejects(sock.request(getLink(1), { signal: stop.signal }), { name: "AbortError" });
  const [lo] = await sock.request(getLink(1), { timeoutMs: 5000 });
  assert.equal(linkName(lo).name, "lo");
  // The link events are still in the stream (16 new links), none lost to the dump.
  let news = 0;
  const it = sock.events();
  while (news < 16) if ((await it.next()).value!.type === RTM_NEWLINK) news++;
  assert.equal(sock.stats.overruns, 0);
});

Deno.test("close ends pending waits: streams finish, requests and dumps reject", opts, async () => {
  const { kernel } = fakeNetns();
  using _ = kernel;
  const sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
  const stream = sock.events().next();
  await new Promise((r) => setTimeout(r, 10));
  await sock.close();
  assert.deepEqual(await stream, { value: undefined, done: true });
  await assert.rejects(sock.request(getLink(1)), ClosedError);
  await assert.rejects(sock.dump(getLink(0, NLM_F.DUMP)).next(), ClosedError);
  assert.throws(() => sock.join(1), ClosedError);
  await sock.close();
  // Both descriptors went back to the kernel.
  assert.equal(kernel.sockets.length, 0);
});

Deno.test(
  "map reads replies in the receive buffer; results match owned messages",
  opts,
  async () => {
    const { kernel } = fakeNetns("m", 5);
    using _ = kernel;
    await using sock = smallReads(kernel);
    const owned = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP)), linkName);
    assert.equal(owned.length, 11);
    const streamed = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { map: linkName }));
    assert.deepEqual(streamed, owned);
    assert.deepEqual(await sock.request(getLink(0, NLM_F.DUMP), { map: linkName }), owned);
    const collected = await sock.request(getLink(0, NLM_F.DUMP));
    assert.deepEqual(collected.map(linkName), owned);
    assert.deepEqual(await sock.request(getLink(1), { map: linkName }), [{ index: 1, name: "lo" }]);
    // A mapper may use the socket: nothing it starts overwrites the message it reads.
    let inner: Promise<{ index: number; name: string }[]> | undefined;
    const outer = await sock.request(getLink(owned[3].index), {
      map: (m) => {
        inner = sock.request(getLink(1), { map: linkName });
        const dump = sock.request(getLink(0, NLM_F.DUMP), { map: linkName });
        const first = linkName(m);
        return dump.then((all) => ({ first, all }));
      },
    });
    assert.deepEqual(await inner, [{ index: 1, name: "lo" }]);
    const [{ first, all }] = await Promise.all(outer);
    assert.deepEqual(first, owned[3]);
    assert.deepEqual(all, owned);
    await assert.rejects(sock.request(getLink(99999), { map: linkName }), { code: "ENODEV" });
    let seen = 0;
    const boom = (m: Message) => {
      if (++seen === 3) throw new Error("boom");
      return linkName(m);
    };
    await assert.rejects(sock.request(getLink(0, NLM_F.DUMP), { map: boom }), /boom/);
    seen = 0;
    await assert.rejects(Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { map: boom })), /boom/);
    assert.deepEqual(await sock.request(getLink(0, NLM_F.DUMP), { map: linkName }), owned);
    assert.deepEqual(await sock.request(getLink(1), { map: linkName }), [{ index: 1, name: "lo" }]);
  },
);

Deno.test(
  "mapped requests and dumps interleave with events without reading stale bytes",
  opts,
  async () => {
    const { kernel } = fakeNetns();
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, {
      sys: kernel,
      groups: [RTNLGRP_LINK],
      batch: 2,
    });
    await using maker = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    const seen: string[] = [];
    const ac = new AbortController();
    const collector = (async () => {
      try {
        for await (const ev of sock.events({ signal: ac.signal })) {
          seen.push(linkName(noOverrun(ev)).name);
        }
      } catch (e) {
        assert.equal((e as Error).name, "AbortError");
      }
    })();
    for (let i = 0; i < 20; i++) {
      const making = maker.request(newVeth(`ia${i}`, `ib${i}`));
      const [lo, links] = await Promise.all([
        sock.request(getLink(1), { map: linkName }),
        sock.request(getLink(0, NLM_F.DUMP), { map: linkName }),
        making,
      ]);
      assert.deepEqual(lo, [{ index: 1, name: "lo" }]);
      const names = links.map((l) => l.name);
      assert.ok(names.includes("lo") && names.length >= 1 + 2 * i, names.join(","));
      assert.ok(names.every((n) => n === "lo" || /^i[ab]\d+$/.test(n)), names.join(","));
    }
    while (!seen.includes("ib19")) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await collector;
    assert.ok(seen.every((n) => /^i[ab]\d+$/.test(n)), seen.join(","));
    assert.equal(seen.length, 40);
  },
);

Deno.test("RTM_DELLINK reaches the group; a second delete is ENODEV", opts, async () => {
  const { kernel } = fakeNetns("d", 1);
  using _ = kernel;
  await using events = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  const del = () => {
    const w = new MessageWriter().begin(RTM_DELLINK);
    w.fixed(16);
    return w.string(IFLA_IFNAME, "da0");
  };
  assert.deepEqual(await sock.request(del()), []);
  await assert.rejects(sock.request(del()), { code: "ENODEV" });
  const ev = (await events.events({ signal: AbortSignal.timeout(5000) }).next()).value!;
  assert.equal(ev.type, RTM_DELLINK);
  assert.equal(linkName(ev).name, "da0");
});
