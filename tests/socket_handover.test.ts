/**
 * The direct request path's hand-overs, driven by the fake kernel of
 * src/testing/: the cases the host kernel does not produce on demand (a
 * kernel unicast queued between a reply and its ACK, an overrun or a
 * failed receive right after the send, a reply that comes later, two
 * messages in one datagram). The socket is connected to the kernel and
 * in no group, so requests take the direct path. No root needed.
 */
import assert from "node:assert/strict";
import {
  MessageWriter,
  NETLINK,
  NetlinkSocket,
  Overrun,
  OverrunError,
  SyscallError,
} from "../mod.ts";
import {
  ack,
  datagram,
  FakeKernel,
  type FakeRequest,
  later,
  message,
  overrun,
  receiveError,
  reply,
} from "../src/testing/mod.ts";

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const opts = { sanitizeResources: true, sanitizeOps: true };

/** The reply to RTM_GETLINK for ifindex 7 (an ifinfomsg, no attributes). */
function link7(req: FakeRequest): Uint8Array {
  const ifi = new Uint8Array(16);
  ifi[4] = 7;
  return reply(req, RTM_NEWLINK, ifi);
}

function getLink(index: number): MessageWriter {
  const w = new MessageWriter().begin(RTM_GETLINK);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  return w;
}

const ifindex = (m: { data: Uint8Array; offset: number }) =>
  new DataView(m.data.buffer, m.data.byteOffset).getInt32(m.offset + 20, true);

Deno.test(
  "direct path: a kernel unicast between the reply and its ACK goes to the events",
  opts,
  async () => {
    using kernel = new FakeKernel((req) => [
      link7(req),
      message(0x42, new Uint8Array([1, 2, 3, 4]), 0, 0, req.socket.portId),
      ack(req),
    ]);
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
    const ev = await sock.events({ signal: AbortSignal.timeout(5000) }).next();
    assert.equal(ev.value!.type, 0x42);
    assert.deepEqual([...ev.value!.payload], [1, 2, 3, 4]);
  },
);

Deno.test("direct path: a reply that comes later is waited for", opts, async () => {
  let sent = 0;
  using kernel = new FakeKernel((req) =>
    // the first reply comes later; the second request's ACK comes later
    ++sent === 1 ? later(5, link7(req), ack(req)) : [link7(req), later(5, ack(req))]
  );
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  const [link] = await sock.request(getLink(7), { timeoutMs: 5000 });
  assert.equal(ifindex(link), 7);
  assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
});

Deno.test("direct path: the reply and its ACK in one datagram", opts, async () => {
  using kernel = new FakeKernel((req) => datagram(link7(req), ack(req)));
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
  const [owned] = await sock.request(getLink(7), { timeoutMs: 5000 });
  assert.equal(ifindex(owned), 7);
});

Deno.test(
  "direct path: an overrun after the send fails the request; the next one works",
  opts,
  async () => {
    let first = true;
    using kernel = new FakeKernel((req) => {
      const answer = [link7(req), ack(req)];
      if (!first) return answer;
      first = false;
      return [overrun(), ...answer];
    });
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    await assert.rejects(sock.request(getLink(7), { timeoutMs: 5000 }), OverrunError);
    const item = (await sock.events({ signal: AbortSignal.timeout(5000) }).next()).value;
    assert.ok(item instanceof Overrun);
    assert.equal(item.cause, "kernel");
    assert.equal(sock.stats.overruns, 1);
    // The first request's reply and ACK still came: drained, not the next one's.
    assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
    assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
  },
);

Deno.test("direct path: a failed receive rejects with the call's name", opts, async () => {
  using kernel = new FakeKernel(() => receiveError(9 /* EBADF */));
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  await assert.rejects(sock.request(getLink(7), { timeoutMs: 5000 }), (e: unknown) => {
    assert.ok(e instanceof SyscallError);
    assert.equal(e.code, "EBADF");
    assert.equal(e.syscall, "recv");
    return true;
  });
});
