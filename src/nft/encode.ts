/**
 * nf_tables messages for each object: a table, chain, rule, set, its
 * elements, a flowtable, and their deletion and flushing. Each function
 * appends one message (`struct nlmsghdr`, `struct nfgenmsg`, attributes)
 * to a writer; src/nft/batch.ts frames them as a transaction.
 *
 * @module
 */
import { NLM_F } from "../constants.ts";
import type { MessageWriter } from "../writer.ts";
import {
  A,
  DATA_TYPES,
  MSG,
  NFPROTO,
  SET_ELEM_FLAGS,
  SET_FLAGS,
  TABLE_FLAGS,
  VERDICT_CODE,
} from "./spec.ts";
import { bits, encodeExpr, show } from "./expr.ts";
import { commentUserdata, encodeVerdict, familyNumber, hookNumber } from "./data.ts";
import { NftInputError } from "./errors.ts";
import type { NftChain, NftElement, NftFlowtable, NftRule, NftSet, NftTable } from "./types.ts";

/** `nft`'s userdata type of a set's comment (`NFTNL_UDATA_SET_COMMENT`); 0 for the rest. */
const SET_UDATA_COMMENT = 7;

/**
 * Starts a message: header and `struct nfgenmsg` (family, version 0, res_id 0).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { header } from "./encode.ts";
 * import { MSG, NFPROTO } from "./spec.ts";
 * const w = new MessageWriter();
 * header(w, MSG.getTable, NFPROTO.inet, 0, 1);
 * ```
 */
export function header(
  w: MessageWriter,
  type: number,
  family: number,
  flags: number,
  seq: number,
  resId = 0,
): void {
  w.begin(type, NLM_F.REQUEST | flags, seq);
  const at = w.fixed(4);
  w.buffer[at] = family;
  w.buffer[at + 1] = 0;
  w.buffer[at + 2] = resId >> 8;
  w.buffer[at + 3] = resId & 0xff;
}

function name(path: string, v: unknown): string {
  if (typeof v !== "string" || v === "" || v.length > 255) {
    throw new NftInputError(path, `must be a name of 1-255 characters, not ${show(v)}`);
  }
  return v;
}

function int(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new NftInputError(path, `must be an integer ${min}-${max}, not ${show(v)}`);
  }
  return v;
}

function handle(path: string, v: unknown): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  if (typeof v === "bigint" && v > 0n && v < 1n << 64n) return v;
  throw new NftInputError(path, `must be a handle (a positive integer), not ${show(v)}`);
}

function object(path: string, v: unknown): void {
  if (v === null || typeof v !== "object") {
    throw new NftInputError(path, `must be an object, not ${show(v)}`);
  }
}

/**
 * NFT_MSG_NEWTABLE. `create` fails when it exists (NLM_F_EXCL).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { newTable } from "./encode.ts";
 * const w = new MessageWriter();
 * newTable(w, { family: "inet", name: "fw" }, 1);
 * ```
 */
export function newTable(w: MessageWriter, t: NftTable, seq: number, create = false): void {
  object("table", t);
  header(
    w,
    MSG.newTable,
    familyNumber("table.family", t.family),
    NLM_F.CREATE | (create ? NLM_F.EXCL : 0),
    seq,
  );
  w.string(A.table.name, name("table.name", t.name));
  const flags = bits("table.flags", TABLE_FLAGS, t.flags);
  w.u32be(A.table.flags, flags);
  if (t.comment !== undefined) w.put(A.table.userdata, commentUserdata("table.comment", t.comment));
}

/**
 * NFT_MSG_DELTABLE (by name, else by handle).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { delTable } from "./encode.ts";
 * delTable(new MessageWriter(), { family: "inet", name: "fw" }, 1);
 * ```
 */
export function delTable(
  w: MessageWriter,
  t: Pick<NftTable, "family" | "name" | "handle">,
  seq: number,
): void {
  object("table", t);
  header(w, MSG.delTable, familyNumber("table.family", t.family), 0, seq);
  if (t.handle !== undefined) w.u64be(A.table.handle, handle("table.handle", t.handle));
  else w.string(A.table.name, name("table.name", t.name));
}

/**
 * NFT_MSG_DELTABLE with no name and no family: every table goes (`nft flush ruleset`).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { flushRuleset } from "./encode.ts";
 * flushRuleset(new MessageWriter(), 1); // every family
 * ```
 */
export function flushRuleset(w: MessageWriter, seq: number, family?: NftTable["family"]): void {
  header(
    w,
    MSG.delTable,
    family === undefined ? NFPROTO.unspec : familyNumber("family", family),
    0,
    seq,
  );
}

/**
 * NFT_MSG_NEWCHAIN: a base chain when `hook` is set.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { newChain } from "./encode.ts";
 * newChain(new MessageWriter(), {
 *   family: "inet", table: "fw", name: "in", hook: "input", priority: 0, policy: "drop",
 * }, 1);
 * ```
 */
export function newChain(w: MessageWriter, c: NftChain, seq: number, create = false): void {
  object("chain", c);
  const fam = familyNumber("chain.family", c.family);
  header(w, MSG.newChain, fam, NLM_F.CREATE | (create ? NLM_F.EXCL : 0), seq);
  w.string(A.chain.table, name("chain.table", c.table));
  w.string(A.chain.name, name("chain.name", c.name));
  if (c.hook !== undefined) {
    const h = w.nestStart(A.chain.hook);
    w.u32be(A.hook.num, hookNumber("chain.hook", c.family, c.hook));
    w.u32be(A.hook.priority, int("chain.priority", c.priority ?? 0, -0x80000000, 0x7fffffff) >>> 0);
    if (c.device !== undefined) w.string(A.hook.dev, name("chain.device", c.device));
    w.nestEnd(h);
    const type = c.type ?? "filter";
    if (type !== "filter" && type !== "nat" && type !== "route") {
      throw new NftInputError(
        "chain.type",
        `must be "filter", "nat" or "route", not ${show(type)}`,
      );
    }
    w.string(A.chain.type, type);
    const policy = c.policy ?? "accept";
    if (policy !== "accept" && policy !== "drop") {
      throw new NftInputError("chain.policy", `must be "accept" or "drop", not ${show(policy)}`);
    }
    w.u32be(A.chain.policy, VERDICT_CODE[policy]);
  } else {
    for (const k of ["priority", "type", "policy", "device"] as const) {
      if (c[k] !== undefined) {
        throw new NftInputError(`chain.${k}`, "only a base chain (with a hook) has one");
      }
    }
  }
  if (c.comment !== undefined) w.put(A.chain.userdata, commentUserdata("chain.comment", c.comment));
}

/**
 * NFT_MSG_DELCHAIN.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { delChain } from "./encode.ts";
 * delChain(new MessageWriter(), { family: "inet", table: "fw", name: "in" }, 1);
 * ```
 */
export function delChain(
  w: MessageWriter,
  c: Pick<NftChain, "family" | "table" | "name" | "handle">,
  seq: number,
): void {
  object("chain", c);
  header(w, MSG.delChain, familyNumber("chain.family", c.family), 0, seq);
  w.string(A.chain.table, name("chain.table", c.table));
  if (c.handle !== undefined) w.u64be(A.chain.handle, handle("chain.handle", c.handle));
  else w.string(A.chain.name, name("chain.name", c.name));
}

/** How a rule is placed: appended (default), inserted first, or replacing `handle`. */
export type RuleMode = "append" | "insert" | "replace";

/**
 * NFT_MSG_NEWRULE. `path` names the rule in errors.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { newRule } from "./encode.ts";
 * newRule(new MessageWriter(), {
 *   family: "inet", table: "fw", chain: "in", exprs: [{ type: "verdict", verdict: "accept" }],
 * }, 1, "append");
 * ```
 */
export function newRule(
  w: MessageWriter,
  r: NftRule,
  seq: number,
  mode: RuleMode,
  path = "rule",
): void {
  object(path, r);
  const flags = mode === "replace"
    ? NLM_F.REPLACE
    : NLM_F.CREATE | (mode === "append" ? NLM_F.APPEND : 0);
  header(w, MSG.newRule, familyNumber(`${path}.family`, r.family), flags, seq);
  w.string(A.rule.table, name(`${path}.table`, r.table));
  w.string(A.rule.chain, name(`${path}.chain`, r.chain));
  if (mode === "replace") w.u64be(A.rule.handle, handle(`${path}.handle`, r.handle));
  if (r.position !== undefined) w.u64be(A.rule.position, handle(`${path}.position`, r.position));
  if (!Array.isArray(r.exprs)) {
    throw new NftInputError(`${path}.exprs`, "must be an array of expressions");
  }
  const list = w.nestStart(A.rule.expressions);
  r.exprs.forEach((e, i) => encodeExpr(w, e, `${path} expr ${i}`));
  w.nestEnd(list);
  if (r.comment !== undefined) {
    w.put(A.rule.userdata, commentUserdata(`${path}.comment`, r.comment));
  }
}

/**
 * NFT_MSG_DELRULE of one rule, by handle.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { delRule } from "./encode.ts";
 * delRule(new MessageWriter(), { family: "inet", table: "fw", chain: "in", handle: 4n }, 1);
 * ```
 */
export function delRule(
  w: MessageWriter,
  r: Pick<NftRule, "family" | "table" | "chain" | "handle">,
  seq: number,
): void {
  object("rule", r);
  header(w, MSG.delRule, familyNumber("rule.family", r.family), 0, seq);
  w.string(A.rule.table, name("rule.table", r.table));
  w.string(A.rule.chain, name("rule.chain", r.chain));
  w.u64be(A.rule.handle, handle("rule.handle", r.handle));
}

/**
 * NFT_MSG_DELRULE without a handle: every rule of a chain, or of a whole table.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { flushRules } from "./encode.ts";
 * flushRules(new MessageWriter(), "inet", "fw", "in", 1); // nft flush chain inet fw in
 * ```
 */
export function flushRules(
  w: MessageWriter,
  family: NftTable["family"],
  table: string,
  chain: string | undefined,
  seq: number,
): void {
  header(w, MSG.delRule, familyNumber("family", family), 0, seq);
  w.string(A.rule.table, name("table", table));
  if (chain !== undefined) w.string(A.rule.chain, name("chain", chain));
}

/**
 * NFT_MSG_NEWSET; `id` is its transaction id (the kernel asks for one).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { newSet } from "./encode.ts";
 * newSet(new MessageWriter(), { family: "inet", table: "fw", name: "s", keyType: 7, keyLen: 4 }, 1, 1);
 * ```
 */
export function newSet(w: MessageWriter, s: NftSet, seq: number, id: number, create = false): void {
  object("set", s);
  header(
    w,
    MSG.newSet,
    familyNumber("set.family", s.family),
    NLM_F.CREATE | (create ? NLM_F.EXCL : 0),
    seq,
  );
  w.string(A.set.table, name("set.table", s.table));
  w.string(A.set.name, name("set.name", s.name));
  let flags = bits("set.flags", SET_FLAGS, s.flags);
  if (s.dataType !== undefined) flags |= SET_FLAGS.map;
  if (s.timeout !== undefined) flags |= SET_FLAGS.timeout;
  w.u32be(A.set.flags, flags >>> 0);
  w.u32be(A.set["key-type"], int("set.keyType", s.keyType, 0, 0xffffffff));
  w.u32be(A.set["key-len"], int("set.keyLen", s.keyLen, 1, 64));
  if (s.dataType !== undefined) {
    w.u32be(A.set["data-type"], int("set.dataType", s.dataType, 0, 0xffffffff));
    const verdict = s.dataType === DATA_TYPES.verdict;
    if (!verdict || s.dataLen !== undefined) {
      w.u32be(A.set["data-len"], int("set.dataLen", s.dataLen, 1, 64));
    }
  } else if (s.dataLen !== undefined) {
    throw new NftInputError("set.dataLen", "only a map (with dataType) has one");
  }
  if (s.size !== undefined) {
    const d = w.nestStart(A.set.desc);
    w.u32be(A.setDesc.size, int("set.size", s.size, 1, 0xffffffff));
    w.nestEnd(d);
  }
  w.u32be(A.set.id, id);
  if (s.timeout !== undefined) {
    w.u64be(A.set.timeout, BigInt(int("set.timeout", s.timeout, 1, Number.MAX_SAFE_INTEGER)));
  }
  if (s.gcInterval !== undefined) {
    w.u32be(A.set["gc-interval"], int("set.gcInterval", s.gcInterval, 1, 0xffffffff));
  }
  if (s.comment !== undefined) {
    const u = commentUserdata("set.comment", s.comment);
    u[0] = SET_UDATA_COMMENT;
    w.put(A.set.userdata, u);
  }
}

/**
 * NFT_MSG_DELSET.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { delSet } from "./encode.ts";
 * delSet(new MessageWriter(), { family: "inet", table: "fw", name: "s" }, 1);
 * ```
 */
export function delSet(
  w: MessageWriter,
  s: Pick<NftSet, "family" | "table" | "name" | "handle">,
  seq: number,
): void {
  object("set", s);
  header(w, MSG.delSet, familyNumber("set.family", s.family), 0, seq);
  w.string(A.set.table, name("set.table", s.table));
  if (s.handle !== undefined) w.u64be(A.set.handle, handle("set.handle", s.handle));
  else w.string(A.set.name, name("set.name", s.name));
}

function keyBytes(path: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length === 0 || v.length > 64) {
    throw new NftInputError(path, `must be a Uint8Array of 1-64 bytes, not ${show(v)}`);
  }
  return v;
}

function data(w: MessageWriter, type: number, value: Uint8Array): void {
  const n = w.nestStart(type);
  w.put(A.data.value, value);
  w.nestEnd(n);
}

/**
 * NFT_MSG_NEWSETELEM (or, with `del`, NFT_MSG_DELSETELEM) of `elements`
 * of one set; with no elements and `del`, the set is flushed.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { setElements } from "./encode.ts";
 * const set = { family: "inet", table: "fw", name: "s" } as const;
 * setElements(new MessageWriter(), set, [{ key: new Uint8Array([10, 0, 0, 1]) }], 1);
 * ```
 */
export function setElements(
  w: MessageWriter,
  set: Pick<NftSet, "family" | "table" | "name">,
  elements: readonly NftElement[],
  seq: number,
  del = false,
  path = "elements",
): void {
  object("set", set);
  header(
    w,
    del ? MSG.delSetElem : MSG.newSetElem,
    familyNumber("set.family", set.family),
    del ? 0 : NLM_F.CREATE,
    seq,
  );
  w.string(A.elemList.table, name("set.table", set.table));
  w.string(A.elemList.set, name("set.name", set.name));
  if (!Array.isArray(elements)) throw new NftInputError(path, "must be an array of elements");
  if (elements.length === 0) return;
  const list = w.nestStart(A.elemList.elements);
  elements.forEach((e, i) => {
    const p = `${path}[${i}]`;
    object(p, e);
    const n = w.nestStart(A.elemListElem.elem);
    data(w, A.elem.key, keyBytes(`${p}.key`, e.key));
    if (e.keyEnd !== undefined) data(w, A.elem["key-end"], keyBytes(`${p}.keyEnd`, e.keyEnd));
    if (!del && e.data !== undefined) {
      if (e.data instanceof Uint8Array) data(w, A.elem.data, keyBytes(`${p}.data`, e.data));
      else {
        object(`${p}.data`, e.data);
        const d = w.nestStart(A.elem.data);
        encodeVerdict(w, e.data, `${p}.data`);
        w.nestEnd(d);
      }
    }
    const flags = bits(`${p}.flags`, SET_ELEM_FLAGS, e.flags);
    if (flags) w.u32be(A.elem.flags, flags);
    if (!del && e.timeout !== undefined) {
      w.u64be(A.elem.timeout, BigInt(int(`${p}.timeout`, e.timeout, 1, Number.MAX_SAFE_INTEGER)));
    }
    if (!del && e.comment !== undefined) {
      w.put(A.elem.userdata, commentUserdata(`${p}.comment`, e.comment));
    }
    w.nestEnd(n);
  });
  w.nestEnd(list);
}

/**
 * NFT_MSG_NEWFLOWTABLE.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { newFlowtable } from "./encode.ts";
 * newFlowtable(new MessageWriter(), {
 *   family: "inet", table: "fw", name: "ft", hook: "ingress", devices: ["eth0"],
 * }, 1);
 * ```
 */
export function newFlowtable(w: MessageWriter, f: NftFlowtable, seq: number, create = false): void {
  object("flowtable", f);
  const fam = familyNumber("flowtable.family", f.family);
  header(w, MSG.newFlowtable, fam, NLM_F.CREATE | (create ? NLM_F.EXCL : 0), seq);
  w.string(A.flowtable.table, name("flowtable.table", f.table));
  w.string(A.flowtable.name, name("flowtable.name", f.name));
  const h = w.nestStart(A.flowtable.hook);
  w.u32be(A.flowtableHook.num, hookNumber("flowtable.hook", "netdev", f.hook ?? "ingress"));
  w.u32be(
    A.flowtableHook.priority,
    int("flowtable.priority", f.priority ?? 0, -0x80000000, 0x7fffffff) >>> 0,
  );
  if (f.devices !== undefined) {
    if (!Array.isArray(f.devices)) {
      throw new NftInputError("flowtable.devices", "must be an array of names");
    }
    const d = w.nestStart(A.flowtableHook.devs);
    f.devices.forEach((dev, i) => w.string(A.hookDevs.name, name(`flowtable.devices[${i}]`, dev)));
    w.nestEnd(d);
  }
  w.nestEnd(h);
  if (f.flags !== undefined) {
    w.u32be(A.flowtable.flags, int("flowtable.flags", f.flags, 0, 0xffffffff));
  }
}

/**
 * NFT_MSG_DELFLOWTABLE.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { delFlowtable } from "./encode.ts";
 * delFlowtable(new MessageWriter(), { family: "inet", table: "fw", name: "ft" }, 1);
 * ```
 */
export function delFlowtable(
  w: MessageWriter,
  f: Pick<NftFlowtable, "family" | "table" | "name" | "handle">,
  seq: number,
): void {
  object("flowtable", f);
  header(w, MSG.delFlowtable, familyNumber("flowtable.family", f.family), 0, seq);
  w.string(A.flowtable.table, name("flowtable.table", f.table));
  if (f.handle !== undefined) w.u64be(A.flowtable.handle, handle("flowtable.handle", f.handle));
  else w.string(A.flowtable.name, name("flowtable.name", f.name));
}
