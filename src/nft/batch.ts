/**
 * {@linkcode NftBatch}: one nf_tables transaction. Operations are added in
 * order and sent between NFNL_MSG_BATCH_BEGIN and NFNL_MSG_BATCH_END in a
 * single datagram; the kernel applies all of them or none. Every message
 * asks for its ACK, so a refused batch reports each operation that failed
 * ({@linkcode NftBatchError}), with the kernel's extended ACK.
 *
 * @module
 */
import { NLM_F } from "../constants.ts";
import type { NetlinkSocket } from "../socket.ts";
import { MessageWriter } from "../writer.ts";
import { A, MSG, NFPROTO, SUBSYS_NFTABLES } from "./spec.ts";
import { commitOn, type NftObject } from "./commit.ts";
import * as tables from "./encode.ts";
import * as sets from "./encode_sets.ts";
import { NftInputError } from "./errors.ts";
import type {
  NftChain,
  NftElement,
  NftFamily,
  NftFlowtable,
  NftRule,
  NftSet,
  NftTable,
} from "./types.ts";

interface Op {
  op: string;
  object: unknown;
  label: string;
  write(w: MessageWriter, seq: number, index: number): void;
}

/** Options of {@linkcode NftBatch.commit}. */
export interface CommitOptions {
  /** Ends the wait for the kernel's answers. */
  signal?: AbortSignal;
  /** Bound on the wait for the answers, in ms. Default 10000. */
  timeoutMs?: number;
  /**
   * Apply only if the ruleset is still at this generation
   * (`NftClient.generation()`): another change in between makes the
   * kernel refuse the whole batch (`ERESTART`), so a read-modify-write
   * never overwrites a change it did not see.
   */
  generation?: number;
  /**
   * Ask the kernel to send back each object it creates (NLM_F_ECHO):
   * `commit()` then resolves with them, by operation index, handles
   * included (a rule's handle names it for a later replace or delete).
   */
  echo?: boolean;
}

function setLabel(s: { family?: unknown; table?: unknown; name?: unknown }): string {
  return `set ${s.family} ${s.table} ${s.name}`;
}

/**
 * A transaction: tables, chains, rules, sets, elements and flowtables to
 * add, replace, delete or flush, applied together by
 * {@linkcode NftBatch.commit}.
 *
 * @example
 * ```ts ignore
 * import { NftClient } from "./mod.ts";
 * await using nft = await NftClient.open({ netns: "blue" });
 * const b = nft.batch();
 * b.addTable({ family: "inet", name: "filter" });
 * b.addChain({ family: "inet", table: "filter", name: "input", hook: "input", policy: "drop" });
 * b.addRule({ family: "inet", table: "filter", chain: "input", exprs: [{ type: "verdict", verdict: "accept" }] });
 * await b.commit();
 * ```
 */
export class NftBatch {
  readonly #ops: Op[] = [];
  readonly #socket: NetlinkSocket | undefined;
  #setId = 1;

  /** A batch that commits over `socket` (an `NETLINK_NETFILTER` socket), if given. */
  constructor(socket?: NetlinkSocket) {
    this.#socket = socket;
  }

  /** How many operations the batch holds. */
  get length(): number {
    return this.#ops.length;
  }

  #push(op: string, object: unknown, label: string, write: Op["write"]): this {
    this.#ops.push({ op, object, label, write });
    return this;
  }

  /** Adds a table (no error when it exists; `create` makes that an error). */
  addTable(t: NftTable, create = false): this {
    return this.#push(
      "add table",
      t,
      `table ${t?.family} ${t?.name}`,
      (w, s) => tables.newTable(w, t, s, create),
    );
  }

  /** Deletes a table and everything in it. */
  deleteTable(t: Pick<NftTable, "family" | "name" | "handle">): this {
    return this.#push(
      "delete table",
      t,
      `table ${t?.family} ${t?.name}`,
      (w, s) => tables.delTable(w, t, s),
    );
  }

  /** Deletes every rule of a table (`nft flush table`). */
  flushTable(t: Pick<NftTable, "family" | "name">): this {
    return this.#push(
      "flush table",
      t,
      `table ${t?.family} ${t?.name}`,
      (w, s) => tables.flushRules(w, t.family, t.name, undefined, s),
    );
  }

  /** Deletes every table (of `family`, or of all families): `nft flush ruleset`. */
  flushRuleset(family?: NftFamily): this {
    return this.#push(
      "flush ruleset",
      { family },
      `ruleset ${family ?? "all"}`,
      (w, s) => tables.flushRuleset(w, s, family),
    );
  }

  /** Adds a chain (a base chain when it has a hook). */
  addChain(c: NftChain, create = false): this {
    return this.#push(
      "add chain",
      c,
      `chain ${c?.family} ${c?.table} ${c?.name}`,
      (w, s) => tables.newChain(w, c, s, create),
    );
  }

  /** Deletes a chain (it must be empty and unreferenced). */
  deleteChain(c: Pick<NftChain, "family" | "table" | "name" | "handle">): this {
    return this.#push(
      "delete chain",
      c,
      `chain ${c?.family} ${c?.table} ${c?.name}`,
      (w, s) => tables.delChain(w, c, s),
    );
  }

  /** Deletes every rule of a chain (`nft flush chain`). */
  flushChain(c: Pick<NftChain, "family" | "table" | "name">): this {
    return this.#push(
      "flush chain",
      c,
      `chain ${c?.family} ${c?.table} ${c?.name}`,
      (w, s) => tables.flushRules(w, c.family, c.table, c.name, s),
    );
  }

  #rule(op: string, r: NftRule, mode: tables.RuleMode): this {
    const n = this.#ops.filter((o) => o.op.endsWith(" rule")).length;
    const label = `rule ${r?.family} ${r?.table} ${r?.chain} #${n}${
      r?.comment ? ` "${r.comment}"` : ""
    }`;
    return this.#push(
      op,
      r,
      label,
      (w, s, i) => tables.newRule(w, r, s, mode, `operation ${i} (rule)`),
    );
  }

  /** Appends a rule to its chain (after `position`, a rule's handle, when given). */
  addRule(r: NftRule): this {
    return this.#rule("add rule", r, "append");
  }

  /** Inserts a rule at the top of its chain (before `position`, when given). */
  insertRule(r: NftRule): this {
    return this.#rule("insert rule", r, "insert");
  }

  /** Replaces the rule whose handle `r.handle` is. */
  replaceRule(r: NftRule & { handle: bigint }): this {
    return this.#rule("replace rule", r, "replace");
  }

  /** Deletes the rule with `handle`. */
  deleteRule(r: Pick<NftRule, "family" | "table" | "chain" | "handle">): this {
    return this.#push(
      "delete rule",
      r,
      `rule ${r?.family} ${r?.table} ${r?.chain} handle ${r?.handle}`,
      (w, s) => tables.delRule(w, r, s),
    );
  }

  /** Adds a set or map, and its `elements` when given. */
  addSet(set: NftSet, create = false): this {
    const id = this.#setId++;
    this.#push("add set", set, setLabel(set), (w, s) => sets.newSet(w, set, s, id, create));
    if (set?.elements?.length) this.addElements(set, set.elements);
    return this;
  }

  /** Deletes a set or map. */
  deleteSet(set: Pick<NftSet, "family" | "table" | "name" | "handle">): this {
    return this.#push("delete set", set, setLabel(set), (w, s) => sets.delSet(w, set, s));
  }

  /** Adds elements to a set or map. */
  addElements(
    set: Pick<NftSet, "family" | "table" | "name">,
    elements: readonly NftElement[],
  ): this {
    return this.#push(
      "add elements",
      { set, elements },
      `elements of ${setLabel(set)}`,
      (w, s) => sets.setElements(w, set, elements, s, false),
    );
  }

  /** Deletes elements (by key) from a set or map. */
  deleteElements(
    set: Pick<NftSet, "family" | "table" | "name">,
    elements: readonly NftElement[],
  ): this {
    if (Array.isArray(elements) && elements.length === 0) {
      throw new NftInputError("elements", "name at least one element (flushSet empties a set)");
    }
    return this.#push(
      "delete elements",
      { set, elements },
      `elements of ${setLabel(set)}`,
      (w, s) => sets.setElements(w, set, elements, s, true),
    );
  }

  /** Deletes every element of a set or map (`nft flush set`). */
  flushSet(set: Pick<NftSet, "family" | "table" | "name">): this {
    return this.#push(
      "flush set",
      set,
      setLabel(set),
      (w, s) => sets.setElements(w, set, [], s, true),
    );
  }

  /** Adds a flowtable. */
  addFlowtable(f: NftFlowtable, create = false): this {
    return this.#push(
      "add flowtable",
      f,
      `flowtable ${f?.family} ${f?.table} ${f?.name}`,
      (w, s) => sets.newFlowtable(w, f, s, create),
    );
  }

  /** Deletes a flowtable. */
  deleteFlowtable(f: Pick<NftFlowtable, "family" | "table" | "name" | "handle">): this {
    return this.#push(
      "delete flowtable",
      f,
      `flowtable ${f?.family} ${f?.table} ${f?.name}`,
      (w, s) => sets.delFlowtable(w, f, s),
    );
  }

  /**
   * The batch's bytes (BEGIN, each operation with NLM_F_ACK, END) from
   * sequence number `seq` on, and where each operation's message lies.
   * Throws {@linkcode NftInputError} (naming the operation) for input that
   * cannot be encoded.
   */
  encode(
    seq: number,
    generation?: number,
    echo = false,
  ): { bytes: Uint8Array; ranges: [number, number][] } {
    const w = new MessageWriter(4096);
    tables.header(w, MSG.batchBegin, NFPROTO.unspec, 0, seq, SUBSYS_NFTABLES);
    if (generation !== undefined) {
      if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
        throw new NftInputError("generation", `must be a generation id, not ${generation}`);
      }
      w.u32be(A.batch.genid, generation);
    }
    const ranges: [number, number][] = [];
    w.end();
    this.#ops.forEach((op, i) => {
      const start = w.length;
      try {
        op.write(w, seq + 1 + i, i);
      } catch (e) {
        if (e instanceof NftInputError) {
          const path = e.path.startsWith("operation ")
            ? e.path
            : `operation ${i} (${op.label}) ${e.path}`;
          throw new NftInputError(path, e.problem);
        }
        throw e;
      }
      w.end();
      // The kernel answers every failed message; the last one also asks
      // for its ACK, which comes after every error of the batch: it marks
      // the end of the answer. (An ACK for each of thousands of messages
      // would overrun the receive buffer.)
      const flags = w.view.getUint16(start + 6, true);
      const last = i === this.#ops.length - 1;
      w.view.setUint16(start + 6, flags | (last ? NLM_F.ACK : 0) | (echo ? NLM_F.ECHO : 0), true);
      ranges.push([start, w.length]);
    });
    tables.header(w, MSG.batchEnd, NFPROTO.unspec, 0, seq + 1 + this.#ops.length, SUBSYS_NFTABLES);
    return { bytes: w.finish().slice(), ranges };
  }

  /**
   * Sends the batch and waits for the kernel's verdict on each operation.
   * Resolves when every one was applied; rejects with
   * {@linkcode NftBatchError} (nothing applied) naming each failed
   * operation, with {@linkcode NftInputError} before sending anything for
   * input that cannot be encoded, or with the signal's reason / a
   * `TimeoutError`. An empty batch resolves at once. With `echo`, it
   * resolves with the objects created, by operation index.
   */
  commit(options: CommitOptions = {}): Promise<(NftObject | undefined)[]> {
    const socket = this.#socket;
    if (!socket) {
      return Promise.reject(
        new TypeError("this batch has no socket: make it with NftClient.batch()"),
      );
    }
    return commitOn(socket, this, options);
  }

  /** @internal the operations, for {@linkcode commitOn}. */
  get ops(): readonly { op: string; object: unknown; label: string }[] {
    return this.#ops;
  }
}
