/**
 * The tc family's tables as the library uses them: Linux 7.2's generated
 * `tc` table, with the few structs its spec lays out differently from the
 * kernel's UAPI headers put right.
 *
 * Linux 7.2's tc.yaml gives `tc-ratespec` as five u8 and a u32 (9 bytes);
 * `struct tc_ratespec` in linux/pkt_sched.h is 12 (`overhead`, `cell_align`
 * and `mpu` are 16-bit). Members that hold a struct (`rate` of
 * `tc-htb-opt`, say) come out of the generator as binaries of no length;
 * `tc-u32-sel` lacks the byte of padding after `nkeys` and its trailing
 * keys; `act-mirred-attrs.parms` names no struct (the spec has no
 * `tc_mirred`). Those layouts come from the headers here; every other
 * fact stays the generated one. A spec fix upstream makes this file
 * shrink to the generated table.
 *
 * @module
 */
import { tc } from "../families/tc.ts";
import type { AttrSetSpec, FamilySpec, MemberSpec, StructSpec } from "../ynl/schema.ts";

const u = (name: string, kind: string, extra: Partial<MemberSpec> = {}): MemberSpec => ({
  name,
  key: name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
  kind,
  ...extra,
});
const bytes = (name: string, len: number) => u(name, "binary", { len });
const struct = (name: string, size: number, members: MemberSpec[]): StructSpec => {
  const sum = members.reduce((n, m) => n + (m.len ?? SIZES[m.kind]), 0);
  if (sum !== size) throw new Error(`tc table: struct ${name} is ${sum} bytes, not ${size}`);
  return { name, size, members };
};
const SIZES: Record<string, number> = { u8: 1, u16: 2, s16: 2, u32: 4, s32: 4 };

/** `struct tc_ratespec` (linux/pkt_sched.h), 12 bytes. */
const RATESPEC = 12;

const structs: Record<string, StructSpec> = {
  "tc-ratespec": struct("tc-ratespec", RATESPEC, [
    u("cell-log", "u8"),
    u("linklayer", "u8"),
    u("overhead", "u16"),
    u("cell-align", "s16"),
    u("mpu", "u16"),
    u("rate", "u32"),
  ]),
  "tc-htb-opt": struct("tc-htb-opt", 44, [
    bytes("rate", RATESPEC),
    bytes("ceil", RATESPEC),
    u("buffer", "u32"),
    u("cbuffer", "u32"),
    u("quantum", "u32"),
    u("level", "u32"),
    u("prio", "u32"),
  ]),
  "tc-tbf-qopt": struct("tc-tbf-qopt", 36, [
    bytes("rate", RATESPEC),
    bytes("peakrate", RATESPEC),
    u("limit", "u32"),
    u("buffer", "u32"),
    u("mtu", "u32"),
  ]),
  "tc-police": struct("tc-police", 56, [
    u("index", "u32"),
    u("action", "s32"),
    u("limit", "u32"),
    u("burst", "u32"),
    u("mtu", "u32"),
    bytes("rate", RATESPEC),
    bytes("peakrate", RATESPEC),
    u("refcnt", "s32"),
    u("bindcnt", "s32"),
    u("capab", "u32"),
  ]),
  "tc-u32-sel": struct("tc-u32-sel", 16, [
    u("flags", "u8"),
    u("offshift", "u8"),
    u("nkeys", "u8"),
    u("pad", "pad", { len: 1 }),
    u("offmask", "u16", { bigEndian: true }),
    u("off", "u16"),
    u("offoff", "s16"),
    u("hoff", "s16"),
    u("hmask", "u32", { bigEndian: true }),
  ]),
  // struct tc_mirred (linux/tc_act/tc_mirred.h): tc_gen, then eaction and ifindex
  "tc-mirred": struct("tc-mirred", 28, [
    u("index", "u32"),
    u("capab", "u32"),
    u("action", "s32"),
    u("refcnt", "s32"),
    u("bindcnt", "s32"),
    u("eaction", "s32"),
    u("ifindex", "u32"),
  ]),
};

/** A set of the generated table with some attributes' struct replaced (or removed). */
function patch(set: string, structsOf: Record<string, string | undefined>): AttrSetSpec {
  const s = tc.sets[set];
  return {
    ...s,
    attrs: s.attrs.map((a) => {
      if (!Object.hasOwn(structsOf, a.key)) return a;
      const { struct: _, ...rest } = a;
      const name = structsOf[a.key];
      return name ? { ...rest, struct: name } : rest;
    }),
  };
}

/**
 * The tc table the library encodes and decodes with.
 *
 * @example
 * ```ts
 * import { tcTable } from "./table.ts";
 * tcTable.structs["tc-ratespec"].size; // 12
 * ```
 */
export const tcTable: FamilySpec = {
  ...tc,
  structs: { ...tc.structs, ...structs },
  sets: {
    ...tc.sets,
    "act-mirred-attrs": patch("act-mirred-attrs", { parms: "tc-mirred" }),
    // the selector is followed by its keys: read and written in ./u32.ts
    "u32-attrs": patch("u32-attrs", { sel: undefined }),
  },
};
