/**
 * Ruleset changes as events: what `nft monitor` shows, typed. The kernel
 * announces each committed object on NFNLGRP_NFTABLES, then an
 * NFT_MSG_NEWGEN that closes the transaction.
 *
 * @module
 */
import { Overrun } from "../errors.ts";
import { NETLINK } from "../constants.ts";
import type { Message } from "../message.ts";
import { NetlinkSocket, type OpenOptions } from "../socket.ts";
import { GROUP_NFTABLES, MSG } from "./spec.ts";
import {
  decodeChain,
  decodeElements,
  decodeFlowtable,
  decodeGen,
  decodeRule,
  decodeSet,
  decodeTable,
} from "./decode.ts";
import type {
  NftChain,
  NftElement,
  NftFamily,
  NftFlowtable,
  NftRule,
  NftSet,
  NftTable,
} from "./types.ts";

/** `new` for an object added (or replaced), `del` for one deleted. */
export type NftAction = "new" | "del";

/** One ruleset change. */
export type NftEvent =
  | { type: "table"; action: NftAction; table: NftTable }
  | { type: "chain"; action: NftAction; chain: NftChain }
  | { type: "rule"; action: NftAction; rule: NftRule }
  | { type: "set"; action: NftAction; set: NftSet }
  | {
    type: "elements";
    action: NftAction;
    family: NftFamily;
    table: string;
    set: string;
    elements: NftElement[];
  }
  | { type: "flowtable"; action: NftAction; flowtable: NftFlowtable }
  /** The end of one transaction: the new generation, and who committed it. */
  | { type: "gen"; id: number; pid?: number; name?: string }
  /** A message of another kind (objects, ...), as it came. */
  | { type: "other"; messageType: number };

/** Options of {@linkcode monitor}. */
export interface MonitorOptions extends Pick<OpenOptions, "netns" | "sys" | "receiveBufferSize"> {
  /** Ends the stream (and closes its socket). */
  signal?: AbortSignal;
}

/**
 * Decodes one event message.
 *
 * @example
 * ```ts ignore
 * import { decodeEvent } from "./monitor.ts";
 * declare const m: import("../message.ts").Message;
 * const ev = decodeEvent(m);
 * if (ev.type === "rule") console.log(ev.action, ev.rule.handle);
 * ```
 */
export function decodeEvent(m: Message): NftEvent {
  switch (m.type) {
    case MSG.newTable:
    case MSG.delTable:
      return {
        type: "table",
        action: m.type === MSG.newTable ? "new" : "del",
        table: decodeTable(m),
      };
    case MSG.newChain:
    case MSG.delChain:
      return {
        type: "chain",
        action: m.type === MSG.newChain ? "new" : "del",
        chain: decodeChain(m),
      };
    case MSG.newRule:
    case MSG.delRule:
      return { type: "rule", action: m.type === MSG.newRule ? "new" : "del", rule: decodeRule(m) };
    case MSG.newSet:
    case MSG.delSet:
      return { type: "set", action: m.type === MSG.newSet ? "new" : "del", set: decodeSet(m) };
    case MSG.newSetElem:
    case MSG.delSetElem: {
      const e = decodeElements(m);
      return { type: "elements", action: m.type === MSG.newSetElem ? "new" : "del", ...e };
    }
    case MSG.newFlowtable:
    case MSG.delFlowtable:
      return {
        type: "flowtable",
        action: m.type === MSG.newFlowtable ? "new" : "del",
        flowtable: decodeFlowtable(m),
      };
    case MSG.newGen:
      return { type: "gen", ...decodeGen(m) };
  }
  return { type: "other", messageType: m.type };
}

/**
 * Ruleset changes in a namespace, as they are committed. The socket joins
 * the group at once (changes made after this call are seen); it closes
 * when the stream ends, leaves its loop, or `signal` aborts.
 *
 * @example
 * ```ts ignore
 * import { monitor } from "./monitor.ts";
 * const signal = AbortSignal.timeout(10_000);
 * for await (const ev of monitor({ netns: "blue", signal })) {
 *   if (ev.type === "rule") console.log(ev.action, ev.rule.chain, ev.rule.handle);
 * }
 * ```
 */
export function monitor(options: MonitorOptions = {}): AsyncGenerator<NftEvent | Overrun> {
  const { signal, ...open } = options;
  signal?.throwIfAborted();
  const sock = NetlinkSocket.open(NETLINK.NETFILTER, { ...open, signal, groups: [GROUP_NFTABLES] });
  return stream(sock, signal);
}

async function* stream(
  sock: NetlinkSocket,
  signal: AbortSignal | undefined,
): AsyncGenerator<NftEvent | Overrun> {
  try {
    for await (const m of sock.events({ signal })) {
      if (m instanceof Overrun) yield m;
      else yield decodeEvent(m);
    }
  } catch (e) {
    if (!signal?.aborted) throw e;
  } finally {
    await sock.close();
  }
}
