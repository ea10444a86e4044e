/**
 * Sending a batch and reading the kernel's answer to each of its
 * messages: the transaction applied, or an {@linkcode NftBatchError}
 * naming each operation that failed and the attribute (for rules, the
 * expression) the extended ACK points at.
 *
 * @module
 */
import { nameOf } from "../tables.ts";
import { parseAck } from "../ack.ts";
import { AttributeDecoder } from "../attribute.ts";
import { NLMSG } from "../constants.ts";
import { NetlinkError, Overrun, OverrunError, SyscallError } from "../errors.ts";
import type { NetlinkSocket } from "../socket.ts";
import { A, MSG } from "./spec.ts";
import { NftBatchError, type NftFailure, NftInputError } from "./errors.ts";
import type { CommitOptions, NftBatch } from "./batch.ts";
import { decodeEvent, type NftEvent } from "./monitor.ts";
import type { NftChain, NftFlowtable, NftRule, NftSet, NftTable } from "./types.ts";

// Batch sequence numbers live above the socket's own (which stay below 2^30).
let nextSeq = 0x40000000 + Math.floor(Math.random() * 0x10000000);
function seqs(n: number): number {
  if (nextSeq + n + 2 > 0x7fffffff) nextSeq = 0x40000000;
  const s = nextSeq;
  nextSeq += n + 2;
  return s;
}

/**
 * Sends `batch` over `socket` and collects its answers (see {@linkcode NftBatch.commit}).
 *
 * @example
 * ```ts ignore
 * import { NETLINK, NetlinkSocket } from "../../mod.ts";
 * import { NftBatch } from "./batch.ts";
 * import { commitOn } from "./commit.ts";
 * await using sock = NetlinkSocket.open(NETLINK.NETFILTER);
 * await commitOn(sock, new NftBatch().addTable({ family: "inet", name: "fw" }));
 * ```
 */
export function commitOn(
  socket: NetlinkSocket,
  batch: NftBatch,
  options: CommitOptions = {},
): Promise<(NftObject | undefined)[]> {
  // The answers arrive on the socket's event stream, which has one reader:
  // commits over one socket take turns.
  const turn = (turns.get(socket) ?? Promise.resolve()).then(() =>
    commitNow(socket, batch, options)
  );
  turns.set(socket, turn.catch(() => {}));
  return turn;
}

const turns = new WeakMap<NetlinkSocket, Promise<unknown>>();

async function commitNow(
  socket: NetlinkSocket,
  batch: NftBatch,
  options: CommitOptions,
): Promise<(NftObject | undefined)[]> {
  options.signal?.throwIfAborted();
  const n = batch.length;
  if (n === 0) return [];
  const base = seqs(n);
  const { bytes, ranges } = batch.encode(base, options.generation, options.echo);
  const echoed: (NftObject | undefined)[] = new Array(n).fill(undefined);
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 10000)];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  try {
    socket.send(bytes);
  } catch (e) {
    if (e instanceof SyscallError && e.code === "EMSGSIZE") {
      throw new NftInputError(
        "batch",
        `${n} operations (${bytes.length} bytes) do not fit in one datagram, and a transaction is one: the socket's send buffer limits it`,
      );
    }
    throw e;
  }
  const answered = new Set<number>();
  let done = false;
  const failures: NftFailure[] = [];
  let whole: NetlinkError | undefined;
  for await (const m of socket.events({ signal })) {
    // answers were lost with the events dropped: what the batch did is unknown
    if (m instanceof Overrun) throw new OverrunError();
    if (m.type !== NLMSG.ERROR) {
      // with echo, the kernel sends each object as committed, under its message's seq
      const at = m.seq - base - 1;
      if (options.echo && at >= 0 && at < n) {
        const ev = decodeEvent(m);
        if ("action" in ev && ev.action === "new") echoed[at] = objectOf(ev);
      }
      continue;
    }
    const i = m.seq - base - 1;
    if (i === -1) {
      const { errno, extAck } = parseAck(m);
      if (errno) {
        whole = new NetlinkError(errno, extAck, { operation: "nftables batch", seq: m.seq });
        break;
      }
      continue;
    }
    if (i < 0 || i >= n || answered.has(i)) continue;
    answered.add(i);
    const { errno, extAck } = parseAck(m);
    if (errno) {
      const op = batch.ops[i];
      const [start, end] = ranges[i];
      const where = extAck.offset === undefined
        ? undefined
        : locate(bytes, start, end, extAck.offset);
      const error = new NetlinkError(errno, extAck, {
        operation: `nftables ${op.op}`,
        seq: m.seq,
        type: bytes[start + 4] | (bytes[start + 5] << 8),
        attribute: where?.attribute,
      });
      failures.push({ index: i, op: op.op, object: op.object, label: op.label, error, ...where });
    }
    if (i === n - 1) {
      done = true;
      break;
    }
  }
  signal.throwIfAborted();
  if (whole) {
    const op = batch.ops[0];
    failures.unshift({
      index: -1,
      op: "commit",
      object: undefined,
      label: `batch of ${n} (first: ${op.label})`,
      error: whole,
    });
  }
  if (failures.length) {
    failures.sort((a, b) => a.index - b.index);
    throw new NftBatchError(failures);
  }
  if (!done) throw new Error("nftables batch: the kernel's answer ended early");
  return echoed;
}

/** An object the kernel echoes back: what a batch operation created. */
export type NftObject = NftTable | NftChain | NftRule | NftSet | NftFlowtable;

function objectOf(ev: NftEvent): NftObject | undefined {
  switch (ev.type) {
    case "table":
      return ev.table;
    case "chain":
      return ev.chain;
    case "rule":
      return ev.rule;
    case "set":
      return ev.set;
    case "flowtable":
      return ev.flowtable;
  }
  return undefined;
}

/** Names the attribute at `offset` (from the message's start) of the message in [start, end). */
function locate(
  bytes: Uint8Array,
  start: number,
  end: number,
  offset: number,
): { attribute?: string; expr?: number } {
  const at = start + offset;
  if (at < start + 20 || at >= end) return {};
  const type = bytes[start + 4] | (bytes[start + 5] << 8);
  const names = setOf(type);
  try {
    const ad = new AttributeDecoder(bytes, start + 20, end);
    while (ad.next()) {
      const begin = ad.offset - 4, stop = ad.offset + ad.length;
      if (at < begin || at >= stop) continue;
      const name = names ? nameIn(names, ad.type) : `type ${ad.type}`;
      if (type === MSG.newRule && ad.type === A.rule.expressions && at > begin) {
        const list = ad.nested();
        let i = 0;
        while (list.next()) {
          if (at >= list.offset - 4 && at < list.offset + list.length) {
            return { attribute: `expressions.elem[${i}]`, expr: i };
          }
          i++;
        }
      }
      return { attribute: name };
    }
  } catch {
    // a message the kernel could not parse: the offset is all there is
  }
  return {};
}

function nameIn(set: Readonly<Record<string, number>>, type: number): string {
  return nameOf(set, type) ?? `type ${type}`;
}

function setOf(type: number): Readonly<Record<string, number>> | undefined {
  switch (type) {
    case MSG.newTable:
    case MSG.delTable:
      return A.table;
    case MSG.newChain:
    case MSG.delChain:
      return A.chain;
    case MSG.newRule:
    case MSG.delRule:
      return A.rule;
    case MSG.newSet:
    case MSG.delSet:
      return A.set;
    case MSG.newSetElem:
    case MSG.delSetElem:
      return A.elemList;
    case MSG.newFlowtable:
    case MSG.delFlowtable:
      return A.flowtable;
  }
  return undefined;
}
