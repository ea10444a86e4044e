import assert from "node:assert/strict";
import {
  AttributeDecoder,
  MAX_NEST_DEPTH,
  Message,
  MessageWriter,
  NLA_F,
  NLM_F,
  NLMSG,
  parseAck,
  parseDone,
  ParseError,
} from "../mod.ts";

function attrs(bytes: Uint8Array, start: number, end?: number) {
  const out: { type: number; length: number; nested: boolean }[] = [];
  const ad = new AttributeDecoder(bytes, start, end);
  while (ad.next()) out.push({ type: ad.type, length: ad.length, nested: ad.isNested });
  return out;
}

Deno.test("header round trip: type, flags, seq, portId, alignment", () => {
  const w = new MessageWriter(8);
  w.begin(0x12, NLM_F.REQUEST | NLM_F.ACK, 0xdeadbeef, 77).u8(1, 9);
  const bytes = w.finish();
  assert.equal(bytes.length, 24); // 16 + 4 + 1 padded to 4
  const [m] = Message.parseAll(bytes);
  assert.equal(m.type, 0x12);
  assert.equal(m.flags, NLM_F.REQUEST | NLM_F.ACK);
  assert.equal(m.seq, 0xdeadbeef);
  assert.equal(m.portId, 77);
  assert.equal(m.length, 24); // attributes are padded, as the kernel pads them
  assert.deepEqual([...m.payload], [5, 0, 1, 0, 9, 0, 0, 0]);
});

Deno.test("every attribute type round trips", () => {
  const w = new MessageWriter();
  w.begin(0x10);
  w.u8(1, 0xfe).u16(2, 0xbeef).u32(3, 0xfeedface).u64(4, 0x0123456789abcdefn);
  w.s8(5, -2).s16(6, -300).s32(7, -70000).s64(8, -5n);
  w.u16be(9, 0x1234).u32be(10, 0x01020304).u64be(11, 0x0102030405060708n);
  w.string(12, "héllo").put(13, new Uint8Array([1, 2, 3])).flag(14);
  const outer = w.nestStart(15);
  w.u32(1, 42);
  const inner = w.nestStart(2);
  w.string(1, "deep");
  w.nestEnd(inner);
  w.nestEnd(outer);
  const [m] = Message.parseAll(w.finish());
  const ad = m.attributes();
  const seen: Record<number, unknown> = {};
  while (ad.next()) {
    switch (ad.type) {
      case 1:
        seen[1] = ad.u8();
        break;
      case 2:
        seen[2] = ad.u16();
        break;
      case 3:
        seen[3] = ad.u32();
        break;
      case 4:
        seen[4] = ad.u64();
        break;
      case 5:
        seen[5] = ad.s8();
        break;
      case 6:
        seen[6] = ad.s16();
        break;
      case 7:
        seen[7] = ad.s32();
        break;
      case 8:
        seen[8] = ad.s64();
        break;
      case 9:
        seen[9] = ad.u16be();
        break;
      case 10:
        seen[10] = ad.u32be();
        break;
      case 11:
        seen[11] = ad.u64be();
        break;
      case 12:
        seen[12] = ad.string();
        break;
      case 13:
        seen[13] = [...ad.value()];
        break;
      case 14:
        seen[14] = ad.length;
        break;
      case 15: {
        assert.ok(ad.isNested);
        const n = ad.nested();
        assert.ok(n.next());
        seen[151] = n.u32();
        assert.ok(n.next());
        const d = n.nested();
        assert.ok(d.next());
        seen[152] = d.string();
        assert.equal(d.next(), false);
        assert.equal(n.next(), false);
      }
    }
  }
  assert.deepEqual(seen, {
    1: 0xfe,
    2: 0xbeef,
    3: 0xfeedface,
    4: 0x0123456789abcdefn,
    5: -2,
    6: -300,
    7: -70000,
    8: -5n,
    9: 0x1234,
    10: 0x01020304,
    11: 0x0102030405060708n,
    12: "héllo",
    13: [1, 2, 3],
    14: 0,
    151: 42,
    152: "deep",
  });
});

Deno.test("network byte order is big-endian on the wire", () => {
  const bytes = new MessageWriter().begin(0x10).u32be(1, 0x0a000001).finish();
  assert.deepEqual([...bytes.subarray(20, 24)], [10, 0, 0, 1]);
});

Deno.test("NLA_F flags are masked out of the type and reported", () => {
  const w = new MessageWriter().begin(0x10);
  w.u32(3 | NLA_F.NET_BYTEORDER, 1);
  const n = w.nestStart(4);
  w.nestEnd(n);
  const ad = Message.parseAll(w.finish())[0].attributes();
  assert.ok(ad.next());
  assert.equal(ad.type, 3);
  assert.ok(ad.isNetByteOrder);
  assert.ok(!ad.isNested);
  assert.ok(ad.next());
  assert.equal(ad.type, 4);
  assert.ok(ad.isNested);
  assert.equal(ad.rawType, 4 | NLA_F.NESTED);
});

Deno.test("several messages built into one buffer parse back in order", () => {
  const w = new MessageWriter(16);
  for (let i = 0; i < 50; i++) w.begin(0x10 + i, 0, i).string(1, "x".repeat(i));
  const msgs = Message.parseAll(w.finish());
  assert.equal(msgs.length, 50);
  msgs.forEach((m, i) => {
    assert.equal(m.type, 0x10 + i);
    assert.equal(m.seq, i);
    const ad = m.attributes();
    assert.ok(ad.next());
    assert.equal(ad.string(), "x".repeat(i));
  });
});

Deno.test("strings: short ASCII, UTF-8, a BOM, up to the NUL, long ones, as TextDecoder reads them", () => {
  const cases = [
    "",
    "w5a",
    "noop",
    "é",
    "eth0\u00e9x",
    "\ufeffbom",
    "a\u0000b",
    "x".repeat(32),
    "y".repeat(33),
    // every length the short path builds, and past it
    ...Array.from({ length: 20 }, (_, n) => "abcdefghijklmnopqrstuvwxyz".slice(0, n)),
  ];
  for (const text of cases) {
    const w = new MessageWriter();
    w.begin(0x10).put(1, new TextEncoder().encode(text));
    const ad = Message.parseAll(w.finish())[0].attributes();
    assert.ok(ad.next());
    const bytes = new TextEncoder().encode(text);
    const nul = bytes.indexOf(0);
    assert.equal(ad.string(), new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul)));
  }
});

Deno.test("fixed headers are zeroed, padded and precede attributes", () => {
  const w = new MessageWriter();
  w.begin(0x10);
  const off = w.fixed(12);
  w.view.setUint8(off, 2);
  w.u32(1, 5);
  const [m] = Message.parseAll(w.finish());
  assert.equal(m.payload[0], 2);
  assert.deepEqual(attrs(m.data, 16 + 12), [{ type: 1, length: 4, nested: false }]);
  const ad = m.attributes(12);
  assert.ok(ad.next());
  assert.equal(ad.u32(), 5);
  assert.throws(() => m.attributes(64), ParseError);
});

Deno.test("clone is independent of the original bytes", () => {
  const bytes = new MessageWriter().begin(0x10).u32(1, 7).finish().slice();
  const [m] = Message.parseAll(bytes);
  const c = m.clone();
  bytes.fill(0);
  assert.equal(c.type, 0x10);
  const ad = c.attributes();
  assert.ok(ad.next());
  assert.equal(ad.u32(), 7);
});

Deno.test("malformed headers: truncated, below header, past the buffer", () => {
  const good = new MessageWriter().begin(0x10).u32(1, 1).finish().slice();
  assert.throws(() => Message.parseAll(good.subarray(0, 10)), ParseError);
  const short = good.slice();
  new DataView(short.buffer).setUint32(0, 8, true);
  assert.throws(() => Message.parseAll(short), /below the header/);
  const long = good.slice();
  new DataView(long.buffer).setUint32(0, 4096, true);
  assert.throws(() => Message.parseAll(long), /past the end/);
  const zero = good.slice();
  new DataView(zero.buffer).setUint32(0, 0, true);
  assert.throws(() => Message.parseAll(zero), ParseError);
});

Deno.test("malformed attributes: overruns, short headers, wrong sizes", () => {
  const over = new Uint8Array([200, 0, 1, 0, 0, 0, 0, 0]);
  assert.throws(() => attrs(over, 0), /past the end/);
  const below = new Uint8Array([2, 0, 1, 0]);
  assert.throws(() => attrs(below, 0), /below its header/);
  const tail = new Uint8Array([8, 0, 1, 0, 1, 2, 3, 4, 9, 9]);
  assert.throws(() => attrs(tail, 0), /trailing bytes/);
  const ad = new AttributeDecoder(new Uint8Array([6, 0, 1, 0, 1, 2, 0, 0]));
  assert.ok(ad.next());
  assert.equal(ad.u16(), 0x201);
  assert.throws(() => ad.u32(), /needs 4/);
  assert.throws(() => new AttributeDecoder(new Uint8Array(4), 2, 9), ParseError);
});

Deno.test("zero-length attributes advance: no loop", () => {
  const b = new Uint8Array(4 * 1000);
  for (let i = 0; i < 1000; i++) b.set([4, 0, i & 0xff, 0], i * 4);
  assert.equal(attrs(b, 0).length, 1000);
});

Deno.test("nesting bombs stop at MAX_NEST_DEPTH with a ParseError", () => {
  const w = new MessageWriter().begin(0x10);
  const tokens: number[] = [];
  for (let i = 0; i < 100; i++) tokens.push(w.nestStart(1));
  for (const t of tokens.reverse()) w.nestEnd(t);
  let ad = Message.parseAll(w.finish())[0].attributes();
  let depth = 0;
  assert.throws(() => {
    for (;;) {
      assert.ok(ad.next());
      ad = ad.nested();
      depth++;
    }
  }, /nested deeper/);
  assert.equal(depth, MAX_NEST_DEPTH);
});

Deno.test("parseAck: error, extended ACK message and offset, capped", () => {
  const w = new MessageWriter();
  w.begin(NLMSG.ERROR, NLM_F.CAPPED | NLM_F.ACK_TLVS);
  const o = w.fixed(20);
  w.view.setInt32(o, -22, true);
  w.view.setUint32(o + 4, 40, true); // request's nlmsg_len
  w.string(1, "Invalid attribute").u32(2, 36);
  const ack = parseAck(Message.parseAll(w.finish())[0]);
  assert.equal(ack.errno, 22);
  assert.deepEqual(ack.extAck, { message: "Invalid attribute", offset: 36 });
});

Deno.test("parseAck: uncapped error skips the echoed request", () => {
  const w = new MessageWriter();
  w.begin(NLMSG.ERROR, NLM_F.ACK_TLVS);
  const o = w.fixed(4);
  w.view.setInt32(o, -1, true);
  w.begin(0x10).u32(7, 7).end(); // the echoed request (24 bytes)
  const echoed = w.finish().slice();
  // Re-frame: one NLMSG_ERROR whose payload is errno + the echoed request + TLVs.
  const w2 = new MessageWriter().begin(NLMSG.ERROR, NLM_F.ACK_TLVS);
  const p = w2.fixed(4 + 24);
  w2.buffer.set(echoed.subarray(20, 44), p + 4);
  w2.view.setInt32(p, -1, true);
  w2.string(1, "nope");
  const ack = parseAck(Message.parseAll(w2.finish())[0]);
  assert.equal(ack.errno, 1);
  assert.equal(ack.extAck.message, "nope");
});

Deno.test("parseAck: too short is a ParseError; DONE carries an errno", () => {
  const short = new MessageWriter().begin(NLMSG.ERROR).finish();
  assert.throws(() => parseAck(Message.parseAll(short)[0]), ParseError);
  const w = new MessageWriter().begin(NLMSG.DONE);
  w.view.setInt32(w.fixed(4), -16, true);
  assert.equal(parseDone(Message.parseAll(w.finish())[0]).errno, 16);
  assert.equal(parseDone(Message.parseAll(new MessageWriter().begin(3).finish())[0]).errno, 0);
});

Deno.test("writer rejects attributes that cannot fit nla_len", () => {
  const w = new MessageWriter().begin(0x10);
  assert.throws(() => w.put(1, new Uint8Array(70000)), RangeError);
});
