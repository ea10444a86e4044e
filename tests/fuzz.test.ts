import assert from "node:assert/strict";
import {
  type AttributeDecoder,
  Message,
  MessageWriter,
  parseAck,
  parseDone,
  ParseError,
} from "../mod.ts";

// Seeded, so a failure reproduces: FUZZ_SEED=<n> deno test tests/fuzz.test.ts
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed);
const CASES = Number(Deno.env.get("FUZZ_CASES") ?? 100_000);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function walk(ad: AttributeDecoder): number {
  let n = 0;
  while (ad.next()) {
    n++;
    // Read every attribute every way: wrong sizes must throw ParseError only.
    const reads: (() => unknown)[] = [
      () => ad.u8(),
      () => ad.u16(),
      () => ad.u32(),
      () => ad.u64(),
      () => ad.s32(),
      () => ad.u32be(),
      () => ad.uint(),
      () => ad.string(),
    ];
    for (const read of reads) {
      try {
        read();
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }
    if (ad.length >= 4) {
      try {
        n += walk(ad.nested());
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }
  }
  return n;
}

function seedMessages(rand: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    const w = new MessageWriter();
    const count = 1 + Math.floor(rand() * 3);
    for (let m = 0; m < count; m++) {
      w.begin(Math.floor(rand() * 40), Math.floor(rand() * 0x1000), m);
      if (rand() < 0.5) w.fixed(Math.floor(rand() * 20));
      const attrs = Math.floor(rand() * 8);
      const open: number[] = [];
      for (let a = 0; a < attrs; a++) {
        const r = rand();
        if (r < 0.2) open.push(w.nestStart(a));
        else if (r < 0.3 && open.length) w.nestEnd(open.pop()!);
        else if (r < 0.5) w.u32(a, Math.floor(rand() * 2 ** 32));
        else if (r < 0.7) w.string(a, "s".repeat(Math.floor(rand() * 12)));
        else w.put(a, new Uint8Array(Math.floor(rand() * 9)));
      }
      while (open.length) w.nestEnd(open.pop()!);
    }
    out.push(w.finish().slice());
  }
  return out;
}

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  let b = src.slice();
  const ops = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < ops; i++) {
    const r = rand();
    if (r < 0.4 && b.length) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    else if (r < 0.55) b = b.slice(0, Math.floor(rand() * (b.length + 1)));
    else if (r < 0.7 && b.length >= 2) {
      // a length field: message header or attribute header
      const at = Math.floor(rand() * (b.length - 1)) & ~3;
      const v =
        [0, 1, 3, 4, 15, 16, 17, 0xffff, Math.floor(rand() * 0x10000)][Math.floor(rand() * 9)];
      b[at] = v & 0xff;
      b[at + 1] = v >> 8;
    } else if (r < 0.85) {
      const extra = new Uint8Array(Math.floor(rand() * 16));
      extra.forEach((_, j) => (extra[j] = Math.floor(rand() * 256)));
      const c = new Uint8Array(b.length + extra.length);
      c.set(b);
      c.set(extra, b.length);
      b = c;
    } else if (b.length >= 8) {
      const at = Math.floor(rand() * (b.length - 4));
      b.copyWithin(at, Math.floor(rand() * (b.length - 4)), b.length);
    }
  }
  return b;
}

Deno.test(`fuzz: ${CASES} random and mutated messages give ParseError or parse, never hang`, () => {
  const rand = mulberry32(SEED);
  const seeds = seedMessages(rand);
  let parsed = 0;
  let rejected = 0;
  let attributes = 0;
  for (let i = 0; i < CASES; i++) {
    let bytes: Uint8Array;
    if (i % 4 === 0) {
      bytes = new Uint8Array(Math.floor(rand() * 96));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    } else {
      bytes = mutate(seeds[Math.floor(rand() * seeds.length)], rand);
    }
    try {
      for (const m of Message.parseAll(bytes)) {
        parsed++;
        if (m.type === 2) parseAck(m);
        if (m.type === 3) parseDone(m);
        attributes += walk(m.attributes(rand() < 0.5 ? 0 : Math.floor(rand() * 8)));
      }
    } catch (e) {
      if (!(e instanceof ParseError)) {
        throw new Error(`case ${i} (seed ${SEED}): ${e}\n${[...bytes].join(",")}`);
      }
      rejected++;
    }
  }
  // Both outcomes must occur, or the generator is not exercising the parser.
  assert.ok(parsed > CASES / 10, `parsed ${parsed}`);
  assert.ok(rejected > CASES / 10, `rejected ${rejected}`);
  assert.ok(attributes > CASES / 10, `attributes ${attributes}`);
});
