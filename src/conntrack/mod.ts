/**
 * Connection tracking over ctnetlink: list the table with filters (in the
 * kernel where it can, checked here always), get, create, update, delete by
 * filter, flush, per-CPU and global statistics, and events of new, updated
 * and destroyed entries, on the generated conntrack family (Linux 7.2's
 * spec with the project's supplement).
 *
 * @example
 * ```ts ignore
 * import { Conntrack } from "./mod.ts";
 * await using ct = await Conntrack.open({ netns: "blue" });
 * console.log(await ct.count()); // { entries: 3, maxEntries: 262144 }
 * const signal = AbortSignal.timeout(10_000);
 * for await (const ev of ct.events(["new", "destroy"], { signal })) {
 *   if (ev.kind === "overrun") console.log("lost events: re-dump");
 *   else console.log(ev.kind, ev.entry.orig.src, ev.entry.orig.dport);
 * }
 * ```
 *
 * @module
 */
export {
  Conntrack,
  type ConntrackCount,
  type ConntrackCpuStats,
  type ConntrackCreate,
  type ConntrackDumpOptions,
  type ConntrackUpdate,
  type NatTarget,
} from "./client.ts";
export {
  type ConntrackEntry,
  type Counters,
  statusBits,
  type StatusName,
  statusNames,
  type TcpStateName,
} from "./entry.ts";
export { type ConntrackFilter, filterPlacement } from "./filter.ts";
export type { MappedStream } from "../stream_map.ts";
export { type ConntrackEvent, type ConntrackEventKind, type ConntrackOverrun } from "./events.ts";
export { IP_PROTOCOLS, type ProtocolRef, type Tuple, type TupleInput } from "./tuple.ts";
