/**
 * A dump collected by `request()` takes its usual parts through the
 * reader's fast loop (`DatagramReader.takeParts`): these are the cases
 * where that loop must stop and leave the message to the general path.
 * Against the fake kernel: no root needed.
 */
import assert from "node:assert/strict";
import {
  ClosedError,
  DumpInterruptedError,
  type Message,
  MessageWriter,
  NETLINK,
  NetlinkSocket,
  NLM_F,
  TruncatedError,
} from "../mod.ts";
import {
  dump,
  FakeKernel,
  type FakeRequest,
  message,
  multicast,
  reply,
  truncated,
} from "../src/testing/mod.ts";

const opts = { sanitizeResources: true, sanitizeOps: true };
const GET = 26, PART = 24, PING = 30;

function payload(i: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, i, true);
  return b;
}
const numberOf = (m: Message) =>
  new DataView(m.data.buffer, m.data.byteOffset).getUint32(
    m.offset + 16,
    true,
  );

function parts(req: FakeRequest, n: number, size = 256, interrupted = false): Uint8Array[] {
  return dump(req, PART, Array.from({ length: n }, (_, i) => payload(i)), {
    datagramSize: size,
    interrupted,
  });
}

const getAll = () => new MessageWriter().begin(GET, NLM_F.DUMP).finish();
const ping = () => new MessageWriter().begin(PING).finish();
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test("a dump by request() over many datagrams: mapped, and kept", opts, async () => {
  using sys = new FakeKernel((req) => req.message.type === GET ? parts(req, 200) : []);
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys, batch: 4 });
  assert.deepEqual(await sock.request(getAll(), { map: numberOf }), range(200));
  const kept = await sock.request(getAll());
  // later reads overwrite the receive buffer: kept messages are copies
  await sock.request(getAll(), { map: numberOf });
  assert.deepEqual(kept.map(numberOf), range(200));
  assert.ok(kept.every((m) => m.type === PART && m.flags & NLM_F.MULTI));
});

Deno.test("an interrupted dump by request() is a DumpInterruptedError", opts, async () => {
  // the kernel flags the parts built after a change; here one in the middle only
  using sys = new FakeKernel((req) => {
    if (req.message.type !== GET) return [];
    const d = parts(req, 50);
    for (const b of d) {
      const v = new DataView(b.buffer, b.byteOffset, b.length);
      for (let o = 0; o < b.length; o += (v.getUint32(o, true) + 3) & ~3) {
        if (v.getUint16(o + 4, true) === PART && v.getUint32(o + 16, true) === 20) {
          v.setUint16(o + 6, v.getUint16(o + 6, true) | NLM_F.DUMP_INTR, true);
        }
      }
    }
    return d;
  });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys });
  const err = await sock.request(getAll(), { map: numberOf }).catch((e) => e);
  assert.ok(err instanceof DumpInterruptedError, String(err));
  assert.deepEqual(err.messages, range(50));
});

Deno.test("a mapper that throws: the rest is drained, the socket goes on", opts, async () => {
  using sys = new FakeKernel((req) => req.message.type === GET ? parts(req, 100) : []);
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys });
  const boom = new Error("boom");
  const map = (m: Message) => {
    if (numberOf(m) === 7) throw boom;
    return numberOf(m);
  };
  await assert.rejects(sock.request(getAll(), { map }), (e) => e === boom);
  assert.deepEqual(await sock.request(getAll(), { map: numberOf }), range(100));
});

Deno.test("a mapper's own request mid-dump: both answered, in order", opts, async () => {
  using sys = new FakeKernel((req) =>
    req.message.type === GET ? parts(req, 120) : [reply(req, PING, payload(999))]
  );
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys, batch: 2 });
  let inner: Promise<number[]> | undefined;
  const map = (m: Message) => {
    const n = numberOf(m);
    if (n === 3) inner = sock.request(ping(), { map: numberOf });
    return n;
  };
  assert.deepEqual(await sock.request(getAll(), { map }), range(120));
  assert.deepEqual(await inner, [999]);
});

Deno.test("events between a dump's datagrams go to the event stream", opts, async () => {
  const event = message(16, payload(5));
  using sys = new FakeKernel((req) => {
    const d = parts(req, 60);
    return [d[0], multicast(1, event), ...d.slice(1)];
  });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys, groups: [1] });
  const events = sock.events();
  assert.deepEqual(await sock.request(getAll(), { map: numberOf }), range(60));
  const first = await events.next();
  assert.equal(first.done, false);
  assert.equal(numberOf(first.value as Message), 5);
  await events.return?.();
});

Deno.test("a cut datagram mid-dump is a TruncatedError", opts, async () => {
  using sys = new FakeKernel((req) => {
    if (req.message.type !== GET) return [];
    const d = parts(req, 60);
    return [d[0], truncated(d[1]), ...d.slice(2)];
  });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys });
  await assert.rejects(sock.request(getAll(), { map: numberOf }), TruncatedError);
  assert.equal(sock.stats.truncated, 1);
});

Deno.test("a foreign sender's message with the dump's number is dropped", opts, async () => {
  using sys = new FakeKernel((req) => {
    if (req.message.type !== GET) return [];
    const d = parts(req, 60);
    const spoof = reply(req, PART, payload(666), NLM_F.MULTI);
    return [d[0], { kind: "datagram", bytes: spoof, sender: 4242, group: 0 }, ...d.slice(1)];
  });
  // in a group, the socket reads each datagram's sender (a connected one
  // alone gets the kernel's unicast only: the kernel refuses the rest)
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys, groups: [1] });
  assert.deepEqual(await sock.request(getAll(), { map: numberOf }), range(60));
  assert.equal(sock.stats.foreignDropped, 1);
});

Deno.test("dump() streams many datagrams' parts, each kept", opts, async () => {
  using sys = new FakeKernel((req) => req.message.type === GET ? parts(req, 300) : []);
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys, batch: 3 });
  const kept: Message[] = [];
  for await (const m of sock.dump(getAll())) kept.push(m);
  await sock.request(getAll(), { map: numberOf }); // reuses the receive buffer
  assert.deepEqual(kept.map(numberOf), range(300));
});

Deno.test("a request from dump()'s loop body: both answered, in order", opts, async () => {
  using sys = new FakeKernel((req) =>
    req.message.type === GET ? parts(req, 120) : [reply(req, PING, payload(999))]
  );
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys, batch: 2 });
  const seen: number[] = [];
  let inner: number[] = [];
  for await (const m of sock.dump(getAll())) {
    seen.push(numberOf(m));
    if (seen.length === 5) inner = await sock.request(ping(), { map: numberOf });
  }
  assert.deepEqual(seen, range(120));
  assert.deepEqual(inner, [999]);
});

Deno.test("dump(): an abort or close ends it even with parts queued", opts, async () => {
  // one datagram of 40 parts: after the first next() the rest wait in the stream
  using sys = new FakeKernel((req) =>
    req.message.type === GET ? parts(req, 40, 4096) : [reply(req, PING, payload(999))]
  );
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys });
  const stop = new AbortController();
  const it = sock.dump(getAll(), { signal: stop.signal });
  assert.equal(numberOf((await it.next()).value as Message), 0);
  assert.equal(numberOf((await it.next()).value as Message), 1);
  stop.abort(new Error("stop"));
  await assert.rejects(it.next(), /stop/);
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  // the abandoned rest is drained: the socket goes on
  assert.deepEqual(await sock.request(ping(), { map: numberOf }), [999]);
  const open = sock.dump(getAll());
  assert.equal(numberOf((await open.next()).value as Message), 0);
  await sock.close();
  await assert.rejects(open.next(), ClosedError);
});

Deno.test("events(): an abort ends it even with events queued", opts, async () => {
  using sys = new FakeKernel((req) =>
    req.message.type === PING
      ? [
        reply(req, PING, payload(999)),
        ...range(5).map((i) => multicast(1, message(16, payload(i)))),
      ]
      : []
  );
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys, groups: [1] });
  await sock.request(ping(), { map: numberOf });
  const stop = new AbortController();
  const events = sock.events({ signal: stop.signal });
  assert.equal(numberOf((await events.next()).value as Message), 0);
  stop.abort(new Error("stop"));
  await assert.rejects(events.next(), /stop/);
  // the queued rest stays for the next reader
  const next = await sock.events().next();
  assert.equal(numberOf(next.value as Message), 1);
});
