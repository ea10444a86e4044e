/**
 * The YNL generator and codec: the committed families are what the specs
 * generate; every encoding the specs use round-trips; hostile bytes give
 * ParseError, never a hang.
 */
import assert from "node:assert/strict";
import { AttributeDecoder, Message, MessageWriter, ParseError } from "../mod.ts";
import { decodeAttrs, encodeAttrs, type FamilySpec } from "../src/ynl/mod.ts";
import { familyTables } from "../src/families/mod.ts";
import { familyOf, OUT_DIR, OWN_SPECS, render } from "../src/ynl/generate.ts";
import { fetchSpecs } from "../src/ynl/fetch_specs.ts";
import { parse } from "yaml";

Deno.test({
  name: "src/families/ is what the kernel's specs (and ours) generate",
  // the specs come from Debian's linux-source-6.12; with CI=true this never skips
  ignore: Deno.uid() !== 0 && Deno.env.get("CI") !== "true",
  async fn() {
    const specs = await fetchSpecs();
    const files = await render([specs, OWN_SPECS]);
    assert.ok(files.size >= 21, `${files.size} modules`);
    const committed = new Set<string>();
    for await (const e of Deno.readDir(OUT_DIR)) committed.add(e.name);
    assert.deepEqual([...committed].sort(), [...files.keys()].sort(), "no module missing or extra");
    for (const [name, text] of files) {
      assert.equal(await Deno.readTextFile(`${OUT_DIR}/${name}`), text, `stale: ${name}`);
    }
  },
});

const TEST_SPEC = `
name: test-fam
protocol: netlink-raw
protonum: 0
definitions:
  - { name: hdr, type: struct, members: [{ name: a, type: u8 }, { name: pad, type: pad, len: 1 }, { name: b, type: u16, byte-order: big-endian }, { name: c, type: u32 }] }
  - { name: color, type: enum, entries: [red, green] }
  - { name: bits, type: flags, entries: [x, y, z] }
attribute-sets:
  - name: top
    attributes:
      - { name: kind, type: string }
      - { name: data, type: sub-message, sub-message: data-msg, selector: kind }
      - { name: port, type: u16, byte-order: big-endian }
      - { name: tag, type: u32, multi-attr: true }
      - { name: items, type: indexed-array, sub-type: nest, nested-attributes: item }
      - { name: nums, type: indexed-array, sub-type: u32 }
      - { name: raw, type: binary, struct: hdr }
      - { name: big, type: u64 }
      - { name: wide, type: uint }
      - { name: neg, type: sint }
      - { name: bf, type: bitfield32 }
      - { name: on, type: flag }
      - { name: color, type: u8, enum: color }
  - name: item
    attributes:
      - { name: name, type: string }
      - { name: weight, type: s32 }
  - name: a-data
    attributes:
      - { name: mtu, type: u32 }
sub-messages:
  - name: data-msg
    formats:
      - { value: a, attribute-set: a-data }
      - { value: b, fixed-header: hdr }
operations:
  list:
    - name: get
      attribute-set: top
      fixed-header: hdr
      do:
        request: { value: 40, attributes: [kind] }
        reply: { value: 41, attributes: [kind] }
`;

Deno.test("the generator's tables: numbering, enums, flags, structs, operations", () => {
  const f = familyOf(parse(TEST_SPEC));
  assert.deepEqual(f.enums.color.entries, { red: 0, green: 1 });
  assert.deepEqual(f.enums.bits.entries, { x: 1, y: 2, z: 4 });
  assert.equal(f.structs.hdr.size, 8);
  assert.deepEqual(f.sets.top.attrs.map((a) => [a.type, a.key]).slice(0, 3), [
    [1, "kind"],
    [2, "data"],
    [3, "port"],
  ]);
  assert.equal(f.ops.get.do?.request?.value, 40);
  assert.equal(f.ops.get.do?.reply?.value, 41);
  // the kernel's own: rt-link numbering and ethtool's directional commands
  const link = familyTables.rt_link;
  assert.equal(link.sets["link-attrs"].attrs.find((a) => a.name === "ifname")?.type, 3);
  assert.equal(link.ops.newlink.do?.request?.value, 16);
  assert.equal(familyTables.nlctrl.ops.getfamily.do?.request?.value, 3);
});

function roundTrip(f: FamilySpec, value: Record<string, unknown>) {
  const w = new MessageWriter().begin(1);
  encodeAttrs(f, "top", w, value);
  const [m] = Message.parseAll(w.finish());
  return decodeAttrs(f, "top", m.attributes(0));
}

Deno.test("every encoding round-trips: sub-messages, arrays, multi-attr, structs, byte order", () => {
  const f = familyOf(parse(TEST_SPEC));
  const value = {
    kind: "a",
    data: { mtu: 1500 },
    port: 0x1234,
    tag: [1, 2, 3],
    items: [{ name: "p", weight: -5 }, { name: "q", weight: 7 }],
    nums: [10, 20],
    raw: { a: 1, b: 0x0102, c: 99 },
    big: 1n << 60n,
    wide: 2 ** 40,
    neg: -3,
    bf: { value: 5, selector: 7 },
    on: true,
    color: 1,
  };
  assert.deepEqual(roundTrip(f, value), value);
  // the selector picks the format; an unknown kind stays bytes
  assert.deepEqual(roundTrip(f, { kind: "b", data: { a: 9, b: 2, c: 3 } }).data, {
    a: 9,
    b: 2,
    c: 3,
  });
  assert.deepEqual(
    [...(roundTrip(f, { kind: "zz", data: new Uint8Array([1, 2]) }).data as Uint8Array)],
    [1, 2],
  );
  // big-endian on the wire
  const w = new MessageWriter().begin(1);
  encodeAttrs(f, "top", w, { port: 0x1234 });
  assert.deepEqual([...w.finish().subarray(20, 22)], [0x12, 0x34]);
  // a typo is an error, not silence
  assert.throws(() => roundTrip(f, { knd: "a" }), TypeError);
});

Deno.test("hostile bytes through generated tables: values or ParseError, never a hang", () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const f = familyTables.rt_link;
  let parsed = 0, refused = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = new Uint8Array(rand(200));
    for (let j = 0; j < b.length; j++) b[j] = rand(256);
    // plausible attribute headers most of the time
    for (let j = 0; j + 4 <= b.length; j += 4 + rand(12)) {
      if (rand(3)) {
        b[j] = rand(40);
        b[j + 1] = 0;
        b[j + 2] = rand(60);
        b[j + 3] = rand(4) ? 0 : 0x80;
      }
    }
    try {
      decodeAttrs(f, "link-attrs", new AttributeDecoder(b, 0));
      parsed++;
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      refused++;
    }
  }
  assert.ok(parsed > 100 && refused > 100, `${parsed} parsed, ${refused} refused`);
});
