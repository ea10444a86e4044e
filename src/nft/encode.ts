/**
 * nf_tables messages for tables, chains and rules, and their deletion
 * and flushing (sets, elements and flowtables: src/nft/encode_sets.ts). Each function
 * appends one message (`struct nlmsghdr`, `struct nfgenmsg`, attributes)
 * to a writer; src/nft/batch.ts frames them as a transaction.
 *
 * @module
 */
import { NLM_F } from "../constants.ts";
import type { MessageWriter } from "../writer.ts";
import { A, MSG, NFPROTO, TABLE_FLAGS, VERDICT_CODE } from "./spec.ts";
import { encodeExpr } from "./expr.ts";
import { bits, handle, int, name, object, show } from "./check.ts";
import { commentUserdata, familyNumber, hookNumber } from "./data.ts";
import { NftInputError } from "./errors.ts";
import type { NftChain, NftRule, NftTable } from "./types.ts";

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
