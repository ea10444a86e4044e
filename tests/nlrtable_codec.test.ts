/**
 * The nlrtable client's codec: entries through the generated protocol
 * (src/families/nlrtable.ts) and back, events told apart, and the address
 * helpers (no kernel needed). kmod/nlrtable.h against the spec is
 * tests/nlrtable_spec.test.ts.
 */
import assert from "node:assert/strict";
import {
  formatAddress,
  formatPrefix,
  Message,
  NetlinkSocket,
  NLM_F,
  parseAddress,
  ParseError,
  parsePrefix,
} from "../mod.ts";
import { NLRT_MSG, NLRT_REASON, nlrtable, type NlrtableOps } from "../src/nlrtable/mod.ts";
import { type NlrDecoded, routeRequest, toEntry, toEvent } from "../src/nlrtable/entry.ts";
import { FamilyClient } from "../src/ynl/family.ts";
import { FakeKernel } from "../src/testing/mod.ts";

/** Encodes with the generated tables, parses the bytes back and decodes them. */
async function roundTrip(
  f: (c: FamilyClient<NlrtableOps>) => Uint8Array,
): Promise<{ bytes: Uint8Array; decode: (b?: Uint8Array) => NlrDecoded }> {
  using kernel = new FakeKernel(() => undefined);
  await using sock = NetlinkSocket.open(31, { sys: kernel });
  const c = FamilyClient.attach<NlrtableOps>(nlrtable, sock);
  const bytes = f(c).slice();
  return { bytes, decode: (b = bytes) => c.decode(Message.parseAll(b)[0]) as NlrDecoded };
}

Deno.test("addresses: parse and format IPv4 and IPv6 (RFC 5952)", () => {
  assert.deepEqual([...parseAddress("192.0.2.1")], [192, 0, 2, 1]);
  for (
    const [text, canon] of [
      ["2001:db8::1", "2001:db8::1"],
      ["::", "::"],
      ["::1", "::1"],
      ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["::ffff:192.0.2.1", "::ffff:c000:201"],
      ["fe80::", "fe80::"],
    ]
  ) assert.equal(formatAddress(parseAddress(text)), canon, text);
  for (
    const bad of ["1.2.3", "1.2.3.256", "01.2.3.4", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ""]
  ) {
    assert.throws(() => parseAddress(bad), TypeError, bad);
  }
  assert.deepEqual(parsePrefix("10.0.0.0/8"), {
    family: 2,
    address: new Uint8Array([10, 0, 0, 0]),
    length: 8,
  });
  assert.equal(parsePrefix("2001:db8::/32").length, 32);
  assert.equal(parsePrefix("::1").length, 128);
  assert.throws(() => parsePrefix("10.0.0.0/33"), TypeError);
  assert.throws(() => parsePrefix("10.0.0.0/x"), TypeError);
  assert.equal(formatPrefix(new Uint8Array(16), 0), "::/0");
});

Deno.test("nlrtable entries round trip through the generated codec, events decode", async () => {
  const add = await roundTrip((c) =>
    c.encode(
      "newroute",
      routeRequest({ dst: "2001:db8::/32", gateway: "fe80::1", oif: "eth1", lifetimeMs: 5000 }),
      "do",
      NLM_F.REPLACE,
    ).finish()
  );
  assert.deepEqual(toEntry(add.decode()), {
    dst: "2001:db8::/32",
    ipVersion: 6,
    gateway: "fe80::1",
    oif: "eth1",
    lifetimeMs: 5000,
    watchers: 0,
  });
  assert.equal(toEvent(add.decode())?.kind, "replaced");

  const del = await roundTrip((c) =>
    c.encode("delroute", routeRequest({ dst: "10.0.3.0/24" })).finish()
  );
  assert.equal(del.bytes[16 + 2], 0, "struct nlrtmsg's reason");
  del.bytes[16 + 2] = NLRT_REASON.EXPIRED;
  assert.deepEqual(toEvent(del.decode()), {
    kind: "deleted",
    reason: "expired",
    entry: { dst: "10.0.3.0/24", ipVersion: 4, watchers: 0 },
  });
  for (const r of [NLRT_REASON.REQUEST, NLRT_REASON.NONE]) {
    del.bytes[16 + 2] = r;
    assert.equal((toEvent(del.decode()) as { reason?: string }).reason, "request", `reason ${r}`);
  }
  assert.equal(toEvent((await roundTrip((c) => c.encode("greet").finish())).decode()), undefined);

  assert.throws(() => routeRequest({ dst: "10.0.0.0/8", gateway: "::1" }), TypeError);
  assert.throws(() => routeRequest({ dst: "10.0.0.0/8", via: "x" } as never), /no field via/);
  assert.throws(() => routeRequest({ dst: "10.0.0.0/8", lifetimeMs: 604800001 }), RangeError);
  assert.throws(() => routeRequest({ dst: "10.0.0.0/8", lifetimeMs: 1.5 }), RangeError);
  assert.throws(() => routeRequest({ dst: "10.0.0.0/8", oif: "" }), TypeError);
  assert.deepEqual(
    routeRequest({ dst: "10.0.0.0/8", oif: "x".repeat(15) }).attrs?.oifname,
    "x".repeat(15),
  );
  assert.throws(() => routeRequest({ dst: "10.0.0.0/8", oif: "x".repeat(16) }), TypeError);
  assert.equal(
    routeRequest({ dst: "10.0.0.0/8", lifetimeMs: 604800000 }).attrs?.lifetimeMs,
    604800000,
  );

  // a message without NLRT_A_DST, or too short for struct nlrtmsg, is a ParseError
  const empty = await roundTrip((c) => c.encode("getroute", {}, "dump").finish());
  assert.equal(empty.bytes[4], NLRT_MSG.GETROUTE);
  empty.bytes[4] = NLRT_MSG.NEWROUTE;
  assert.throws(() => toEntry(empty.decode()), ParseError);
  const short = empty.bytes.slice(0, 16);
  short[0] = 16;
  assert.throws(() => toEntry(empty.decode(short)), ParseError);
});
