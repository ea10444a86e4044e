/**
 * The client of the nlrtable kernel module (`kmod/`): {@linkcode NlrTable}
 * adds, deletes, gets and lists entries, watches one until it goes and
 * follows the change group. The protocol's numbers are here too, under
 * their UAPI names, and its generated tables (`nlrtable`, from the spec
 * kmod/nlrtable.yaml), for callers who build messages themselves. Names that would read like
 * rtnetlink's (`./rtnl`) carry the module's prefix: `NlrEntry`,
 * `NlrRouteSpec`, `NlrEvent`, `NlrChange`.
 *
 * @example
 * ```ts ignore
 * import { NlrTable } from "jsr:@netlink-ts/netlink/nlrtable";
 * await using table = NlrTable.open(); // protocol 31
 * await table.add({ dst: "10.0.3.0/24", gateway: "192.0.2.3", lifetimeMs: 10_000 });
 * await using watch = await table.watch("10.0.3.0/24");
 * for await (const ev of watch) console.log(ev.reason); // "expired"
 * ```
 *
 * @module
 */
export * from "./protocol.ts";
export { type NlrDeleteReason, type NlrEntry, type NlrEvent, type NlrRouteSpec } from "./entry.ts";
export {
  type AddOptions,
  type Greeting,
  type ListOptions,
  type NlrChange,
  NlrTable,
  type NlrTableOptions,
  Watch,
} from "./client.ts";
/** The overrun item of every event stream (the root exports it too). */
export { isOverrun, Overrun } from "../errors.ts";
