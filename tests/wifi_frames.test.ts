/**
 * The 802.11 pieces src/wifi builds and reads (beacon head, information
 * elements), and nl80211 as generated from Linux 7.2's spec with the
 * project's supplement (tools/specs/nl80211.supplement.yaml). The radios
 * themselves are in tests/vm/wifi.test.ts.
 */
import assert from "node:assert/strict";
import { beacon, channelOf, elements, ssidOf } from "../src/wifi/mod.ts";
import { ParseError } from "../src/errors.ts";
import { nl80211 } from "../src/families/nl80211.ts";

Deno.test("a beacon head: header, fixed fields, SSID, rates, DS channel", () => {
  const bssid = new Uint8Array([2, 0, 0, 0, 1, 0]);
  const { head, tail } = beacon({ bssid, ssid: "lab", channel: 6, interval: 200 });
  assert.deepEqual([...head.subarray(0, 4)], [0x80, 0, 0, 0]); // beacon, no duration
  assert.deepEqual([...head.subarray(4, 10)], [255, 255, 255, 255, 255, 255]);
  assert.deepEqual([...head.subarray(10, 16)], [...bssid]);
  assert.deepEqual([...head.subarray(16, 22)], [...bssid]);
  assert.deepEqual([head[32], head[33], head[34], head[35]], [200, 0, 1, 0]); // interval, ESS
  const ies = elements(head.subarray(36));
  assert.deepEqual(ies.map((e) => e.id), [0, 1, 3]);
  assert.equal(ssidOf(head.subarray(36)), "lab");
  assert.deepEqual([...ies[2].data], [6]);
  assert.equal(tail.length, 0);
});

Deno.test("bad beacon input and truncated elements are typed errors", () => {
  const bssid = new Uint8Array(6);
  assert.throws(() => beacon({ bssid: new Uint8Array(5), ssid: "x", channel: 1 }), RangeError);
  assert.throws(() => beacon({ bssid, ssid: "x".repeat(33), channel: 1 }), RangeError);
  assert.throws(() => beacon({ bssid, ssid: "x", channel: 15 }), RangeError);
  assert.throws(() => beacon({ bssid, ssid: "x", channel: 1, interval: 0 }), RangeError);
  assert.throws(() => elements(new Uint8Array([0, 5, 1])), ParseError);
  assert.throws(() => elements(new Uint8Array([0])), ParseError);
  assert.equal(ssidOf(new Uint8Array([1, 1, 0x82])), undefined);
  assert.deepEqual([channelOf(2412), channelOf(2472), channelOf(2484)], [1, 13, 14]);
  assert.throws(() => channelOf(5180), RangeError);
});

Deno.test("nl80211 as generated: the kernel's spec and the project's supplement", () => {
  const attrs = Object.fromEntries(nl80211.sets["nl80211-attrs"].attrs.map((a) => [a.name, a]));
  // the kernel's numbering kept, the supplement's types laid over it
  assert.deepEqual([attrs.bss.type, attrs.bss.kind, attrs.bss.set], [47, "nest", "bss-attrs"]);
  assert.equal(attrs["reg-rules"].kind, "indexed-array");
  assert.equal(attrs.iftype.enum, "iftype");
  assert.equal(nl80211.ops["trigger-scan"].do?.request?.value, 33);
  assert.equal(nl80211.ops["get-wiphy"].do?.request?.value, 1, "the kernel's own op stays");
});
