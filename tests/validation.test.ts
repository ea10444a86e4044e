// Bad input is a TypeError or RangeError before anything is sent, never a
// silent change (issue 19, defects 4 to 7).
import assert from "node:assert/strict";
import { Message, MessageWriter } from "../mod.ts";

Deno.test("a writer made with capacity 0 grows (it used to spin forever)", () => {
  for (const capacity of [0, 1, 3]) {
    const w = new MessageWriter(capacity);
    w.begin(18).fixed(16);
    w.string(3, "x".repeat(300));
    const [m] = Message.parseAll(w.finish());
    assert.equal(m.type, 18);
    assert.equal(m.length, 16 + 16 + 4 + 304);
  }
});

Deno.test("a capacity that is not a non-negative integer is a RangeError", () => {
  for (const capacity of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => new MessageWriter(capacity), RangeError, String(capacity));
  }
});
