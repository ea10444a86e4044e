/**
 * The nlrtable client's constants against the module's UAPI header, and its
 * codec and address helpers (no kernel needed).
 */
import assert from "node:assert/strict";
import {
  formatAddress,
  formatPrefix,
  Message,
  MessageWriter,
  NLM_F,
  parseAddress,
  ParseError,
  parsePrefix,
} from "../mod.ts";
import {
  NLRT_A,
  NLRT_GRP,
  NLRT_LIMITS,
  NLRT_MSG,
  NLRT_PROTOCOL_DEFAULT,
  NLRT_REASON,
} from "../src/nlrtable/mod.ts";
import { readEntry, readEvent, writeEntry } from "../src/nlrtable/codec.ts";

const header = Deno.readTextFileSync(new URL("../kmod/nlrtable.h", import.meta.url));

/** Every `NAME = VALUE` enum member and `#define NAME VALUE` of the header. */
function cValues(): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of header.matchAll(/^\s*(NLRT_\w+)\s*=\s*(\d+),/gm)) out.set(m[1], Number(m[2]));
  for (const m of header.matchAll(/^#define\s+(NLRT_\w+)\s+(\d+)\b/gm)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

Deno.test("the TypeScript constants match kmod/nlrtable.h, name for name", () => {
  const c = cValues();
  const ts = new Map<string, number>([["NLRT_PROTOCOL_DEFAULT", NLRT_PROTOCOL_DEFAULT]]);
  const add = (prefix: string, o: Record<string, number>) => {
    for (const [k, v] of Object.entries(o)) ts.set(`${prefix}${k}`, v);
  };
  add("NLRT_MSG_", NLRT_MSG);
  add("NLRT_A_", NLRT_A);
  add("NLRT_GRP_", NLRT_GRP);
  add("NLRT_REASON_", NLRT_REASON);
  add("NLRT_", NLRT_LIMITS);
  assert.deepEqual(Object.fromEntries([...ts].sort()), Object.fromEntries([...c].sort()));
  assert.ok(c.size >= 24, `only ${c.size} constants read from the header`);
});

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

Deno.test("nlrtable entries round trip through the codec, events decode", () => {
  const w = new MessageWriter().begin(NLRT_MSG.NEWROUTE, NLM_F.REPLACE);
  writeEntry(w, { dst: "2001:db8::/32", gateway: "fe80::1", oif: "eth1", lifetimeMs: 5000 });
  const [m] = Message.parseAll(w.finish());
  assert.deepEqual(readEntry(m), {
    dst: "2001:db8::/32",
    ipVersion: 6,
    gateway: "fe80::1",
    oif: "eth1",
    lifetimeMs: 5000,
    watchers: 0,
  });
  assert.equal(readEvent(m)?.kind, "replaced");

  const d = new MessageWriter().begin(NLRT_MSG.DELROUTE);
  writeEntry(d, { dst: "10.0.3.0/24" });
  const bytes = d.finish();
  bytes[16 + 2] = NLRT_REASON.EXPIRED;
  assert.deepEqual(readEvent(Message.parseAll(bytes)[0]), {
    kind: "deleted",
    reason: "expired",
    entry: { dst: "10.0.3.0/24", ipVersion: 4, watchers: 0 },
  });
  assert.throws(
    () => writeEntry(new MessageWriter().begin(17), { dst: "10.0.0.0/8", gateway: "::1" }),
    TypeError,
  );
  // a message without NLRT_A_DST, or too short for struct nlrtmsg, is a ParseError
  const empty = new MessageWriter().begin(NLRT_MSG.NEWROUTE);
  empty.fixed(4);
  assert.throws(() => readEntry(Message.parseAll(empty.finish())[0]), ParseError);
  const short = new MessageWriter().begin(NLRT_MSG.NEWROUTE).finish();
  assert.throws(() => readEntry(Message.parseAll(short)[0]), ParseError);
});
