/**
 * {@linkcode Conntrack}: the connection tracking table over ctnetlink
 * (NETLINK_NETFILTER), on the generated conntrack family: dump with
 * filters, get, create, update, delete by filter, flush, statistics and
 * events.
 *
 * @module
 */
import { NLM_F } from "../constants.ts";
import { NetlinkError } from "../errors.ts";
import {
  conntrack,
  type ConntrackAttrs,
  type ConntrackOps,
  type ConntrackStatsAttrs,
  type Nfgenmsg,
} from "../families/conntrack.ts";
import type { DumpOptions, OpenOptions, WaitOptions } from "../socket.ts";
import { type Decoded, FamilyClient } from "../ynl/family.ts";
import { integer } from "../rtnl/check.ts";
import { type MappedStream, mapStream, SKIP } from "../stream_map.ts";
import { isRecord } from "../ynl/values.ts";
import { type ConntrackEntry, toEntry } from "./entry.ts";
import { checkFilter, type ConntrackFilter, familyOf, kernelFilter, matches } from "./filter.ts";
import { encodeFullTuple, inverse, ipVersion, type TupleInput } from "./tuple.ts";
import {
  changes,
  type ConntrackCreate,
  type ConntrackUpdate,
  CREATE_KEYS,
  keys,
  natAttrs,
  UPDATE_KEYS,
} from "./change.ts";

export type { ConntrackCreate, ConntrackUpdate, NatTarget } from "./change.ts";
import { type ConntrackEvent, type ConntrackEventKind, conntrackEvents } from "./events.ts";

/** A plain object (no narrowing: the caller keeps its type). */
const plain = (x: unknown): boolean => isRecord(x);

/** One CPU's conntrack counters (`conntrack -S`). */
export interface ConntrackCpuStats extends Omit<ConntrackStatsAttrs, "unknown"> {
  /** The CPU. */
  cpu: number;
}

/** The table's size (`conntrack -C`) and its limit (`nf_conntrack_max`). */
export interface ConntrackCount {
  /** Entries now. */
  entries: number;
  /** The limit. */
  maxEntries: number;
}

/** Options of {@linkcode Conntrack.dump}. */
export interface ConntrackDumpOptions extends DumpOptions {
  /** Zero the counters of each entry dumped (`conntrack -L -z`). */
  zeroCounters?: boolean;
}

type Client = FamilyClient<ConntrackOps>;

/**
 * The conntrack table of one network namespace.
 *
 * @example
 * ```ts ignore
 * import { Conntrack } from "./mod.ts";
 * await using ct = await Conntrack.open();
 * for await (const e of ct.dump({ orig: { protocol: "udp", dport: 53 } })) {
 *   console.log(e.orig.src, "->", e.orig.dst, e.statusNames);
 * }
 * console.log(await ct.delete({ mark: 42 }), "entries deleted");
 * ```
 */
export class Conntrack implements AsyncDisposable {
  readonly #client: Client;
  readonly #options: OpenOptions;

  private constructor(client: Client, options: OpenOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** Opens a ctnetlink socket (in `options.netns`, if given). */
  static async open(options: OpenOptions = {}): Promise<Conntrack> {
    return new Conntrack(await FamilyClient.open<ConntrackOps>(conntrack, options), options);
  }

  /** The generated family's client underneath, for what this class does not cover. */
  get family(): FamilyClient<ConntrackOps> {
    return this.#client;
  }

  /**
   * The entries that pass `filter`, as they come. What the kernel filters
   * and what is checked here: see {@linkcode ConntrackFilter}'s module.
   */
  dump(
    filter: ConntrackFilter = {},
    options: ConntrackDumpOptions = {},
  ): MappedStream<ConntrackEntry> {
    let f: ReturnType<typeof checkFilter>;
    return mapStream(() => {
      f = checkFilter(filter);
      const k = kernelFilter(f);
      const { zeroCounters, ...dump } = options;
      const op = zeroCounters ? "get-ctrzero" : "get";
      return this.#client.dump(op, { header: { nfgenFamily: k.family }, attrs: k.attrs }, dump);
    }, (d) => {
      const e = toEntry(d as Decoded<Nfgenmsg, ConntrackAttrs>);
      return matches(f, e) ? e : SKIP;
    });
  }

  /** The entries that pass `filter`, as an array. */
  async list(
    filter: ConntrackFilter = {},
    options: ConntrackDumpOptions = {},
  ): Promise<ConntrackEntry[]> {
    const out: ConntrackEntry[] = [];
    for await (const e of this.dump(filter, options)) out.push(e);
    return out;
  }

  /** The entry of an original tuple (in `zone`), or undefined when there is none. */
  async get(
    orig: TupleInput,
    options: WaitOptions & { zone?: number } = {},
  ): Promise<ConntrackEntry | undefined> {
    const { zone, ...wait } = options;
    const attrs: ConntrackAttrs = { tupleOrig: encodeFullTuple("conntrack get", orig) };
    if (zone !== undefined) attrs.zone = integer("conntrack get zone", zone, 0, 0xffff);
    const header = { nfgenFamily: familyOf(ipVersion("conntrack get src", orig.src)) };
    try {
      const [r] = await this.#client.do("get", { header, attrs }, wait);
      return r ? toEntry(r) : undefined;
    } catch (e) {
      if (e instanceof NetlinkError && e.code === "ENOENT") return undefined;
      throw e;
    }
  }

  /** Creates an entry; an existing one of the same tuple is an `EEXIST` NetlinkError. */
  async create(c: ConntrackCreate, options: WaitOptions = {}): Promise<void> {
    keys("conntrack create", c, CREATE_KEYS);
    if (c.timeout === undefined) throw new TypeError("conntrack create: timeout is missing");
    const attrs: ConntrackAttrs = {
      tupleOrig: encodeFullTuple("conntrack create orig", c.orig),
      tupleReply: encodeFullTuple("conntrack create reply", c.reply ?? inverse(c.orig)),
      ...changes("conntrack create", c),
    };
    const v = ipVersion("conntrack create orig.src", c.orig.src);
    if (c.snat !== undefined) attrs.natSrc = natAttrs("conntrack create snat", c.snat, v);
    if (c.dnat !== undefined) attrs.natDst = natAttrs("conntrack create dnat", c.dnat, v);
    const header = { nfgenFamily: familyOf(v) };
    await this.#client.do("new", { header, attrs }, {
      ...options,
      flags: NLM_F.CREATE | NLM_F.EXCL,
    });
  }

  /** Changes an existing entry; a missing one is an `ENOENT` NetlinkError. */
  async update(u: ConntrackUpdate, options: WaitOptions = {}): Promise<void> {
    keys("conntrack update", u, UPDATE_KEYS);
    const attrs: ConntrackAttrs = {
      tupleOrig: encodeFullTuple("conntrack update orig", u.orig),
      ...changes("conntrack update", u),
    };
    const header = { nfgenFamily: familyOf(ipVersion("conntrack update orig.src", u.orig.src)) };
    await this.#client.do("new", { header, attrs }, options);
  }

  /**
   * Deletes one entry by its original tuple and zone (and id, when given
   * an entry: a newer entry of the same tuple stays). False when it was
   * already gone.
   */
  async deleteEntry(
    entry: Pick<ConntrackEntry, "orig"> & { zone?: number; id?: number },
    options: WaitOptions = {},
  ): Promise<boolean> {
    const attrs: ConntrackAttrs = { tupleOrig: encodeFullTuple("conntrack delete", entry.orig) };
    if (entry.zone !== undefined) {
      attrs.zone = integer("conntrack delete zone", entry.zone, 0, 0xffff);
    }
    if (entry.id !== undefined) attrs.id = integer("conntrack delete id", entry.id, 0, 0xffffffff);
    const header = { nfgenFamily: familyOf(ipVersion("conntrack delete src", entry.orig.src)) };
    try {
      await this.#client.do("delete", { header, attrs }, options);
      return true;
    } catch (e) {
      if (e instanceof NetlinkError && e.code === "ENOENT") return false;
      throw e;
    }
  }

  /**
   * Deletes every entry that passes `filter` (as `conntrack -D` does: the
   * matching entries are dumped, then each is deleted by tuple, zone and
   * id), and resolves with how many were deleted. An empty filter is
   * refused: {@linkcode Conntrack.flush} empties the table.
   */
  async delete(filter: ConntrackFilter, options: WaitOptions = {}): Promise<number> {
    if (!plain(filter) || Object.keys(filter).length === 0) {
      throw new TypeError(
        "conntrack delete: takes a filter with at least one field (flush() empties the table)",
      );
    }
    const doomed = await this.list(filter, options);
    let n = 0;
    for (const e of doomed) if (await this.deleteEntry(e, options)) n++;
    return n;
  }

  /**
   * Empties the table, or deletes the entries of a family, a mark (under
   * `markMask`) or status bits, in the kernel, in one request (the kernel
   * filters a flush by nothing else: use {@linkcode Conntrack.delete}).
   */
  async flush(
    filter: Pick<ConntrackFilter, "family" | "mark" | "markMask" | "status" | "statusMask"> = {},
    options: WaitOptions = {},
  ): Promise<void> {
    keys("conntrack flush", filter, ["family", "mark", "markMask", "status", "statusMask"]);
    const f = checkFilter(filter);
    const k = kernelFilter(f);
    // version 1: the kernel takes the family as a filter only then (ctnetlink_del_conntrack)
    await this.#client.do("delete", {
      header: { nfgenFamily: k.family, version: 1 },
      attrs: k.attrs,
    }, options);
  }

  /** Each CPU's counters, as `conntrack -S` shows them. */
  async stats(options: DumpOptions = {}): Promise<ConntrackCpuStats[]> {
    const out: ConntrackCpuStats[] = [];
    for await (const d of this.#client.dump("get-stats", { header: {} }, options)) {
      const { unknown: _, ...counts } = d.attrs;
      out.push({ cpu: d.header.resId ?? 0, ...counts });
    }
    return out;
  }

  /** How many entries there are, and the limit (`conntrack -C`). */
  async count(options: WaitOptions = {}): Promise<ConntrackCount> {
    const [r] = await this.#client.do("get-stats-global", { header: {} }, options);
    return { entries: r?.attrs.entries ?? 0, maxEntries: r?.attrs.maxEntries ?? 0 };
  }

  /**
   * Events of the kinds asked for (`new`, `update`, `destroy`), that pass
   * `filter` (checked here), on a socket of their own in this table's
   * namespace. The socket opens and subscribes at the first `next()`;
   * leaving the loop, `return()` or the signal closes it. An overrun is an
   * item (see {@linkcode ConntrackEvent}); the stream goes on.
   */
  events(
    kinds: readonly ConntrackEventKind[] = ["new", "update", "destroy"],
    options: { signal?: AbortSignal; filter?: ConntrackFilter; receiveBufferSize?: number } = {},
  ): AsyncIterableIterator<ConntrackEvent> {
    return conntrackEvents(this.#options, kinds, options);
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.#client.close();
  }

  /** Same as {@linkcode Conntrack.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
