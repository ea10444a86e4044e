/**
 * NlrTable against a fake kernel (./testing): the bytes it sends, the
 * replies and events it decodes, its errors, and the sockets its change
 * streams hold (none until the first next(); return() and the signal close
 * them). The real module is in tests/kmod/ (the VM suite).
 */
import assert from "node:assert/strict";
import { MessageWriter, NetlinkError, NLM_F } from "../mod.ts";
import { NLRT_A, NLRT_GRP, NLRT_MSG, NlrTable } from "../src/nlrtable/mod.ts";
import {
  ack,
  dump,
  error,
  FakeKernel,
  type FakeRequest,
  message,
  reply,
} from "../src/testing/mod.ts";

/** struct nlrtmsg and attributes, as the module writes them (raw bytes). */
function entryPayload(
  family: number,
  dstLen: number,
  dst: number[],
  more: (w: MessageWriter) => void = () => {},
  reason = 0,
): Uint8Array {
  const w = new MessageWriter().begin(0);
  const at = w.fixed(4);
  w.buffer.set([family, dstLen, reason, 0], at);
  w.put(NLRT_A.DST, new Uint8Array(dst));
  more(w);
  return w.finish().slice(16);
}

/** The request's struct nlrtmsg bytes and its attributes by type. */
function requestOf(req: FakeRequest): { header: number[]; attrs: Map<number, Uint8Array> } {
  const m = req.message;
  const at = m.offset + m.headerSize;
  const header = [...m.data.subarray(at, at + 4)];
  const attrs = new Map<number, Uint8Array>();
  const ad = m.attributes(4);
  while (ad.next()) attrs.set(ad.type, ad.value().slice());
  return { header, attrs };
}

Deno.test("NlrTable sends the module's requests byte for byte", async () => {
  using kernel = new FakeKernel(() => undefined);
  await using table = NlrTable.open({ sys: kernel });
  await table.add({ dst: "10.1.0.0/16", gateway: "192.0.2.1", oif: "eth0", lifetimeMs: 5000 });
  await table.add({ dst: "2001:db8::/32" }, { replace: true });
  await table.delete("10.1.0.0/16");
  const [add, replace, del] = kernel.requests;
  assert.equal(add.message.type, NLRT_MSG.NEWROUTE);
  assert.equal(add.message.flags & (NLM_F.CREATE | NLM_F.EXCL), NLM_F.CREATE | NLM_F.EXCL);
  const a = requestOf(add);
  assert.deepEqual(a.header, [2, 16, 0, 0]);
  assert.deepEqual(
    Object.fromEntries([...a.attrs].map(([t, v]) => [t, [...v]])),
    {
      [NLRT_A.DST]: [10, 1, 0, 0],
      [NLRT_A.GATEWAY]: [192, 0, 2, 1],
      [NLRT_A.OIFNAME]: [..."eth0"].map((c) => c.charCodeAt(0)).concat(0),
      [NLRT_A.LIFETIME_MS]: [0x88, 0x13, 0, 0],
    },
  );
  assert.equal(
    replace.message.flags & (NLM_F.CREATE | NLM_F.REPLACE),
    NLM_F.CREATE | NLM_F.REPLACE,
  );
  assert.deepEqual(requestOf(replace).header, [10, 32, 0, 0]);
  assert.equal(del.message.type, NLRT_MSG.DELROUTE);
  assert.deepEqual([...requestOf(del).attrs.keys()], [NLRT_A.DST]);
  // out of the spec's limits: refused before anything is sent
  const sent = kernel.requests.length;
  await assert.rejects(table.add({ dst: "10.0.0.0/8", lifetimeMs: 604800001 }), RangeError);
  await assert.rejects(table.add({ dst: "10.0.0.0/8", oif: "a-name-of-16-byt" }), TypeError);
  await assert.rejects(table.add({ dst: "10.0.0.0/8", gateway: "::1" }), TypeError);
  assert.throws(() => table.list({ ipVersion: 5 as 4 }), RangeError);
  assert.equal(kernel.requests.length, sent);
});

Deno.test("NlrTable decodes get, list and greet replies; errors are named by message and attribute", async () => {
  const gw = (w: MessageWriter) => {
    w.put(NLRT_A.GATEWAY, new Uint8Array([192, 0, 2, 9]));
    w.string(NLRT_A.OIFNAME, "eth1");
    w.u32(NLRT_A.LIFETIME_MS, 9000);
    w.u32(NLRT_A.EXPIRES_MS, 8000);
    w.u32(NLRT_A.WATCHERS, 2);
  };
  using kernel = new FakeKernel((req) => {
    const m = req.message;
    if (m.type === NLRT_MSG.GREET) {
      const w = new MessageWriter().begin(0);
      w.fixed(4);
      w.string(NLRT_A.TEXT, "hi");
      w.string(NLRT_A.GREETING, "Hello from nlrtable");
      return reply(req, NLRT_MSG.GREET, w.finish().slice(16));
    }
    if (m.type === NLRT_MSG.GETROUTE && m.flags & NLM_F.DUMP) {
      return dump(req, NLRT_MSG.NEWROUTE, [
        entryPayload(2, 24, [10, 9, 0, 0], gw),
        entryPayload(10, 64, [0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
      ]);
    }
    if (m.type === NLRT_MSG.GETROUTE) {
      return [reply(req, NLRT_MSG.NEWROUTE, entryPayload(2, 24, [10, 9, 0, 0], gw)), ack(req)];
    }
    // the bad attribute: the request's first attribute, after the headers
    return error(req, 22, { message: "Attribute failed policy validation", offset: 16 + 4 });
  });
  await using table = NlrTable.open({ sys: kernel });
  assert.deepEqual(await table.greet("hi"), { greeting: "Hello from nlrtable", text: "hi" });
  const entry = {
    dst: "10.9.0.0/24",
    ipVersion: 4,
    gateway: "192.0.2.9",
    oif: "eth1",
    lifetimeMs: 9000,
    expiresMs: 8000,
    watchers: 2,
  };
  assert.deepEqual(await table.get("10.9.0.0/24"), entry);
  const listed = [];
  for await (const e of table.list()) listed.push(e);
  assert.deepEqual(listed, [entry, { dst: "2001:db8:0:1::/64", ipVersion: 6, watchers: 0 }]);
  const dumpReq = kernel.requests.at(-1)!;
  assert.deepEqual(requestOf(dumpReq).header, [0, 0, 0, 0]);
  for await (const _ of table.list({ ipVersion: 6 })) { /* drain */ }
  assert.deepEqual(requestOf(kernel.requests.at(-1)!).header, [10, 0, 0, 0]);

  const e = await table.delete("10.9.0.0/24").catch((x) => x);
  assert.ok(e instanceof NetlinkError);
  assert.equal(e.code, "EINVAL");
  assert.equal(e.operation, "NLRT_MSG_DELROUTE");
  assert.equal(e.attribute, "dst");
});

Deno.test("NlrTable.changes(): no socket before the first next(); return() and the signal close it", async () => {
  using kernel = new FakeKernel(() => undefined);
  await using table = NlrTable.open({ sys: kernel });
  const open = () => kernel.sockets.length;
  assert.equal(open(), 1);

  // Abandoned before they started: nothing is held.
  const left = [];
  for (let i = 0; i < 20; i++) left.push(table.changes());
  assert.equal(open(), 1, "created, never started");
  await left[0].return?.();
  assert.equal(open(), 1, "return() of one never started");

  // Started: subscribed when next() returns, decoded, closed by return().
  const changes = table.changes();
  const first = changes.next();
  assert.equal(open(), 2);
  assert.deepEqual([...kernel.sockets[1].groups], [NLRT_GRP.ROUTE]);
  const added = message(NLRT_MSG.NEWROUTE, entryPayload(2, 8, [10, 0, 0, 0]), NLM_F.REPLACE);
  assert.equal(kernel.multicast(NLRT_GRP.ROUTE, added), 1);
  assert.deepEqual((await first).value, {
    kind: "replaced",
    entry: { dst: "10.0.0.0/8", ipVersion: 4, watchers: 0 },
  });
  const second = changes.next();
  const expired = message(NLRT_MSG.DELROUTE, entryPayload(2, 8, [10, 0, 0, 0], undefined, 2));
  kernel.multicast(NLRT_GRP.ROUTE, expired);
  assert.deepEqual((await second).value, {
    kind: "deleted",
    reason: "expired",
    entry: { dst: "10.0.0.0/8", ipVersion: 4, watchers: 0 },
  });
  await changes.return?.();
  assert.equal(open(), 1, "return() closed it");

  // The signal closes a started stream that waits.
  const stop = new AbortController();
  const waiting = table.changes({ signal: stop.signal });
  const pending = waiting.next().catch((x) => x);
  assert.equal(open(), 2);
  stop.abort();
  await pending;
  assert.equal(open(), 1, "the signal closed it");
});
