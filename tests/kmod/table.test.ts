/**
 * The nlrtable module through its client, in the VM (Debian's kernel, the
 * module loaded with its defaults, run as root).
 */
import assert from "node:assert/strict";
import { DumpInterruptedError, MessageWriter, NetlinkSocket, NLM_F, Overrun } from "../../mod.ts";
import {
  type NlrChange,
  type NlrEntry,
  NLRT_A,
  NLRT_LIMITS,
  NLRT_MSG,
  NLRT_PROTOCOL_DEFAULT,
  NlrTable,
} from "../../src/nlrtable/mod.ts";
import { rejectsWith } from "./helpers.ts";

/** A raw request: type, flags, struct nlrtmsg fields, then attributes. */
function raw(
  type: number,
  flags: number,
  family: number,
  dstLen: number,
  attrs: (w: MessageWriter) => void = () => {},
  reserved = 0,
): MessageWriter {
  const w = new MessageWriter().begin(type, flags);
  const at = w.fixed(4);
  w.buffer.set([family, dstLen, reserved, 0], at);
  attrs(w);
  return w;
}

async function next(it: AsyncIterator<NlrChange>): Promise<NlrChange> {
  const r = await it.next();
  assert.ok(!r.done, "change stream ended early");
  return r.value;
}

function entryOf(c: NlrChange): NlrEntry {
  if (c instanceof Overrun) assert.fail("overrun");
  return c.entry;
}

Deno.test("greet: the module's hello echoes the text", async () => {
  await using table = NlrTable.open();
  const g = await table.greet("hi from Deno");
  assert.equal(g.greeting, "Hello from nlrtable");
  assert.equal(g.text, "hi from Deno");
  assert.equal((await table.greet()).text, undefined);
});

Deno.test("add, get, replace, delete: ACKs and NLM_F_CREATE/EXCL/REPLACE semantics", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "10.1.0.0/16", gateway: "192.0.2.1", oif: "eth0" });
  assert.deepEqual(await table.get("10.1.0.0/16"), {
    dst: "10.1.0.0/16",
    ipVersion: 4,
    gateway: "192.0.2.1",
    oif: "eth0",
    watchers: 0,
  });
  await rejectsWith(table.add({ dst: "10.1.0.0/16" }), "EEXIST", /Entry exists/);
  await table.add({ dst: "10.1.0.0/16", gateway: "192.0.2.9" }, { replace: true });
  const e = await table.get("10.1.0.0/16");
  assert.equal(e.gateway, "192.0.2.9");
  assert.equal(e.oif, undefined, "a replace sets every field");

  await using sock = NetlinkSocket.open(NLRT_PROTOCOL_DEFAULT);
  const dst = (w: MessageWriter) => w.put(NLRT_A.DST, new Uint8Array([10, 2, 0, 0]));
  // change without create: only an existing entry
  await rejectsWith(
    sock.request(raw(NLRT_MSG.NEWROUTE, NLM_F.REPLACE, 2, 16, dst)),
    "ENOENT",
    /NLM_F_CREATE/,
  );
  // create without replace or excl on an existing entry
  await rejectsWith(
    sock.request(
      raw(NLRT_MSG.NEWROUTE, NLM_F.CREATE, 2, 16, (w) => w.put(1, new Uint8Array([10, 1, 0, 0]))),
    ),
    "EEXIST",
    /NLM_F_REPLACE/,
  );

  await table.delete("10.1.0.0/16");
  await rejectsWith(table.get("10.1.0.0/16"), "ENOENT", /No such entry/);
  await rejectsWith(table.delete("10.1.0.0/16"), "ENOENT", /No such entry/);
});

Deno.test("IPv6 entries, and list filtered by IP version", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "2001:db8::/32", gateway: "fe80::1", oif: "eth1" });
  await table.add({ dst: "2001:db8:1::1" });
  await table.add({ dst: "10.9.0.0/24" });
  const v6 = [];
  for await (const e of table.list({ ipVersion: 6 })) v6.push(e.dst);
  assert.deepEqual(v6, ["2001:db8::/32", "2001:db8:1::1/128"]);
  const all = [];
  for await (const e of table.list()) all.push(e.dst);
  assert.deepEqual(all, ["2001:db8::/32", "2001:db8:1::1/128", "10.9.0.0/24"]);
  assert.equal((await table.get("2001:db8::/32")).gateway, "fe80::1");
  for (const d of all) await table.delete(d);
});

Deno.test("bad requests get typed errors with the kernel's extended-ACK text", async () => {
  await using table = NlrTable.open();
  await using sock = NetlinkSocket.open(NLRT_PROTOCOL_DEFAULT);
  const v4 = (w: MessageWriter) => w.put(NLRT_A.DST, new Uint8Array([10, 0, 0, 1]));
  await rejectsWith(table.add({ dst: "10.0.0.1/24" }), "EINVAL", /Invalid prefix/);
  await rejectsWith(sock.request(raw(NLRT_MSG.GETROUTE, 0, 7, 32, v4)), "EAFNOSUPPORT");
  await rejectsWith(sock.request(raw(NLRT_MSG.GETROUTE, 0, 2, 33, v4)), "EINVAL", /too long/);
  await rejectsWith(sock.request(raw(NLRT_MSG.GETROUTE, 0, 2, 32)), "EINVAL", /Missing dest/);
  await rejectsWith(
    sock.request(raw(NLRT_MSG.GETROUTE, 0, 2, 32, (w) => w.put(NLRT_A.DST, new Uint8Array(5)))),
    "EINVAL",
    /does not match the family/,
  );
  const tooLong = await rejectsWith(
    sock.request(raw(NLRT_MSG.GETROUTE, 0, 10, 32, (w) => w.put(NLRT_A.DST, new Uint8Array(17)))),
    "ERANGE",
  );
  assert.ok(tooLong.extAck.offset !== undefined, "the policy names the attribute's offset");
  await rejectsWith(sock.request(raw(NLRT_MSG.GETROUTE, 0, 2, 32, v4, 1)), "EINVAL", /Reserved/);
  await rejectsWith(
    sock.request(raw(NLRT_MSG.GETROUTE, 0, 2, 32, (w) => {
      v4(w);
      w.u32(99, 1);
    })),
    "EINVAL",
  );
  await rejectsWith(
    sock.request(raw(NLRT_MSG.GETROUTE, 0, 2, 32, (w) => {
      v4(w);
      w.u32(NLRT_A.WATCHERS, 1);
    })),
    "EINVAL",
  );
  // The client refuses a lifetime above the limit before sending; the
  // module's policy refuses it too when a raw request carries one.
  await assert.rejects(
    table.add({ dst: "10.0.0.0/8", lifetimeMs: NLRT_LIMITS.LIFETIME_MAX_MS + 1 }),
    RangeError,
  );
  await rejectsWith(
    sock.request(raw(NLRT_MSG.NEWROUTE, NLM_F.CREATE, 2, 8, (w) => {
      w.put(NLRT_A.DST, new Uint8Array([10, 0, 0, 0]));
      w.u32(NLRT_A.LIFETIME_MS, NLRT_LIMITS.LIFETIME_MAX_MS + 1);
    })),
    "ERANGE",
  );
  await rejectsWith(
    sock.request(raw(NLRT_MSG.GREET, 0, 0, 0, (w) => w.string(NLRT_A.TEXT, "x".repeat(300)))),
    "EINVAL",
  );
  await rejectsWith(sock.request(raw(40, 0, 0, 0)), "EOPNOTSUPP", /Unknown message type/);
  const short = new Uint8Array(18); // nlmsghdr and half a struct nlrtmsg
  short.set(new MessageWriter().begin(NLRT_MSG.GETROUTE).finish());
  new DataView(short.buffer).setUint32(0, 18, true);
  await rejectsWith(sock.request(short), "EINVAL", /header length/);
  await assert.rejects(table.add({ dst: "10.0.0.0/8", gateway: "::1" }), TypeError);
  await assert.rejects(table.get("10.0.0.256/8"), TypeError);
});

Deno.test("a dump of 5000 entries is complete, in order, across many datagrams", async () => {
  await using table = NlrTable.open();
  const want: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const dst = `10.${100 + (i >> 8)}.${i & 255}.0/24`;
    want.push(dst);
    await table.add({ dst, oif: "eth0" });
  }
  const got: string[] = [];
  for await (const e of table.list()) got.push(e.dst);
  assert.deepEqual(got, want);

  // A change between two parts of the dump flags it NLM_F_DUMP_INTR. One
  // datagram per read, so that the change lands while parts remain.
  await using slow = NetlinkSocket.open(NLRT_PROTOCOL_DEFAULT, { batch: 1 });
  let seen = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of slow.dump(raw(NLRT_MSG.GETROUTE, 0, 0, 0))) {
        if (seen++ === 0) await table.add({ dst: "10.200.0.0/16" });
      }
    })(),
    DumpInterruptedError,
  );
  assert.equal(seen, 5001, "the interrupted dump still delivered every entry");
  let n = 0;
  for await (const _ of table.list({ retries: 2 })) n++;
  assert.equal(n, 5001);

  for (const dst of [...want, "10.200.0.0/16"]) await table.delete(dst);
  for await (const e of table.list()) assert.fail(`left over: ${e.dst}`);
});

Deno.test("the change group: added, replaced, deleted by request, deleted by expiry", async () => {
  await using table = NlrTable.open();
  const changes = table.changes({ signal: AbortSignal.timeout(20_000) });
  const first = next(changes); // the first next() subscribes
  await table.add({ dst: "10.3.0.0/24", gateway: "192.0.2.3" });
  await table.add({ dst: "10.3.0.0/24", gateway: "192.0.2.4" }, { replace: true });
  await table.delete("10.3.0.0/24");
  await table.add({ dst: "10.4.0.0/24", lifetimeMs: 300 });
  const a = await first;
  assert.equal(a.kind, "added");
  assert.equal(entryOf(a).gateway, "192.0.2.3");
  const r = await next(changes);
  assert.equal(r.kind, "replaced");
  assert.equal(entryOf(r).gateway, "192.0.2.4");
  assert.deepEqual(await next(changes), {
    kind: "deleted",
    reason: "request",
    entry: { dst: "10.3.0.0/24", ipVersion: 4, gateway: "192.0.2.4", watchers: 0 },
  });
  const added = await next(changes);
  assert.equal(added.kind, "added");
  assert.equal(entryOf(added).lifetimeMs, 300);
  const expired = await next(changes);
  assert.equal(expired.kind, "deleted");
  assert.equal(expired.kind === "deleted" && expired.reason, "expired");
  assert.equal(expired.kind === "deleted" && expired.entry.dst, "10.4.0.0/24");
  await changes.return?.();
  await rejectsWith(table.get("10.4.0.0/24"), "ENOENT");
});

Deno.test("watch: every watcher is told once; unwatched and closed sockets are forgotten", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "10.5.0.0/24" });
  await rejectsWith(table.watch("10.6.0.0/24"), "ENOENT", /No such entry/);
  const w1 = await table.watch("10.5.0.0/24");
  const w2 = await table.watch("10.5.0.0/24");
  const w3 = await table.watch("10.5.0.0/24");
  assert.equal((await table.get("10.5.0.0/24")).watchers, 3);
  await w3.close(); // the module hears of the closed socket
  assert.equal((await table.get("10.5.0.0/24")).watchers, 2);

  // unwatch by request; a second unwatch is an error
  await using sock = NetlinkSocket.open(NLRT_PROTOCOL_DEFAULT);
  const key = (w: MessageWriter) => w.put(NLRT_A.DST, new Uint8Array([10, 5, 0, 0]));
  await sock.request(raw(NLRT_MSG.WATCH, 0, 2, 24, key));
  await sock.request(raw(NLRT_MSG.WATCH, 0, 2, 24, key)); // twice is once
  assert.equal((await table.get("10.5.0.0/24")).watchers, 3);
  await sock.request(raw(NLRT_MSG.UNWATCH, 0, 2, 24, key));
  await rejectsWith(sock.request(raw(NLRT_MSG.UNWATCH, 0, 2, 24, key)), "ENOENT", /Not watching/);

  await table.delete("10.5.0.0/24");
  for (const w of [w1, w2]) {
    const got = [];
    for await (const ev of w) got.push(ev);
    assert.equal(got.length, 1);
    assert.equal(got[0].reason, "request");
    assert.equal(got[0].entry.dst, "10.5.0.0/24");
    assert.equal(got[0].entry.watchers, 2);
  }
  // the unwatched socket got nothing
  await assert.rejects(
    sock.events({ signal: AbortSignal.timeout(200) }).next(),
    (e) => e instanceof DOMException && e.name === "TimeoutError",
    "an unwatched socket is not notified",
  );
});

Deno.test("watch: at most 256 watchers per entry", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "10.7.0.0/24" });
  const watches = [];
  try {
    for (let i = 0; i < NLRT_LIMITS.WATCHERS_MAX; i++) {
      watches.push(await table.watch("10.7.0.0/24"));
    }
    await rejectsWith(table.watch("10.7.0.0/24"), "ENOSPC", /Too many watchers/);
  } finally {
    await Promise.all(watches.map((w) => w.close()));
  }
  assert.equal((await table.get("10.7.0.0/24")).watchers, 0);
  await table.delete("10.7.0.0/24");
});

Deno.test("lifetime: a replace extends it, or makes the entry permanent", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "10.8.0.0/24", lifetimeMs: 300 });
  const left = (await table.get("10.8.0.0/24")).expiresMs!;
  assert.ok(left > 0 && left <= 300, `expires in ${left} ms`);
  await table.add({ dst: "10.8.0.0/24" }, { replace: true }); // permanent now
  await new Promise((r) => setTimeout(r, 700));
  const e = await table.get("10.8.0.0/24");
  assert.equal(e.lifetimeMs, undefined);
  await using watch = await table.watch("10.8.0.0/24");
  await table.add({ dst: "10.8.0.0/24", lifetimeMs: 200 }, { replace: true });
  const got = [];
  for await (const ev of watch) got.push(ev.reason);
  assert.deepEqual(got, ["expired"]);
  await rejectsWith(table.get("10.8.0.0/24"), "ENOENT");
});
