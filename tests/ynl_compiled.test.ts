// The compiled decoders of every generated family (tools/decoders.ts, in
// src/families/*.ts) decode exactly as the interpreter (src/ynl/codec.ts):
// the same values, keys in the same order, the same errors. Held to it on
// random attribute streams for every set and struct, and on a real link
// dump.
import assert from "node:assert/strict";
import { AttributeDecoder } from "../mod.ts";
import { familyTables } from "../src/families/mod.ts";
import { rtLink } from "../src/families/rt_link.ts";
import { decodeAttrs, decodeStruct, interpretAttrs } from "../src/ynl/codec.ts";
import { decodersOf } from "../src/ynl/compiled.ts";
import { interpretStruct } from "../src/ynl/struct.ts";
import { SCALAR_SIZES } from "../src/ynl/schema.ts";
import type { AttrSpec, FamilySpec } from "../src/ynl/schema.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

/** A value and the key order of every object in it, or the error it threw. */
function outcome(run: () => unknown): unknown {
  try {
    const v = run();
    return { value: v, keys: keysOf(v) };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

function keysOf(v: unknown): unknown {
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return null;
  if (Array.isArray(v)) return v.map(keysOf);
  return Object.entries(v).map(([k, x]) => [k, keysOf(x)]);
}

/** A deterministic PRNG (xorshift32). */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

const SIZE: Record<string, number> = { ...SCALAR_SIZES, uint: 8, sint: 4, flag: 0, bitfield32: 8 };

/** Random attributes of `set`: mostly of the set's types and natural sizes, some not. */
function stream(f: FamilySpec, set: string, r: (n: number) => number, depth = 0): Uint8Array {
  const attrs = f.sets[set].attrs;
  const parts: Uint8Array[] = [];
  const n = r(6) + 1;
  for (let i = 0; i < n; i++) {
    const a: AttrSpec | undefined = attrs.length && r(8) ? attrs[r(attrs.length)] : undefined;
    const type = a ? a.type : 200 + r(50);
    let value: Uint8Array;
    if (a && (a.kind === "nest" || a.kind === "indexed-array") && a.set && depth < 3 && r(4)) {
      value = stream(f, a.set, r, depth + 1);
    } else if (a && a.kind === "binary" && a.struct && r(4)) {
      value = new Uint8Array(f.structs[a.struct]?.size ?? 4).map(() => r(256));
    } else {
      const size = a && a.kind in SIZE && r(5) ? SIZE[a.kind] : r(12);
      value = new Uint8Array(size).map(() => (a?.kind === "string" && r(3) ? 97 + r(26) : r(256)));
    }
    const b = new Uint8Array(4 + ((value.length + 3) & ~3));
    new DataView(b.buffer).setUint16(0, 4 + value.length, true);
    new DataView(b.buffer).setUint16(2, type, true);
    b.set(value, 4);
    parts.push(b);
  }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("compiled decoders: every set of every family decodes as the interpreter does", () => {
  let sets = 0;
  for (const f of Object.values(familyTables)) {
    assert.ok(decodersOf(f), `${f.name} has compiled decoders`);
    for (const set of Object.keys(f.sets)) {
      sets++;
      const r = rng(sets * 7919);
      for (let i = 0; i < 40; i++) {
        const bytes = stream(f, set, r);
        const compiled = outcome(() => decodeAttrs(f, set, new AttributeDecoder(bytes)));
        const interpreted = outcome(() => interpretAttrs(f, set, new AttributeDecoder(bytes)));
        assert.deepStrictEqual(compiled, interpreted, `${f.name} ${set} on ${bytes}`);
      }
    }
  }
  assert.ok(sets > 400, `${sets} sets`);
});

Deno.test("compiled decoders: structs, whole, cut short and at an offset", () => {
  for (const f of Object.values(familyTables)) {
    for (const [name, s] of Object.entries(f.structs)) {
      const r = rng(s.size + name.length);
      const bytes = new Uint8Array(s.size + 8).map(() => r(256));
      for (
        const [at, len] of [[0, s.size], [3, s.size], [0, s.size + 5], [1, s.size - 1], [0, 0]]
      ) {
        const compiled = outcome(() => decodeStruct(f, name, bytes, at, len));
        const interpreted = outcome(() => interpretStruct(f, name, bytes, at, len));
        assert.deepStrictEqual(compiled, interpreted, `${f.name} ${name} [${at}, +${len})`);
      }
    }
  }
});

Deno.test({
  name: "compiled decoders: a real link dump decodes as the interpreter does",
  ignore: ignoreUnlessRoot,
  fn: async () => {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "c0", "type", "veth", "peer", "name", "c1");
    await ns.ip("link", "add", "br0", "type", "bridge");
    await using rtnl = Rtnl.open({ netns: ns.name });
    let n = 0;
    for await (const m of rtnl.link.dumpMessages("getlink")) {
      const at = 16; // after struct ifinfomsg
      const compiled = outcome(() => decodeAttrs(rtLink, "link-attrs", m.attributes(at)));
      const interpreted = outcome(() => interpretAttrs(rtLink, "link-attrs", m.attributes(at)));
      assert.deepStrictEqual(compiled, interpreted);
      n++;
    }
    assert.equal(n, 4);
  },
});
