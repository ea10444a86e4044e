/**
 * Traffic control: {@linkcode Tc} adds, replaces, changes, deletes and
 * lists qdiscs (htb, tbf, netem, fq_codel, prio, ingress, clsact), htb
 * classes and filters (u32, flower, matchall, bpf) with actions (gact,
 * mirred, police), with their statistics as `tc -s` shows them, and
 * follows the tc multicast group's events. The options of each kind are
 * typed; the tables behind them are `./families/tc` (Linux 7.2's spec).
 *
 * @example
 * ```ts ignore
 * import { Tc } from "jsr:@netlink-ts/netlink/tc";
 * await using tc = Tc.open();
 * await tc.replaceQdisc("eth0", { kind: "tbf", rate: "10mbit", burst: "32k", latency: "50ms" });
 * await tc.addQdisc("eth0", { kind: "clsact" });
 * await tc.addFilter("eth0", {
 *   parent: "ingress",
 *   kind: "u32",
 *   match: { dport: 22, ipProto: "tcp" },
 *   actions: [{ kind: "gact", verdict: "drop" }],
 * });
 * ```
 *
 * @module
 */
export {
  ETH_P,
  type Filter,
  filterHandleText,
  type FilterRef,
  type FilterSpec,
  type Qdisc,
  type QdiscPlace,
  RTNLGRP_TC,
  Tc,
  type TcClass,
  type TcEvent,
  type TcObject,
} from "./client.ts";
export {
  type Action,
  type ActionSpec,
  type GactAction,
  MIRRED_EACTION,
  type MirredAction,
  type PoliceAction,
} from "./actions.ts";
export { closeFd, openPinned } from "./bpf.ts";
export { type ClassSpec, type HtbClass, type HtbClassOptions } from "./classes.ts";
export {
  type BpfFilter,
  type BpfInsn,
  FILTER_KINDS,
  type FilterBase,
  type FilterOptions,
  type FilterOptionsSpec,
  type FlowerFilter,
  type MatchallFilter,
  type U32Filter,
} from "./filters.ts";
export { formatHandle, type Handle, parseHandle, TC_ACT, TC_H, type Verdict } from "./handles.ts";
export {
  type FqCodelQdisc,
  type HookQdisc,
  type HtbQdisc,
  type NetemQdisc,
  type PrioQdisc,
  QDISC_KINDS,
  type QdiscSpec,
  type TbfQdisc,
} from "./qdiscs.ts";
export { type QdiscOptions } from "./qdisc_view.ts";
export { type TcStatistics } from "./stats.ts";
export { type U32Key, type U32Match } from "./u32.ts";
export { parseRate, parseSize, parseTime, type Rate, type Size, type Time } from "./units.ts";
