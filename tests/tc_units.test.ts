/**
 * tc's units, handles and the generated struct layouts, without a kernel:
 * rates, sizes and times read as tc reads them, handles printed as tc
 * prints them, and the structs Linux 7.2's spec lays out wrong (put right
 * by tools/specs/tc.supplement.yaml) at the sizes of the kernel's UAPI
 * headers (tc_ratespec 12, tc_htb_opt 44, tc_tbf_qopt 36,
 * tc_police 56, tc_u32_sel 16, tc_mirred 28).
 */
import assert from "node:assert/strict";
import {
  formatHandle,
  MIRRED_EACTION,
  parseHandle,
  parseRate,
  parseSize,
  parseTime,
  TC_ACT,
} from "../src/tc/mod.ts";
import { filterHandleText } from "../src/tc/client.ts";
import { tc } from "../src/families/tc.ts";
import { ratespec, readRatespec } from "../src/tc/qdiscs.ts";
import { decodeStruct, structBytes } from "../src/ynl/codec.ts";
import { verdictName } from "../src/tc/handles.ts";
import { readU32Selector, TC_U32_TERMINAL, u32Keys, u32Selector } from "../src/tc/u32.ts";

Deno.test("tc units: rates, sizes and times as tc reads them", () => {
  assert.equal(parseRate("r", "1mbit"), 125000);
  assert.equal(parseRate("r", "8000"), 1000); // a bare number in text is bits, as in tc
  assert.equal(parseRate("r", "1MBps"), 1000000);
  assert.equal(parseRate("r", 250000), 250000); // a number is bytes per second
  assert.equal(parseSize("s", "15k"), 15360);
  assert.equal(parseSize("s", "32kbit"), 4096);
  assert.equal(parseTime("t", "10ms"), 10000);
  assert.equal(parseTime("t", "1.5s"), 1500000);
  assert.throws(() => parseRate("tbf rate", "1mbitt"), /tbf rate: "1mbitt" is not a rate/);
  assert.throws(() => parseSize("burst", -1), RangeError);
  assert.throws(() => parseTime("delay", "soon"), TypeError);
});

Deno.test("tc handles: parsed and printed as tc does", () => {
  assert.equal(parseHandle("h", "1:10"), 0x10010);
  assert.equal(parseHandle("h", "ffff:"), 0xffff0000);
  assert.equal(parseHandle("h", "ingress"), 0xfffffff2);
  assert.equal(parseHandle("h", "egress"), 0xfffffff3);
  assert.equal(formatHandle(0xffffffff), "root");
  assert.equal(formatHandle(0xfffffff1), "ffff:fff1");
  assert.equal(formatHandle(0x10000), "1:");
  assert.equal(filterHandleText("u32", 0x80000800), "800::800");
  assert.equal(filterHandleText("u32", 0x80000000), "800:");
  assert.equal(filterHandleText("flower", 1), "0x1");
  assert.throws(() => parseHandle("parent", "1:2:3"), /parent: "1:2:3" is not a handle/);
});

Deno.test("tc structs: the kernel's sizes and offsets, not the spec's", () => {
  const sizes = Object.fromEntries(
    ["tc-ratespec", "tc-htb-opt", "tc-tbf-qopt", "tc-police", "tc-u32-sel", "tc-mirred"]
      .map((n) => [n, tc.structs[n].size]),
  );
  assert.deepEqual(sizes, {
    "tc-ratespec": 12,
    "tc-htb-opt": 44,
    "tc-tbf-qopt": 36,
    "tc-police": 56,
    "tc-u32-sel": 16,
    "tc-mirred": 28,
  });
  // rate at offset 8 (after u8 cell_log, u8 linklayer, u16 overhead, s16 cell_align, u16 mpu)
  const r = ratespec(0x01020304, { mpu: 0x0506 });
  assert.deepEqual([...r], [0, 1, 0, 0, 0, 0, 6, 5, 4, 3, 2, 1]);
  // a struct that holds ratespecs: each in place, decoded to its fields
  const htb = structBytes(tc, "tc-htb-opt", { rate: { rate: 7 }, ceil: r, buffer: 9 });
  assert.deepEqual([...htb.subarray(8, 12)], [7, 0, 0, 0]);
  assert.deepEqual([...htb.subarray(12, 24)], [...r]);
  assert.deepEqual([...htb.subarray(24, 28)], [9, 0, 0, 0]);
  const back = decodeStruct(tc, "tc-htb-opt", htb);
  assert.deepEqual(back.ceil, {
    cellLog: 0,
    linklayer: 1,
    overhead: 0,
    cellAlign: 0,
    mpu: 0x0506,
    rate: 0x01020304,
  });
  assert.equal(readRatespec(back.rate)?.rate, 7);
  // mirred's parms: tc_gen, then eaction and ifindex
  assert.deepEqual(
    [...structBytes(tc, "tc-mirred", { eaction: 1, ifindex: 3 }).subarray(20)],
    [1, 0, 0, 0, 3, 0, 0, 0],
  );
  // the numbers of pkt_cls.h and tc_mirred.h, by tc's names
  assert.deepEqual([TC_ACT.continue, TC_ACT.pass, TC_ACT.drop, TC_ACT.stolen, TC_ACT.trap], [
    -1,
    0,
    2,
    4,
    8,
  ]);
  assert.deepEqual([verdictName(-1), verdictName(0), verdictName(2), verdictName(0xffffffff)], [
    "continue",
    "pass",
    "drop",
    "continue",
  ]);
  assert.deepEqual(Object.values(MIRRED_EACTION), [1, 2, 3, 4]);
  assert.equal(TC_U32_TERMINAL, 1);
  // u32: the selector's keys after its 16 bytes, network byte order
  const sel = u32Selector(1, u32Keys({ dst: "10.1.0.0/16", dport: 53 }));
  assert.equal(sel.length, 16 + 2 * 16);
  assert.equal(sel[2], 2); // nkeys
  assert.deepEqual([...sel.subarray(16, 24)], [0xff, 0xff, 0, 0, 10, 1, 0, 0]);
  assert.deepEqual(readU32Selector(sel).keys.map((k) => [k.off, k.val, k.mask]), [
    [16, 0x0a010000, 0xffff0000],
    [20, 53, 0xffff],
  ]);
});
