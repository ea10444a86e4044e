/**
 * {@linkcode NftClient}: nf_tables over one `NETLINK_NETFILTER` socket.
 * Transactions ({@linkcode NftClient.batch}), listings of each object kind
 * and of the whole ruleset, decoded into typed objects.
 *
 * @module
 */
import { NETLINK } from "../constants.ts";
import { NetlinkError } from "../errors.ts";
import type { Message } from "../message.ts";
import { NetlinkSocket, type OpenOptions } from "../socket.ts";
import { MessageWriter } from "../writer.ts";
import { A, MSG, NFPROTO } from "./spec.ts";
import { header } from "./encode.ts";
import { familyNumber } from "./data.ts";
import {
  decodeChain,
  decodeElements,
  decodeFlowtable,
  decodeGen,
  decodeRule,
  decodeSet,
  decodeTable,
} from "./decode.ts";
import { type CommitOptions, NftBatch } from "./batch.ts";
import { commitOn, type NftObject } from "./commit.ts";
import type { Overrun } from "../errors.ts";
import { monitor, type MonitorOptions, type NftEvent } from "./monitor.ts";
import type {
  NftChain,
  NftElement,
  NftFamily,
  NftFlowtable,
  NftRule,
  NftRuleset,
  NftSet,
  NftTable,
} from "./types.ts";

/** Options of {@linkcode NftClient.open}. */
export type NftOpenOptions = Pick<
  OpenOptions,
  "netns" | "signal" | "receiveBufferSize" | "sendBufferSize" | "sys"
>;

/** Options of the listings. */
export interface ListOptions {
  /** Only this family's objects. */
  family?: NftFamily;
  /** Ends the wait. */
  signal?: AbortSignal;
  /** Bound on the wait, in ms. */
  timeoutMs?: number;
}

/**
 * An nf_tables client.
 *
 * @example
 * ```ts ignore
 * import { NftClient } from "./mod.ts";
 * await using nft = await NftClient.open({ netns: "blue" });
 * await nft.batch()
 *   .addTable({ family: "ip", name: "nat" })
 *   .addChain({ family: "ip", table: "nat", name: "post", hook: "postrouting", type: "nat", priority: 100 })
 *   .addRule({ family: "ip", table: "nat", chain: "post", exprs: [{ type: "masq" }] })
 *   .commit();
 * const ruleset = await nft.ruleset();
 * console.log(ruleset.tables.map((t) => t.name));
 * ```
 */
export class NftClient implements AsyncDisposable {
  /** The socket it speaks over. */
  readonly socket: NetlinkSocket;
  readonly #options: NftOpenOptions;

  private constructor(socket: NetlinkSocket, options: NftOpenOptions) {
    this.socket = socket;
    this.#options = options;
  }

  /**
   * Opens a client (in `netns` when given). Its socket asks for 16 MiB to
   * send and 4 MiB to receive: a batch is one datagram and must fit.
   */
  static open(options: NftOpenOptions = {}): Promise<NftClient> {
    try {
      // room for a large batch (it goes as one datagram) and its echo; the
      // memory is only used while a batch is in flight
      const socket = NetlinkSocket.open(NETLINK.NETFILTER, {
        receiveBufferSize: 4 << 20,
        sendBufferSize: 16 << 20,
        ...options,
      });
      return Promise.resolve(new NftClient(socket, options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** A new, empty transaction over this client's socket. */
  batch(): NftBatch {
    return new NftBatch(this.socket);
  }

  /** Commits `batch` (made elsewhere) over this client's socket. */
  commit(batch: NftBatch, options?: CommitOptions): Promise<(NftObject | undefined)[]> {
    return commitOn(this.socket, batch, options);
  }

  async #dump<T>(
    type: number,
    family: number,
    decode: (m: Message) => T,
    options: ListOptions,
    attrs?: (w: MessageWriter) => void,
  ): Promise<T[]> {
    const w = new MessageWriter(256);
    header(w, type, family, 0, 0);
    attrs?.(w);
    const out: T[] = [];
    try {
      for await (const m of this.socket.dump(w.finish(), { ...options, retries: 3 })) {
        out.push(decode(m));
      }
    } catch (e) {
      throw e instanceof NetlinkError
        ? e.withContext({ operation: `nftables dump ${opName(type)}` })
        : e;
    }
    return out;
  }

  #family(options: ListOptions): number {
    return options.family === undefined ? NFPROTO.unspec : familyNumber("family", options.family);
  }

  /** Every table. */
  listTables(options: ListOptions = {}): Promise<NftTable[]> {
    return this.#dump(MSG.getTable, this.#family(options), decodeTable, options);
  }

  /** Every chain. */
  listChains(options: ListOptions = {}): Promise<NftChain[]> {
    return this.#dump(MSG.getChain, this.#family(options), decodeChain, options);
  }

  /** Every rule (of one table, or one chain, when named). */
  listRules(options: ListOptions & { table?: string; chain?: string } = {}): Promise<NftRule[]> {
    return this.#dump(MSG.getRule, this.#family(options), decodeRule, options, (w) => {
      if (options.table !== undefined) w.string(A.rule.table, options.table);
      if (options.chain !== undefined) w.string(A.rule.chain, options.chain);
    });
  }

  /** Every set and map (without elements: {@linkcode NftClient.listElements}). */
  listSets(options: ListOptions = {}): Promise<NftSet[]> {
    return this.#dump(MSG.getSet, this.#family(options), decodeSet, options);
  }

  /** The elements of one set or map. */
  async listElements(
    set: Pick<NftSet, "family" | "table" | "name">,
    options: Omit<ListOptions, "family"> = {},
  ): Promise<NftElement[]> {
    const parts = await this.#dump(
      MSG.getSetElem,
      familyNumber("set.family", set.family),
      decodeElements,
      options,
      (w) => {
        w.string(A.elemList.table, set.table);
        w.string(A.elemList.set, set.name);
      },
    );
    return parts.flatMap((p) => p.elements);
  }

  /** Every flowtable. */
  listFlowtables(options: ListOptions = {}): Promise<NftFlowtable[]> {
    return this.#dump(MSG.getFlowtable, this.#family(options), decodeFlowtable, options);
  }

  /** The ruleset's generation id (it changes with every commit). */
  async generation(options: ListOptions = {}): Promise<number> {
    const w = new MessageWriter(64);
    header(w, MSG.getGen, NFPROTO.unspec, 0, 0);
    const [m] = await this.socket.request(w.finish(), options);
    return m ? decodeGen(m).id : 0;
  }

  /**
   * The whole ruleset: every table with its chains, sets (with their
   * elements), flowtables and rules. Read again when the generation
   * changed meanwhile, so the parts belong together.
   */
  async ruleset(options: ListOptions = {}): Promise<NftRuleset> {
    for (let attempt = 0;; attempt++) {
      const generation = await this.generation(options);
      const [tables, chains, sets, flowtables, rules] = [
        await this.listTables(options),
        await this.listChains(options),
        await this.listSets(options),
        await this.listFlowtables(options),
        await this.listRules(options),
      ];
      for (const s of sets) s.elements = await this.listElements(s, options);
      if (attempt < 3 && await this.generation(options) !== generation) continue;
      const key = (o: { family: string; table: string }) => `${o.family}\0${o.table}`;
      return {
        generation,
        tables: tables.map((t) => {
          const k = `${t.family}\0${t.name}`;
          return {
            ...t,
            chains: chains.filter((c) => key(c) === k),
            sets: sets.filter((s) => key(s) === k),
            flowtables: flowtables.filter((f) => key(f) === k),
            rules: rules.filter((r) => key(r) === k),
          };
        }),
      };
    }
  }

  /**
   * Ruleset changes as they are committed (the NFNLGRP_NFTABLES group),
   * on a socket of its own in the same namespace. Ends when `signal`
   * aborts. Each transaction ends with a `gen` event.
   */
  monitor(options: MonitorOptions = {}): AsyncGenerator<NftEvent | Overrun> {
    return monitor({ netns: this.#options.netns, sys: this.#options.sys, ...options });
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.socket.close();
  }

  /** Same as {@linkcode NftClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function opName(type: number): string {
  for (const [k, v] of Object.entries(MSG)) if (v === type) return k;
  return `${type}`;
}
