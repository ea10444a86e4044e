/**
 * Reliability defects of the socket (issue 19), on the fake kernel: a
 * dump request that waits keeps its own bytes, a dump stops at its abort
 * or close however much is queued for it, and a cut datagram ends what it
 * cut without holding the socket back.
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
import { FakeKernel, reply, type ReplyItem, truncated } from "../src/testing/mod.ts";
import {
  FakeLinks,
  linkPayload,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "./helpers/fake_rtnl.ts";

const IFLA_IFNAME = 3;
const RTNLGRP_LINK = 1;
const opts = { sanitizeResources: true, sanitizeOps: true };

function getLink(index: number, flags = 0): MessageWriter {
  const w = new MessageWriter().begin(RTM_GETLINK, flags);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  return w;
}

function linkName(m: Message): string {
  const ad = m.attributes(16);
  while (ad.next()) if (ad.type === IFLA_IFNAME) return ad.string();
  return "";
}

function links(count: number): FakeLinks {
  const l = new FakeLinks();
  for (let i = 0; i < count; i++) l.add(`l${i}`);
  l.dumpOptions = { datagramSize: 512, splitDone: true };
  return l;
}

Deno.test(
  "a dump request() that waits for an abandoned dump sends its bytes as given at the call",
  opts,
  async () => {
    const l = links(6);
    using kernel = new FakeKernel(l.handler);
    // One datagram per read: the first dump's DONE is still queued when it is left.
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, batch: 1 });
    const first = sock.dump(getLink(0, NLM_F.DUMP));
    assert.equal((await first.next()).value!.type, RTM_NEWLINK);
    await first.return!();
    const w = getLink(0, NLM_F.DUMP);
    const names = sock.request(w, { map: linkName, timeoutMs: 2000 });
    // The writer is reused at once, as its docs invite.
    w.reset().begin(RTM_DELLINK);
    w.fixed(16);
    w.string(IFLA_IFNAME, "l0");
    assert.deepEqual(await names, ["lo", "l0", "l1", "l2", "l3", "l4", "l5"]);
    assert.equal(kernel.requests.at(-1)!.message.type, RTM_GETLINK);
    assert.equal(kernel.requests.length, 2);
  },
);

/** A socket in the link group with an events loop, and a dump whose messages the loop read. */
async function dumpReadByEvents(
  sock: NetlinkSocket,
  signal?: AbortSignal,
): Promise<{ dump: AsyncIterator<Message>; stop(): Promise<void> }> {
  const ac = new AbortController();
  const loop = (async () => {
    try {
      for await (const _ of sock.events({ signal: ac.signal }));
    } catch (e) {
      if ((e as Error).name !== "AbortError") throw e;
    }
  })();
  const dump = sock.dump(getLink(0, NLM_F.DUMP), { signal });
  assert.equal((await dump.next()).value!.type, RTM_NEWLINK);
  // The events loop wakes and routes the rest of the dump into the dump's queue.
  await new Promise((r) => setTimeout(r, 30));
  return {
    dump,
    stop: async () => {
      ac.abort();
      await loop;
    },
  };
}

Deno.test(
  "a dump's next() rejects after its abort, though another consumer queued its messages",
  opts,
  async () => {
    const l = links(300);
    using kernel = new FakeKernel(l.handler);
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
    const ac = new AbortController();
    const { dump, stop } = await dumpReadByEvents(sock, ac.signal);
    ac.abort();
    await assert.rejects(dump.next(), { name: "AbortError" });
    assert.deepEqual(await dump.next(), { value: undefined, done: true });
    // The socket goes on: the next dump is whole.
    const again = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { timeoutMs: 2000 }));
    assert.equal(again.length, 301);
    await stop();
  },
);

Deno.test(
  "a dump's next() rejects with ClosedError after close, though its messages are queued",
  opts,
  async () => {
    const l = links(300);
    using kernel = new FakeKernel(l.handler);
    const sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
    const { dump, stop } = await dumpReadByEvents(sock);
    await sock.close();
    await assert.rejects(dump.next(), ClosedError);
    await stop();
  },
);

/** A kernel whose next dump reply has its last datagram cut (keeping `keep` bytes). */
function cutLastDatagram(l: FakeLinks, keep?: number): { kernel: FakeKernel; cut: () => void } {
  let cutNext = false;
  const kernel = new FakeKernel((req) => {
    const got = l.handler(req);
    if (!cutNext || !Array.isArray(got)) return got;
    cutNext = false;
    const out: (Uint8Array | ReplyItem)[] = [...got];
    out[out.length - 1] = truncated(got[got.length - 1] as Uint8Array, keep);
    return out;
  });
  return { kernel, cut: () => (cutNext = true) };
}

Deno.test(
  "a cut datagram holding a dump's DONE fails the dump; the next dump runs at once",
  opts,
  async () => {
    const l = links(20);
    const { kernel, cut } = cutLastDatagram(l); // DONE in a datagram of its own
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    cut();
    await assert.rejects(Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP))), TruncatedError);
    const again = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { timeoutMs: 2000 }));
    assert.equal(again.length, 21);
    cut();
    await assert.rejects(sock.request(getLink(0, NLM_F.DUMP)), TruncatedError);
    assert.equal((await sock.request(getLink(0, NLM_F.DUMP), { timeoutMs: 2000 })).length, 21);
    assert.equal(sock.stats.truncated, 2);
  },
);

Deno.test(
  "a dump whose DONE was past the cut of its last datagram ends; the next dump runs",
  opts,
  async () => {
    const l = links(20);
    l.dumpOptions = { datagramSize: 512 }; // DONE shares the last datagram
    const { kernel, cut } = cutLastDatagram(l);
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    cut();
    await assert.rejects(Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP))), TruncatedError);
    const again = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { timeoutMs: 2000 }));
    assert.equal(again.length, 21);
  },
);

Deno.test(
  "a request's reply flagged MSG_TRUNC is a TruncatedError, though it fits the slot",
  opts,
  async () => {
    let cutNext = true;
    using kernel = new FakeKernel((req) => {
      const bytes = reply(req, RTM_NEWLINK, linkPayload(1, "lo"));
      if (!cutNext) return bytes;
      cutNext = false;
      return truncated(bytes, 24);
    });
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    await assert.rejects(sock.request(getLink(1)), TruncatedError);
    assert.equal(sock.stats.truncated, 1);
    assert.deepEqual(await sock.request(getLink(1), { map: linkName, timeoutMs: 2000 }), ["lo"]);
  },
);
