/**
 * {@linkcode NlrTable}: a typed client for the nlrtable kernel module
 * (`kmod/`), so that nobody builds its raw messages by hand.
 *
 * @module
 */
import { AF, parsePrefix } from "../address.ts";
import { NLM_F } from "../constants.ts";
import { NetlinkError, Overrun, OverrunError, ParseError } from "../errors.ts";
import type { Message } from "../message.ts";
import { type DumpOptions, NetlinkSocket, type WaitOptions } from "../socket.ts";
import { MessageWriter } from "../writer.ts";
import {
  type NlrEntry,
  type NlrEvent,
  type NlrRouteSpec,
  readEntry,
  readEvent,
  writeEntry,
  writeKey,
} from "./codec.ts";
import { NLRT_A, NLRT_GRP, NLRT_MSG, NLRT_PROTOCOL_DEFAULT, NLRTMSG_SIZE } from "./constants.ts";

/** Options of {@linkcode NlrTable.open}. */
export interface NlrTableOptions {
  /** The module's protocol number (its `protocol` parameter). Default 31. */
  protocol?: number;
  /** Receive buffer for the change stream, in bytes (see {@linkcode NetlinkSocket.open}). */
  receiveBufferSize?: number;
  /** Closes the table, its watches and its change streams when aborted. */
  signal?: AbortSignal;
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
      for await (const m of this.#sock.events()) {
        if (m instanceof Overrun) throw new OverrunError();
        if (m.sender !== 0 || m.group !== 0) continue;
        const ev = readEvent(m);
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
 * (NLRT_MSG_NEWROUTE, ...), or `op` when the reply does not echo it (a dump's).
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

function readGreeting(m: Message): Greeting {
  const out: Greeting = { greeting: "" };
  const ad = m.attributes(NLRTMSG_SIZE);
  while (ad.next()) {
    if (ad.type === NLRT_A.GREETING) out.greeting = ad.string();
    else if (ad.type === NLRT_A.TEXT) out.text = ad.string();
  }
  return out;
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
  readonly #options: NlrTableOptions;
  readonly #children = new Set<NetlinkSocket>();
  readonly #w = new MessageWriter(256);

  private constructor(sock: NetlinkSocket, protocol: number, options: NlrTableOptions) {
    this.#sock = sock;
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
    const sock = NetlinkSocket.open(protocol, { signal: options.signal });
    return new NlrTable(sock, protocol, options);
  }

  /** The port id of the request socket. */
  get portId(): number {
    return this.#sock.portId;
  }

  #begin(type: number, flags = 0): MessageWriter {
    return this.#w.reset().begin(type, flags);
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
    const w = this.#begin(NLRT_MSG.GREET);
    w.fixed(NLRTMSG_SIZE);
    if (text !== undefined) w.string(NLRT_A.TEXT, text);
    const [reply] = await this.#sock.request(w, { ...options, map: readGreeting }).catch(named);
    if (!reply) throw new ParseError("no reply to greet", 0);
    return reply;
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
    const flags = NLM_F.CREATE | (options.replace ? NLM_F.REPLACE : NLM_F.EXCL);
    const w = this.#begin(NLRT_MSG.NEWROUTE, flags);
    writeEntry(w, spec);
    await this.#sock.request(w, options).catch(named);
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
    const w = this.#begin(NLRT_MSG.DELROUTE);
    writeKey(w, dst);
    await this.#sock.request(w, options).catch(named);
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
    const w = this.#begin(NLRT_MSG.GETROUTE);
    writeKey(w, dst);
    // Decoded where it arrived: the entry keeps strings and numbers only.
    const [reply] = await this.#sock.request(w, { ...options, map: readEntry }).catch(named);
    if (!reply) throw new ParseError("no reply to get", 0);
    return reply;
  }

  /**
   * Every entry, from a multi-part dump. With `retries`, a dump that the
   * table changed under (NLM_F_DUMP_INTR) is run again.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * await using table = NlrTable.open();
   * for await (const e of table.list({ ipVersion: 6 })) console.log(e.dst);
   * ```
   */
  async *list(options: ListOptions = {}): AsyncGenerator<NlrEntry> {
    const w = new MessageWriter(64).begin(NLRT_MSG.GETROUTE, NLM_F.DUMP);
    const at = w.fixed(NLRTMSG_SIZE);
    w.buffer[at] = options.ipVersion === 4
      ? AF.INET
      : options.ipVersion === 6
      ? AF.INET6
      : AF.UNSPEC;
    try {
      yield* this.#sock.dump(w, { ...options, map: readEntry });
    } catch (e) {
      named(e, "NLRT_MSG_GETROUTE");
    }
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
      const w = new MessageWriter(64).begin(NLRT_MSG.WATCH);
      writeKey(w, dst);
      await sock.request(w, options).catch(named);
    } catch (e) {
      await sock.close();
      throw e;
    }
    return new Watch(sock, dst);
  }

  /**
   * Every change to the table (the NLRT_GRP_ROUTE multicast group), from
   * the moment of this call. An overrun arrives as an {@linkcode Overrun}
   * item (its `kind` is `"overrun"`) and the stream goes on: list again to
   * resynchronise.
   *
   * @example
   * ```ts ignore
   * import { NlrTable } from "./mod.ts";
   * import { Overrun } from "../../mod.ts";
   * await using table = NlrTable.open();
   * for await (const ch of table.changes({ signal: AbortSignal.timeout(60_000) })) {
   *   if (ch instanceof Overrun) console.log("lost changes");
   *   else console.log(ch.kind, ch.entry.dst);
   * }
   * ```
   */
  changes(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<NlrChange> {
    const sock = this.#child([NLRT_GRP.ROUTE], options.signal);
    return (async function* (): AsyncGenerator<NlrChange> {
      try {
        for await (const m of sock.events()) {
          if (m instanceof Overrun) {
            yield m;
            continue;
          }
          if (m.sender !== 0) continue;
          const ev = readEvent(m as Message);
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
