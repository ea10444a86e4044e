/**
 * {@linkcode NlrTable}: a typed client for the nlrtable kernel module
 * (`kmod/`), so that nobody builds its raw messages by hand.
 *
 * @module
 */
import { AF, parsePrefix } from "../address.ts";
import { NLM_F } from "../constants.ts";
import { NetlinkError, Overrun, OverrunError, ParseError } from "../errors.ts";
import { type DumpOptions, NetlinkSocket, type WaitOptions } from "../socket.ts";
import type { Sys } from "../sys.ts";
import { FamilyClient } from "../ynl/family.ts";
import { NLRT_GRP, NLRT_MSG, nlrtable, type NlrtableOps } from "../families/nlrtable.ts";
import {
  keyRequest,
  type NlrDecoded,
  type NlrEntry,
  type NlrEvent,
  type NlrRouteSpec,
  routeRequest,
  toEntry,
  toEvent,
} from "./entry.ts";
import { NLRT_PROTOCOL_DEFAULT } from "./protocol.ts";

type Client = FamilyClient<NlrtableOps>;
const attach = (sock: NetlinkSocket): Client => FamilyClient.attach<NlrtableOps>(nlrtable, sock);

/** Options of {@linkcode NlrTable.open}. */
export interface NlrTableOptions {
  /** The module's protocol number (its `protocol` parameter). Default 31. */
  protocol?: number;
  /** Receive buffer for the change stream, in bytes (see {@linkcode NetlinkSocket.open}). */
  receiveBufferSize?: number;
  /** Closes the table, its watches and its change streams when aborted. */
  signal?: AbortSignal;
  /** The system calls to use (e.g. a fake kernel from `./testing`). Default: the runtime's. */
  sys?: Sys;
}

/** Options of {@linkcode NlrTable.add}. */
export interface AddOptions extends WaitOptions {
  /**
   * Replace the entry when it exists (NLM_F_CREATE | NLM_F_REPLACE). Default
   * false: an existing entry is an `EEXIST` error (NLM_F_CREATE | NLM_F_EXCL).
   */
  replace?: boolean;
}

/** Options of {@linkcode NlrTable.list}. */
export interface ListOptions extends DumpOptions {
  /** Only entries of this IP version. Default: all. */
  ipVersion?: 4 | 6;
}

/** An item of {@linkcode NlrTable.changes}: a change, or news that some were lost. */
export type NlrChange = NlrEvent | Overrun;

/** The reply to {@linkcode NlrTable.greet}. */
export interface Greeting {
  /** The module's greeting. */
  greeting: string;
  /** The text sent, echoed back. */
  text?: string;
}

/**
 * One watched entry: iterating it yields the entry's deletion, once, when
 * the kernel reports it (by request or because its lifetime ran out), then
 * ends. It has a socket of its own; disposing of it (or leaving the loop)
 * closes that socket, and the module forgets the watch.
 *
 * @example
 * ```ts ignore
 * import { NlrTable } from "./mod.ts";
 * await using table = NlrTable.open();
 * await using watch = await table.watch("10.0.3.0/24");
 * for await (const ev of watch) console.log(ev.reason); // "expired"
 * ```
 */
export class Watch implements AsyncIterable<NlrEvent & { kind: "deleted" }>, AsyncDisposable {
  /** The watched prefix, as given. */
  readonly dst: string;
  readonly #sock: NetlinkSocket;
  readonly #key: string;

  /** Use {@linkcode NlrTable.watch}. */
  constructor(sock: NetlinkSocket, dst: string) {
    this.#sock = sock;
    this.dst = dst;
    this.#key = canonical(dst);
  }

  /** The port id the module notifies. */
  get portId(): number {
    return this.#sock.portId;
  }

  /**
   * Waits for the deletion. Throws {@linkcode OverrunError} if the socket's
   * queue overflowed (the notification may be lost); ends without a value
   * when the watch is closed first.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<NlrEvent & { kind: "deleted" }> {
    try {
      const client = attach(this.#sock);
      for await (const m of this.#sock.events()) {
        if (m instanceof Overrun) throw new OverrunError();
        if (m.sender !== 0 || m.group !== 0) continue;
        const ev = toEvent(client.decode(m) as NlrDecoded);
        if (ev?.kind !== "deleted" || canonical(ev.entry.dst) !== this.#key) continue;
        yield ev;
        return;
      }
    } finally {
      await this.#sock.close();
    }
  }

  /** Stops watching: closes the socket, so the module forgets it. */
  close(): Promise<void> {
    return this.#sock.close();
  }

  /** Same as {@linkcode Watch.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const MESSAGE_NAMES = new Map<number, string>(
  Object.entries(NLRT_MSG).map(([name, type]) => [type, `NLRT_MSG_${name}`]),
);

/**
 * Rethrows `e`; a NetlinkError named by the module's message it answers
 * (NLRT_MSG_NEWROUTE, ...; the attribute it points at is already named
 * by the spec), or `op` when the reply does not echo it (a dump's).
 */
function named(e: unknown, op?: string): never {
  if (e instanceof NetlinkError) {
    const operation = (e.type !== undefined ? MESSAGE_NAMES.get(e.type) : undefined) ?? op;
    if (operation !== undefined) throw e.withContext({ operation });
  }
  throw e;
}

function canonical(dst: string): string {
  const p = parsePrefix(dst);
  return `${p.address.join(",")}/${p.length}`;
}

/**
 * A client of the nlrtable module: add, delete, get and list entries,
 * watch one entry's deletion, and follow every change.
 *
 * Mutations need CAP_NET_ADMIN (else `NetlinkError` with code `EPERM`);
 * reading, watching and the change stream do not.
 *
 * @example
 * ```ts ignore
 * import { NlrTable } from "./mod.ts";
 * await using table = NlrTable.open();
 * await table.add({ dst: "10.0.1.0/24", gateway: "192.0.2.1", oif: "eth0" });
 * await table.add({ dst: "10.0.3.0/24", gateway: "192.0.2.3", lifetimeMs: 10_000 });
 * for await (const e of table.list()) console.log(e.dst, e.expiresMs);
 * ```
 */
export class NlrTable implements AsyncDisposable {
  /** The protocol number in use. */
  readonly protocol: number;
  readonly #sock: NetlinkSocket;
  readonly #client: Client;
  readonly #options: NlrTableOptions;
  readonly #children = new Set<NetlinkSocket>();

  private constructor(sock: NetlinkSocket, protocol: number, options: NlrTableOptions) {
    this.#sock = sock;
    this.#client = attach(sock);
    this.protocol = protocol;
    this.#options = options;
  }

  /**
   * Opens a client. Throws `SyscallError` with code `EPROTONOSUPPORT` when
   * the module is not loaded.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open({ protocol: 31 });
   * ```
   */
  static open(options: NlrTableOptions = {}): NlrTable {
    const protocol = options.protocol ?? NLRT_PROTOCOL_DEFAULT;
    const sock = NetlinkSocket.open(protocol, { signal: options.signal, sys: options.sys });
    return new NlrTable(sock, protocol, options);
  }

  /** The port id of the request socket. */
  get portId(): number {
    return this.#sock.portId;
  }

  /**
   * The module's hello: sends `text` and gets it back with a greeting.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open();
   * (await table.greet("hi")).greeting; // "Hello from nlrtable"
   * ```
   */
  async greet(text?: string, options: WaitOptions = {}): Promise<Greeting> {
    const attrs = text === undefined ? {} : { text };
    const [reply] = await this.#client.do("greet", { header: {}, attrs }, options).catch(named);
    if (!reply) throw new ParseError("no reply to greet", 0);
    const out: Greeting = { greeting: reply.attrs.greeting ?? "" };
    if (reply.attrs.text !== undefined) out.text = reply.attrs.text;
    return out;
  }

  /**
   * Adds an entry; with `replace`, replaces it if it exists.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open();
   * await table.add({ dst: "2001:db8::/32", oif: "eth1", lifetimeMs: 5000 });
   * ```
   */
  async add(spec: NlrRouteSpec, options: AddOptions = {}): Promise<void> {
    const { replace, ...wait } = options;
    const flags = NLM_F.CREATE | (replace ? NLM_F.REPLACE : NLM_F.EXCL);
    await this.#client.do("newroute", routeRequest(spec), { ...wait, flags }).catch(named);
  }

  /**
   * Deletes an entry; its watchers are notified. `ENOENT` if there is none.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open();
   * await table.delete("10.0.1.0/24");
   * ```
   */
  async delete(dst: string, options: WaitOptions = {}): Promise<void> {
    await this.#client.do("delroute", keyRequest(dst), options).catch(named);
  }

  /**
   * Gets one entry by its prefix. `ENOENT` if there is none.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open();
   * const e = await table.get("10.0.1.0/24");
   * ```
   */
  async get(dst: string, options: WaitOptions = {}): Promise<NlrEntry> {
    const [reply] = await this.#client.do("getroute", keyRequest(dst), options).catch(named);
    if (!reply) throw new ParseError("no reply to get", 0);
    return toEntry(reply);
  }

  /**
   * Every entry, from a multi-part dump. With `retries`, a dump that the
   * table changed under (NLM_F_DUMP_INTR) is run again. An `ipVersion`
   * other than 4 or 6 is a RangeError.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open();
   * for await (const e of table.list({ ipVersion: 6 })) console.log(e.dst);
   * ```
   */
  list(options: ListOptions = {}): AsyncGenerator<NlrEntry> {
    const { ipVersion, ...dump } = options;
    if (ipVersion !== undefined && ipVersion !== 4 && ipVersion !== 6) {
      throw new RangeError(`NlrTable.list: ipVersion is 4 or 6, not ${ipVersion}`);
    }
    const nrtFamily = ipVersion === 4 ? AF.INET : ipVersion === 6 ? AF.INET6 : AF.UNSPEC;
    const client = this.#client;
    return (async function* () {
      try {
        // Each entry is made of the message before the next is read.
        for await (const d of client.dump("getroute", { header: { nrtFamily } }, dump)) {
          yield toEntry(d);
        }
      } catch (e) {
        named(e, "NLRT_MSG_GETROUTE");
      }
    })();
  }

  /**
   * Watches one entry: resolves once the module has registered the watch,
   * so a deletion after that is never missed. `ENOENT` if there is none.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open();
   * await using watch = await table.watch("10.0.3.0/24");
   * for await (const ev of watch) console.log(`${ev.entry.dst} ${ev.reason}`);
   * ```
   */
  async watch(dst: string, options: WaitOptions = {}): Promise<Watch> {
    const sock = this.#child([]);
    try {
      await attach(sock).do("watch", keyRequest(dst), options).catch(named);
    } catch (e) {
      await sock.close();
      throw e;
    }
    return new Watch(sock, dst);
  }

  /**
   * Every change to the table (the NLRT_GRP_ROUTE multicast group), on a
   * socket of its own. The socket opens, and the subscription starts, at
   * the first `next()` (a `for await` loop calls it at once), so an
   * iterator that is never started holds nothing; leaving the loop,
   * `return()`, the signal or closing the table closes it. To hear the
   * changes you are about to make, start reading first: the first `next()`
   * has subscribed when it returns its promise. An overrun arrives as
   * an {@linkcode Overrun} item (its `kind` is `"overrun"`) and the stream goes on: list again to
   * resynchronise.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * import { Overrun } from "../../mod.ts";
   * await using table = NlrTable.open();
   * const changes = table.changes({ signal: AbortSignal.timeout(60_000) });
   * const first = changes.next(); // subscribed from here
   * await table.add({ dst: "10.0.9.0/24" });
   * console.log((await first).value); // { kind: "added", entry: { dst: "10.0.9.0/24", ... } }
   * ```
   */
  changes(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<NlrChange> {
    const open = () => this.#child([NLRT_GRP.ROUTE], options.signal);
    return (async function* (): AsyncGenerator<NlrChange> {
      // Opened here, at the first next(): the generator's body runs then.
      const sock = open();
      const client = attach(sock);
      try {
        for await (const m of sock.events()) {
          if (m instanceof Overrun) {
            yield m;
            continue;
          }
          if (m.sender !== 0) continue;
          const ev = toEvent(client.decode(m) as NlrDecoded);
          if (ev) yield ev;
        }
      } finally {
        await sock.close();
      }
    })();
  }

  #child(groups: number[], signal?: AbortSignal): NetlinkSocket {
    const signals = [this.#options.signal, signal].filter((s) => s !== undefined);
    const sock = NetlinkSocket.open(this.protocol, {
      groups,
      receiveBufferSize: this.#options.receiveBufferSize,
      signal: signals.length ? AbortSignal.any(signals) : undefined,
      sys: this.#options.sys,
    });
    for (const s of this.#children) if (s.closed) this.#children.delete(s);
    this.#children.add(sock);
    return sock;
  }

  /** Closes the client with its watches and change streams. */
  async close(): Promise<void> {
    const all = [this.#sock, ...this.#children];
    this.#children.clear();
    await Promise.all(all.map((s) => s.close()));
  }

  /** Same as {@linkcode NlrTable.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
