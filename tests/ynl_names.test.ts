/**
 * Names as ynl gives them, on bytes built here (no kernel): the library's
 * `named()` view and encoders that take names, and `ynlReply()`, the
 * exact shape of the kernel's ynl library (checked against cli.py on a
 * real kernel in ynl_cli_compare.test.ts).
 */
import assert from "node:assert/strict";
import { MessageWriter } from "../mod.ts";
import {
  decodeAttrs,
  encodeAttrs,
  encodeStruct,
  named,
  namedStruct,
  pyJson,
  pyPrettyPrint,
  pyRepr,
  ynlReply,
} from "../src/ynl/mod.ts";
import { AttributeDecoder } from "../src/attribute.ts";
import { rtLink } from "../src/families/rt_link.ts";
import { rtAddr } from "../src/families/rt_addr.ts";
import { rtRoute } from "../src/families/rt_route.ts";
import { nlctrl } from "../src/families/nlctrl.ts";
import { netdev } from "../src/families/netdev.ts";
import { psp as pspFamily } from "../src/families/psp.ts";

/** The payload after nlmsghdr of what `build` writes. */
function payload(build: (w: MessageWriter) => void): Uint8Array {
  const w = new MessageWriter().begin(0);
  build(w);
  return w.finish().slice(16);
}

Deno.test("named(): enums to names, flags to names with unknown bits kept, hints decide", () => {
  // ifa-flags: permanent (0x80) and a bit the spec does not name
  assert.deepEqual(named(rtAddr, "addr-attrs", { flags: 0x80 | 2 ** 30 }), {
    flags: ["permanent", 2 ** 30],
  });
  assert.deepEqual(
    namedStruct(rtRoute, "rtmsg", { rtmType: 1, rtmProtocol: 4 }).rtmType,
    "unicast",
  );
  // a binary with a hint prints by it; one without stays bytes, whatever its length
  const b4 = new Uint8Array([10, 0, 0, 1]);
  assert.deepEqual(named(rtAddr, "addr-attrs", { address: b4 }), { address: "10.0.0.1" });
  const mac = named(rtLink, "link-attrs", { address: new Uint8Array([2, 0, 0, 0, 0, 1]) });
  assert.equal(mac.address, "02:00:00:00:00:01");
  const unhinted = named(rtLink, "link-attrs", { "unknown": { 200: [b4] } });
  assert.ok((unhinted.unknown as Record<number, Uint8Array[]>)[200][0] instanceof Uint8Array);
});

Deno.test("encoders take names or numbers, and the hinted text", () => {
  const enc = (attrs: Record<string, unknown>) => {
    const w = new MessageWriter().begin(0);
    encodeAttrs(rtAddr, "addr-attrs", w, attrs);
    return w.finish();
  };
  assert.deepEqual(enc({ flags: ["permanent", "nodad"] }), enc({ flags: 0x80 | 0x02 }));
  assert.deepEqual(enc({ address: "10.0.0.1" }), enc({ address: new Uint8Array([10, 0, 0, 1]) }));
  assert.throws(() => enc({ flags: ["permanet"] }), /permanet.*ifa-flags|not a name/);
  const hdr = (h: Record<string, unknown>) => {
    const w = new MessageWriter().begin(0);
    encodeStruct(rtRoute, "rtmsg", w, h);
    return w.finish();
  };
  assert.deepEqual(
    hdr({ rtmType: "unicast", rtmScope: 253 }),
    hdr({ rtmType: 1, rtmScope: 253 }),
  );
  // an enum used as flags holds bit numbers: psp's versions
  const psp = (attrs: Record<string, unknown>) => {
    const w = new MessageWriter().begin(0);
    encodeAttrs(pspFamily, "dev", w, attrs);
    return w.finish();
  };
  assert.deepEqual(
    psp({ "psp-versions-ena": ["hdr0-aes-gcm-256", "hdr0-aes-gmac-256"] }),
    psp({ "psp-versions-ena": 0b1010 }),
  );
  assert.deepEqual(named(pspFamily, "dev", { pspVersionsEna: 0b1010 | 2 ** 9 }), {
    pspVersionsEna: ["hdr0-aes-gcm-256", "hdr0-aes-gmac-256", 2 ** 9],
  });
  // and decoding gives the raw numbers back
  const bytes = enc({ flags: ["permanent"] });
  const ad = new AttributeDecoder(bytes, 16);
  assert.deepEqual(decodeAttrs(rtAddr, "addr-attrs", ad), { flags: 0x80 });
});

Deno.test("ynlReply(): ynl's shape: header after attrs, sets, Unknown(), indexed arrays, type-value", () => {
  // ifaddrmsg + IFA_ADDRESS + IFA_FLAGS + an attribute the spec lacks
  const addr = payload((w) => {
    const at = w.fixed(8);
    w.buffer.set([2, 24, 0x80, 0, 7, 0, 0, 0], at);
    w.put(1, new Uint8Array([10, 9, 0, 1]));
    w.u32(8, 0x80 | 2 ** 20);
    w.u32(99, 5);
  });
  const r = ynlReply(rtAddr, rtAddr.ops.getaddr, addr);
  assert.equal(
    pyJson(r),
    '{"address": "10.9.0.1", "flags": ["Unknown(20)", "permanent"], "UnknownAttr(99)": "05000000", ' +
      '"ifa-family": 2, "ifa-prefixlen": 24, "ifa-flags": ["permanent"], "ifa-scope": 0, "ifa-index": 7}',
  );
  // nlctrl: ops as [{index: attrs}], policy as its type-value names then the policy
  const fam = payload((w) => {
    w.fixed(4);
    w.string(2, "x");
    const ops = w.nestStart(6);
    const o = w.nestStart(1);
    w.u32(1, 3).u32(2, 0x0e);
    w.nestEnd(o);
    w.nestEnd(ops);
    const pol = w.nestStart(8);
    const p = w.nestStart(0);
    const a = w.nestStart(4);
    w.u32(1, 4);
    w.nestEnd(a);
    w.nestEnd(p);
    w.nestEnd(pol);
  });
  const genl = fam.slice(4);
  const f = ynlReply(nlctrl, nlctrl.ops.getpolicy, genl);
  assert.equal(
    pyJson(f),
    '{"family-name": "x", "ops": [{"1": {"id": 3, "flags": ["cmd-cap-do", "cmd-cap-dump", "cmd-cap-haspol"]}}], ' +
      '"policy": {"policy-id": 0, "attr-id": 4, "type": "u32"}}',
  );
  assert.equal(
    pyRepr(f.ops),
    "[{1: {'id': 3, 'flags': {'cmd-cap-do', 'cmd-cap-dump', 'cmd-cap-haspol'}}}]",
  );
  // netdev: flags of a uint, an enum of a u32
  const q = payload((w) => {
    w.fixed(4);
    w.u32(1, 0).u32(3, 1);
  }).slice(4);
  assert.equal(pyJson(ynlReply(netdev, netdev.ops["queue-get"], q)), '{"id": 0, "type": "tx"}');
});

Deno.test("pyJson and pyPrettyPrint print as Python does", () => {
  assert.equal(
    pyJson({ s: 'é"\n', n: 2n ** 64n - 1n, b: true, z: null }),
    '{"s": "\\u00e9\\"\\n", "n": 18446744073709551615, "b": true, "z": null}',
  );
  assert.equal(pyRepr("it's"), `"it's"`);
  assert.equal(pyPrettyPrint({ b: 1, a: [1, 2] }), "{'a': [1, 2], 'b': 1}");
  const long = { "family-name": "x".repeat(40), "family-id": 16, "version": 2, "hdrsize": 0 };
  assert.equal(
    pyPrettyPrint(long),
    `{'family-id': 16,\n 'family-name': '${"x".repeat(40)}',\n 'hdrsize': 0,\n 'version': 2}`,
  );
});
