/**
 * The numbers src/nft/ speaks, read by the spec's names from the generated
 * nftables family (src/families/nftables.ts): Linux 7.2's nftables.yaml
 * with the project's tools/specs/nftables.supplement.yaml merged in, which
 * corrects its numbering (the PADs it leaves out, lookup's order) and adds
 * what it lacks (limit, redir, hooks, families, ct state bits, the group).
 * Nothing here is typed by hand.
 *
 * @module
 */
import { NFNL_SUBSYS, nftables } from "../families/nftables.ts";
import type { FamilySpec } from "../ynl/schema.ts";

/** Attribute types of one set, by the spec's attribute names. */
export type AttrNumbers = Readonly<Record<string, number>>;

function numbers(f: FamilySpec, set: string): AttrNumbers {
  const s = f.sets[set];
  if (!s) throw new Error(`${f.name} has no attribute set ${set}`);
  return Object.fromEntries(s.attrs.map((a) => [a.name, a.type]));
}

/** The request type of an operation: `(NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_*`. */
function msg(op: string): number {
  const v = nftables.ops[op]?.do?.request?.value;
  if (v === undefined) throw new Error(`nftables has no operation ${op}`);
  return v;
}

/**
 * Attribute numbers of each nf_tables set, by the spec's names.
 *
 * @example
 * ```ts
 * import { A } from "./spec.ts";
 * A.rule.expressions; // NFTA_RULE_EXPRESSIONS, 4
 * ```
 */
export const A = {
  table: numbers(nftables, "table-attrs"),
  chain: numbers(nftables, "chain-attrs"),
  hook: numbers(nftables, "nft-hook-attrs"),
  hookDevs: numbers(nftables, "hook-dev-attrs"),
  counters: numbers(nftables, "nft-counter-attrs"),
  rule: numbers(nftables, "rule-attrs"),
  exprList: numbers(nftables, "expr-list-attrs"),
  expr: numbers(nftables, "expr-attrs"),
  set: numbers(nftables, "set-attrs"),
  setDesc: numbers(nftables, "set-desc-attrs"),
  elemList: numbers(nftables, "setelem-list-attrs"),
  elemListElem: numbers(nftables, "setelem-list-elem-attrs"),
  elem: numbers(nftables, "setelem-attrs"),
  data: numbers(nftables, "data-attrs"),
  verdict: numbers(nftables, "verdict-attrs"),
  gen: numbers(nftables, "gen-attrs"),
  flowtable: numbers(nftables, "flowtable-attrs"),
  flowtableHook: numbers(nftables, "flowtable-hook-attrs"),
  batch: numbers(nftables, "batch-attrs"),
  payload: numbers(nftables, "expr-payload-attrs"),
  meta: numbers(nftables, "expr-meta-attrs"),
  cmp: numbers(nftables, "expr-cmp-attrs"),
  bitwise: numbers(nftables, "expr-bitwise-attrs"),
  counter: numbers(nftables, "expr-counter-attrs"),
  immediate: numbers(nftables, "expr-immediate-attrs"),
  lookup: numbers(nftables, "expr-lookup-attrs"),
  ct: numbers(nftables, "expr-ct-attrs"),
  nat: numbers(nftables, "expr-nat-attrs"),
  masq: numbers(nftables, "expr-masq-attrs"),
  reject: numbers(nftables, "expr-reject-attrs"),
  log: numbers(nftables, "log-attrs"),
  limit: numbers(nftables, "expr-limit-attrs"),
  redir: numbers(nftables, "expr-redir-attrs"),
} as const;

/**
 * Message types (nfnetlink: the subsystem in the high byte).
 *
 * @example
 * ```ts
 * import { MSG } from "./spec.ts";
 * MSG.newRule; // (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE = 0xa06
 * ```
 */
export const MSG = {
  batchBegin: msg("batch-begin"),
  batchEnd: msg("batch-end"),
  newTable: msg("newtable"),
  getTable: msg("gettable"),
  delTable: msg("deltable"),
  newChain: msg("newchain"),
  getChain: msg("getchain"),
  delChain: msg("delchain"),
  newRule: msg("newrule"),
  getRule: msg("getrule"),
  delRule: msg("delrule"),
  newSet: msg("newset"),
  getSet: msg("getset"),
  delSet: msg("delset"),
  newSetElem: msg("newsetelem"),
  getSetElem: msg("getsetelem"),
  delSetElem: msg("delsetelem"),
  newGen: nftables.ops.getgen.do!.reply!.value,
  getGen: msg("getgen"),
  newObj: msg("newobj"),
  delObj: msg("delobj"),
  newFlowtable: msg("newflowtable"),
  getFlowtable: msg("getflowtable"),
  delFlowtable: msg("delflowtable"),
} as const;

/**
 * `NFNL_SUBSYS_NFTABLES`.
 *
 * @example
 * ```ts
 * import { SUBSYS_NFTABLES } from "./spec.ts";
 * SUBSYS_NFTABLES; // 10
 * ```
 */
export const SUBSYS_NFTABLES: number = NFNL_SUBSYS.nftables;
/**
 * `NFNLGRP_NFTABLES`: the group ruleset changes are announced on.
 *
 * @example
 * ```ts
 * import { GROUP_NFTABLES } from "./spec.ts";
 * GROUP_NFTABLES; // 7
 * ```
 */
export const GROUP_NFTABLES: number = nftables.mcastGroups.mgmt;
export {
  BITWISE_OPS,
  CHAIN_FLAGS,
  CMP_OPS,
  CT_DIRECTION,
  CT_KEYS,
  CT_STATE,
  DATA_TYPES,
  LIMIT_FLAGS,
  LIMIT_TYPES,
  LOG_FLAGS,
  LOG_LEVEL,
  LOOKUP_FLAGS,
  META_KEYS,
  NAT_RANGE_FLAGS,
  NAT_TYPES,
  NF_INET_HOOKS as INET_HOOKS,
  NF_NETDEV_HOOKS as NETDEV_HOOKS,
  NFPROTO,
  PAYLOAD_BASE,
  REJECT_INET_CODE,
  REJECT_TYPES,
  SET_ELEM_FLAGS,
  SET_FLAGS,
  SET_POLICIES,
  TABLE_FLAGS,
  VERDICT_CODE,
} from "../families/nftables.ts";

// The lookups of names by number every decoder shares.
export { flagNames, nameOf } from "../tables.ts";
