/**
 * Conntrack events: entries created, updated and destroyed, from the
 * ctnetlink multicast groups the project's supplement to the conntrack
 * spec names (`conntrack-new`, `conntrack-update`, `conntrack-destroy`).
 *
 * @module
 */
import { Overrun } from "../errors.ts";
import { NETLINK, NLM_F } from "../constants.ts";
import { conntrack, type ConntrackAttrs, type Nfgenmsg } from "../families/conntrack.ts";
import type { Message } from "../message.ts";
import { NetlinkSocket, type OpenOptions } from "../socket.ts";
import { unknownName } from "../suggest.ts";
import { type Decoded, FamilyClient } from "../ynl/family.ts";
import { own } from "../ynl/schema.ts";
import { type ConntrackEntry, toEntry } from "./entry.ts";
import { checkFilter, type ConntrackFilter, matches } from "./filter.ts";

/** What happened to an entry. */
export type ConntrackEventKind = "new" | "update" | "destroy";

/**
 * The item an event stream yields when the kernel dropped events (the
 * socket's queue overflowed): re-dump the table to catch up. The library's
 * one {@linkcode Overrun}, as every stream yields it.
 */
export type ConntrackOverrun = Overrun;

/** One conntrack event, or an overrun. */
export type ConntrackEvent =
  | { kind: ConntrackEventKind; entry: ConntrackEntry }
  | ConntrackOverrun;

const GROUPS: Readonly<Record<ConntrackEventKind, string>> = {
  new: "conntrack-new",
  update: "conntrack-update",
  destroy: "conntrack-destroy",
};

/** The group numbers of `kinds`; an unknown kind is a TypeError naming the valid ones. */
function groupsOf(kinds: readonly ConntrackEventKind[]): number[] {
  if (!Array.isArray(kinds) || kinds.length === 0) {
    throw new TypeError("conntrack events: name at least one kind (new, update, destroy)");
  }
  const out = new Set<number>();
  for (const k of kinds) {
    const g = typeof k === "string" ? own(GROUPS, k) : undefined;
    if (g === undefined) {
      throw new TypeError(
        `conntrack events: ${unknownName("event kind", String(k), Object.keys(GROUPS))}`,
      );
    }
    out.add(conntrack.mcastGroups[g]);
  }
  return [...out];
}

/** The kind of an event message: by its group, else by its type and flags. */
function kindOf(m: Message, group: Readonly<Record<string, number>>): ConntrackEventKind {
  if (m.group === group["conntrack-destroy"]) return "destroy";
  if (m.group === group["conntrack-new"]) return "new";
  if (m.group === group["conntrack-update"]) return "update";
  if (m.type === conntrack.ops["delete"].do!.request!.value) return "destroy";
  return (m.flags & NLM_F.CREATE) !== 0 ? "new" : "update";
}

/**
 * The event stream of one namespace's conntrack table: used by
 * {@linkcode Conntrack.events}.
 *
 * @example
 * ```ts ignore
 * import { conntrackEvents } from "./events.ts";
 * const signal = AbortSignal.timeout(10_000);
 * for await (const ev of conntrackEvents({}, ["new", "destroy"], { signal })) {
 *   if (ev.kind === "overrun") console.log("lost events: re-dump");
 *   else console.log(ev.kind, ev.entry.orig);
 * }
 * ```
 */
export function conntrackEvents(
  open: OpenOptions,
  kinds: readonly ConntrackEventKind[],
  options: { signal?: AbortSignal; filter?: ConntrackFilter; receiveBufferSize?: number } = {},
): AsyncIterableIterator<ConntrackEvent> {
  const groups = groupsOf(kinds);
  const filter = options.filter === undefined ? undefined : checkFilter(options.filter);
  const wanted = new Set<string>(kinds);
  return (async function* (): AsyncGenerator<ConntrackEvent> {
    // opened at the first next(): the generator's body runs then
    const sock = NetlinkSocket.open(NETLINK.NETFILTER, {
      ...open,
      groups,
      receiveBufferSize: options.receiveBufferSize ?? open.receiveBufferSize,
      signal: options.signal,
    });
    const client = FamilyClient.attach(conntrack, sock);
    try {
      for await (const m of sock.events({ signal: options.signal })) {
        if (m instanceof Overrun) {
          yield m;
          continue;
        }
        const kind = kindOf(m, conntrack.mcastGroups);
        if (!wanted.has(kind)) continue;
        const entry = toEntry(client.decode(m) as Decoded<Nfgenmsg, ConntrackAttrs>);
        if (filter && !matches(filter, entry)) continue;
        yield { kind, entry };
      }
    } finally {
      await sock.close();
    }
  })();
}
