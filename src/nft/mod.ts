/**
 * nftables: transactions that apply all or nothing, typed rule
 * expressions, the whole ruleset listed as typed objects, and ruleset
 * changes as events. No `nft` command involved.
 *
 * @example
 * ```ts ignore
 * import { NftClient, match } from "jsr:@netlink-ts/netlink/nft";
 * await using nft = await NftClient.open();
 * await nft.batch()
 *   .addTable({ family: "inet", name: "fw" })
 *   .addChain({ family: "inet", table: "fw", name: "in", hook: "input", priority: 0, policy: "drop" })
 *   .addRule({ family: "inet", table: "fw", chain: "in", exprs: [...match.ctState("established", "related"), { type: "verdict", verdict: "accept" }] })
 *   .commit();
 * ```
 *
 * @module
 */
export { type ListOptions, NftClient, type NftOpenOptions } from "./client.ts";
export { type CommitOptions, NftBatch } from "./batch.ts";
export { commitOn, type NftObject } from "./commit.ts";
export { NftBatchError, type NftFailure, NftInputError } from "./errors.ts";
export {
  decodeEvent,
  monitor,
  type MonitorOptions,
  type NftAction,
  type NftEvent,
} from "./monitor.ts";
export type {
  BitwiseExpr,
  CmpExpr,
  CmpOp,
  CounterExpr,
  CtExpr,
  CtKey,
  Expr,
  ImmediateExpr,
  LimitExpr,
  LogExpr,
  LogLevel,
  LookupExpr,
  MasqExpr,
  MetaExpr,
  MetaKey,
  NatExpr,
  NatFlag,
  PayloadBase,
  PayloadExpr,
  RawExpr,
  RedirExpr,
  RejectExpr,
  VerdictExpr,
} from "./expr_types.ts";
export type {
  NftChain,
  NftElement,
  NftFamily,
  NftFlowtable,
  NftHook,
  NftRule,
  NftRuleset,
  NftSet,
  NftTable,
  SetDataType,
  Verdict,
  VerdictName,
} from "./types.ts";
export { SET_TYPES } from "./set_types.ts";
export * as match from "./match.ts";
