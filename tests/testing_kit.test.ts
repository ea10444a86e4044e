/**
 * The test kit (src/testing/) on its own: the fake kernel honours the Sys
 * contract (the shared checks of tests/node/sys_contract.ts that need no
 * real kernel run against it), and each reply helper reaches a
 * NetlinkSocket as the kernel's own would. No root, no namespace.
 */
import assert from "node:assert/strict";
import {
  DumpInterruptedError,
  MessageWriter,
  NETLINK,
  NetlinkError,
  NetlinkSocket,
  NLM_F,
  NLMSG,
  Overrun,
  OverrunError,
  SyscallError,
  TruncatedError,
} from "../mod.ts";
import { FamilyClient, listFamilies } from "../src/ynl/mod.ts";
import { netdev } from "../src/families/netdev.ts";
import {
  ack,
  Deferred,
  dump,
  error,
  FakeKernel,
  type FakeRequest,
  familyFromSpec,
  genlController,
  later,
  message,
  multicast,
  overrun,
  receiveError,
  replay,
  ReplayMismatchError,
  reply,
  truncated,
} from "../src/testing/mod.ts";
import { checks } from "./node/sys_contract.ts";
import { linkPayload, RTM_GETLINK, RTM_NEWLINK } from "./helpers/fake_rtnl.ts";

const opts = { sanitizeResources: true, sanitizeOps: true };

function getLink(index: number, flags = 0): MessageWriter {
  const w = new MessageWriter().begin(RTM_GETLINK, flags);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  return w;
}

const ifindex = (m: { data: Uint8Array; offset: number }) =>
  new DataView(m.data.buffer, m.data.byteOffset).getInt32(m.offset + 20, true);

/** Answers RTM_GETLINK as the kernel of a fresh netns does: lo only. */
function loKernel(req: FakeRequest) {
  const m = req.message;
  if ((m.flags & NLM_F.DUMP) === NLM_F.DUMP) {
    return dump(req, RTM_NEWLINK, [linkPayload(1, "lo")]);
  }
  const index = ifindex(m);
  if (index !== 1) return error(req, 19);
  // as big as a real link message: the contract's truncation checks cut it
  return reply(req, RTM_NEWLINK, linkPayload(1, "lo".padEnd(200, "\0").slice(0, 2)));
}

// The contract's checks that only a kernel passes: netns, the real
// kernel's sizes, ENOENT for a missing namespace, bpf(2) on real files.
const kernelOnly = new Set([
  "receive: MSG_TRUNC semantics (full length, flag set)",
  "receive one (recvfrom): MSG_TRUNC semantics, sender and group",
  "socket in a missing netns: -ENOENT",
  "connect: other sockets' unicast refused; a reply read without its address",
  "bpfObjGet: -ENOENT when nothing is pinned, -EACCES for a file that is no BPF object",
]);
for (const check of checks) {
  if (check.netns || kernelOnly.has(check.name)) continue;
  Deno.test(`Sys contract (fake kernel): ${check.name}`, async () => {
    using kernel = new FakeKernel(loKernel);
    await check.run(kernel, {});
  });
}

Deno.test("fake kernel: the ACK is added as the kernel adds it, capped", opts, async () => {
  using kernel = new FakeKernel((req) => reply(req, RTM_NEWLINK, linkPayload(1, "lo")));
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  assert.deepEqual(await sock.request(getLink(1), { map: ifindex }), [1]);
  assert.equal(kernel.requests.length, 1);
  const req = kernel.requests[0].message;
  assert.equal(req.flags & (NLM_F.REQUEST | NLM_F.ACK), NLM_F.REQUEST | NLM_F.ACK);
  assert.equal(req.portId, 0);
  assert.equal(kernel.requests[0].socket.portId, sock.portId);
  assert.ok(kernel.requests[0].socket.capAck && kernel.requests[0].socket.extAck);
  // Without NLM_F_ACK none comes: the request resolves at its reply.
  assert.deepEqual(await sock.request(getLink(1), { map: ifindex, ack: false }), [1]);
  assert.equal(sock.stats.foreignDropped + sock.stats.overruns, 0);
});

Deno.test(
  "error: errno, extended-ACK text, offset, policy; echo without CAP_ACK",
  opts,
  async () => {
    const policy = new MessageWriter().begin(0).u32(1, 4).finish().subarray(16).slice();
    using kernel = new FakeKernel((req) =>
      error(req, 22, { message: "Invalid values in header", offset: 28, policy, missingType: 3 })
    );
    for (const capAck of [true, false]) {
      await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, capAck });
      await assert.rejects(sock.request(getLink(1)), (e: unknown) => {
        assert.ok(e instanceof NetlinkError);
        assert.equal(e.code, "EINVAL");
        assert.equal(e.extAck.message, "Invalid values in header");
        assert.equal(e.extAck.offset, 28);
        assert.equal(e.extAck.missingType, 3);
        assert.deepEqual(e.extAck.policy, policy);
        return true;
      });
    }
    // A socket that did not ask for extended ACKs gets none.
    await using plain = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, extAck: false });
    await assert.rejects(plain.request(getLink(1)), (e: NetlinkError) => {
      assert.equal(e.code, "EINVAL");
      assert.deepEqual(e.extAck, {});
      return true;
    });
    assert.throws(() => error(kernel.requests[0], 0), RangeError);
  },
);

Deno.test("dump: many datagrams, DONE; interrupted; an errno in DONE", opts, async () => {
  const links = Array.from({ length: 50 }, (_, i) => linkPayload(i + 1, `l${i}`));
  let mode: "ok" | "intr" | "err" = "ok";
  using kernel = new FakeKernel((req) =>
    dump(req, RTM_NEWLINK, links, {
      datagramSize: 512,
      interrupted: mode === "intr",
      errno: mode === "err" ? 90 : 0,
    })
  );
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, batch: 4 });
  const got = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { map: ifindex }));
  assert.deepEqual(got, links.map((_, i) => i + 1));
  assert.deepEqual(await sock.request(getLink(0, NLM_F.DUMP), { map: ifindex }), got);
  mode = "intr";
  await assert.rejects(Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP))), DumpInterruptedError);
  const err = await sock.request(getLink(0, NLM_F.DUMP)).catch((e) => e);
  assert.ok(err instanceof DumpInterruptedError);
  assert.equal(err.messages.length, 50);
  mode = "err";
  await assert.rejects(Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP))), { code: "EMSGSIZE" });
  // splitDone: NLMSG_DONE alone in the last datagram
  const req = kernel.requests[0];
  const parts = dump(req, RTM_NEWLINK, [links[0]], { splitDone: true });
  assert.equal(parts.length, 2);
  assert.equal(new DataView(parts[1].buffer).getUint16(4, true), NLMSG.DONE);
  assert.equal(dump(req, RTM_NEWLINK, [links[0]]).length, 1);
});

Deno.test("multicast: events reach the sockets in the group only", opts, async () => {
  using kernel = new FakeKernel(() => multicast(1, message(RTM_NEWLINK, linkPayload(5, "x"))));
  await using member = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [1] });
  await using other = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [2] });
  await using asker = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  assert.deepEqual(await asker.request(getLink(5)), []);
  const ev = (await member.events({ signal: AbortSignal.timeout(5000) }).next()).value!;
  assert.equal(ev.type, RTM_NEWLINK);
  assert.equal(ev.group, 1);
  assert.equal(ev.sender, 0);
  assert.equal(ifindex(ev), 5);
  assert.equal(kernel.multicast(2, message(RTM_NEWLINK, linkPayload(6, "y"))), 1);
  assert.equal(ifindex((await other.events().next()).value!), 6);
  await assert.rejects(
    asker.events({ signal: AbortSignal.timeout(20) }).next(),
    { name: "TimeoutError" },
  );
  assert.throws(() => multicast(0, new Uint8Array(16)), RangeError);
});

Deno.test("overrun and a failed receive, from the handler", opts, async () => {
  let first = true;
  using kernel = new FakeKernel((req) => {
    if (!first) return reply(req, RTM_NEWLINK, linkPayload(1, "lo"));
    first = false;
    return [overrun(), reply(req, RTM_NEWLINK, linkPayload(1, "lo")), ack(req)];
  });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  await assert.rejects(sock.request(getLink(1)), OverrunError);
  const item = (await sock.events().next()).value;
  assert.ok(item instanceof Overrun && item.cause === "kernel");
  assert.deepEqual(await sock.request(getLink(1), { map: ifindex }), [1]);
  using broken = new FakeKernel(() => receiveError(9));
  await using bad = NetlinkSocket.open(NETLINK.ROUTE, { sys: broken });
  await assert.rejects(bad.request(getLink(1)), { code: "EBADF", syscall: "recv" });
});

Deno.test("truncated: MSG_TRUNC by hand, and a datagram bigger than the slot", opts, async () => {
  using kernel = new FakeKernel((req) => {
    if ((req.message.flags & NLM_F.DUMP) === NLM_F.DUMP) {
      // one datagram cut by hand (MSG_TRUNC, its full length), then DONE
      const cut = reply(req, RTM_NEWLINK, linkPayload(1, "lo"), NLM_F.MULTI);
      return [truncated(cut), ...dump(req, RTM_NEWLINK, [])];
    }
    return reply(req, RTM_NEWLINK, linkPayload(1, "lo".padEnd(600, "o")));
  });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, slotSize: 256 });
  await assert.rejects(Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP))), TruncatedError);
  assert.equal(sock.stats.truncated, 1);
  const err = await sock.request(getLink(1)).catch((e) => e);
  assert.ok(err instanceof TruncatedError, String(err));
  assert.ok(err.length > 600, `${err.length}`);
  assert.equal(sock.stats.truncated, 2);
  // The slot grew: the retry fits.
  assert.deepEqual(await sock.request(getLink(1), { map: ifindex }), [1]);
});

Deno.test("later and on demand: replies that come after the request", opts, async () => {
  const held = new Deferred();
  let hold: FakeRequest | undefined;
  using kernel = new FakeKernel((req) => {
    if (ifindex(req.message) === 2) {
      return later(5, reply(req, RTM_NEWLINK, linkPayload(2, "b")), ack(req));
    }
    hold = req;
    return held;
  });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  assert.deepEqual(await sock.request(getLink(2), { map: ifindex, timeoutMs: 5000 }), [2]);
  let settled = false;
  const pending = sock.request(getLink(3), { map: ifindex, timeoutMs: 5000 })
    .finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(settled, false);
  held.deliver(reply(hold!, RTM_NEWLINK, linkPayload(3, "c")), ack(hold!));
  assert.deepEqual(await pending, [3]);
  assert.throws(() => held.deliver(), /already delivered/);
  // unicast(): on demand, to a port id.
  assert.equal(kernel.unicast(sock.portId, message(0x42, new Uint8Array(4))), true);
  assert.equal((await sock.events().next()).value!.type, 0x42);
  assert.equal(kernel.unicast(12345), false);
});

Deno.test("a late reply's timer ends when the socket closes", opts, async () => {
  using kernel = new FakeKernel((req) => later(60_000, ack(req)));
  const sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  const p = sock.request(getLink(1));
  await sock.close();
  await assert.rejects(p, { name: "ClosedError" });
  assert.equal(kernel.sockets.length, 0);
});

Deno.test("sockets reach one another: unicast, connected refusal, groups", opts, async () => {
  using kernel = new FakeKernel(() => undefined);
  await using a = NetlinkSocket.open(NETLINK.USERSOCK, { sys: kernel });
  await using open = NetlinkSocket.open(NETLINK.USERSOCK, { sys: kernel, acceptForeign: true });
  await using strict = NetlinkSocket.open(NETLINK.USERSOCK, { sys: kernel, groups: [1] });
  const hello = new MessageWriter().begin(0x20, 0, 5).string(1, "hi").finish();
  assert.throws(() => a.send(hello, { portId: strict.portId }), (e: unknown) => {
    assert.ok(e instanceof SyscallError);
    return e.code === "ECONNREFUSED" && e.syscall === "sendto";
  });
  a.send(hello, { portId: open.portId });
  const got = (await open.events().next()).value!;
  assert.equal(got.sender, a.portId);
  a.send(hello, { groups: 1 });
  await assert.rejects(
    strict.events({ signal: AbortSignal.timeout(30) }).next(),
    { name: "TimeoutError" },
  );
  assert.equal(strict.stats.foreignDropped, 1);
});

Deno.test("genl controller: families by name, the dump, ENOENT", opts, async () => {
  using kernel = new FakeKernel(genlController([familyFromSpec(netdev, { id: 0x33 })]));
  await using client = await FamilyClient.open(netdev, { sys: kernel });
  assert.equal(client.familyId, 0x33);
  assert.equal(client.version, 1);
  assert.deepEqual(client.groups, { mgmt: 0x40, "page-pool": 0x41 });
  await using sock = NetlinkSocket.open(NETLINK.GENERIC, { sys: kernel });
  const all = await Array.fromAsync(listFamilies(sock));
  assert.deepEqual(all.map((f) => [f.name, f.id]), [["nlctrl", 0x10], ["netdev", 0x33]]);
  const devGet = all[1].ops.find((o) => o.id === 1)!;
  assert.equal(devGet.flags, 2 | 4); // do and dump
  await assert.rejects(FamilyClient.open({ ...netdev, name: "absent" }, { sys: kernel }), {
    code: "ENOENT",
  });
  // Requests to the family itself: no handler given, EOPNOTSUPP.
  await assert.rejects(client.do("dev-get", { attrs: { ifindex: 1 } }), { code: "EOPNOTSUPP" });
  assert.throws(() => genlController([{ name: "a" }, { name: "a" }]), TypeError);
});

Deno.test("replay: a request the recording does not hold fails clearly", opts, async () => {
  assert.throws(() => replay({} as never), TypeError);
  using kernel = replay({ format: "netlink-ts recording 1", sockets: [] });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  await assert.rejects(sock.request(getLink(1)), ReplayMismatchError);
});
