/**
 * {@linkcode ConntrackEntry}: one connection tracking entry as the kernel
 * reports it (a dump, a get or an event), decoded from the generated
 * conntrack family into text, numbers and names.
 *
 * @module
 */
import { AF } from "../address.ts";
import {
  type ConntrackAttrs,
  NF_CT_STATUS,
  NF_CT_TCP_STATE,
  type Nfgenmsg,
} from "../families/conntrack.ts";
import type { Decoded } from "../ynl/family.ts";
import { decodeTuple, type Tuple } from "./tuple.ts";
import { unknownName } from "../suggest.ts";

/** A status flag's name, as the spec's `nf-ct-status` names it (`"assured"`, `"seen-reply"`). */
export type StatusName = keyof typeof NF_CT_STATUS;

/** A TCP state's name, as the spec's `nf-ct-tcp-state` names it (`"established"`). */
export type TcpStateName = keyof typeof NF_CT_TCP_STATE;

/** Packets and bytes of one direction (with `nf_conntrack_acct` on). */
export interface Counters {
  /** Packets seen. */
  packets: bigint;
  /** Bytes seen. */
  bytes: bigint;
}

/** One conntrack entry. */
export interface ConntrackEntry {
  /** 4 or 6. */
  family: 4 | 6;
  /** The original direction. */
  orig: Tuple;
  /** The reply direction (differs from the inverse of `orig` under NAT). */
  reply: Tuple;
  /** The master connection's original tuple, for an expected (related) one. */
  master?: Tuple;
  /** The status bits. */
  status: number;
  /** The status bits by name, in the spec's order. */
  statusNames: StatusName[];
  /** Seconds until it expires (absent for a destroyed one). */
  timeout?: number;
  /** The connection mark. */
  mark?: number;
  /** The zone (absent: the default zone, 0). */
  zone?: number;
  /** The kernel's id of the entry. */
  id?: number;
  /** Its reference count. */
  use?: number;
  /** Counters of the original direction. */
  countersOrig?: Counters;
  /** Counters of the reply direction. */
  countersReply?: Counters;
  /** For TCP: the state's name. */
  tcpState?: TcpStateName;
  /** The helper's name, when one is attached. */
  helper?: string;
  /** Connection labels (a bit set). */
  labels?: Uint8Array;
  /** Start and stop times in ns (with `nf_conntrack_timestamp` on). */
  timestamp?: { start?: bigint; stop?: bigint };
  /** Everything the kernel sent, decoded by the generated family. */
  attrs: ConntrackAttrs;
}

const STATUS = Object.entries(NF_CT_STATUS) as [StatusName, number][];
const TCP_STATE_NAMES = new Map<number, TcpStateName>(
  Object.entries(NF_CT_TCP_STATE).map(([k, v]) => [v, k as TcpStateName]),
);

/**
 * The names of the status bits set in `status`.
 *
 * @example
 * ```ts
 * import { statusNames } from "./entry.ts";
 * statusNames(0b1110); // ["seen-reply", "assured", "confirmed"]
 * ```
 */
export function statusNames(status: number): StatusName[] {
  // a table holds a few status words: each one's names are read once, then copied
  let names = STATUS_NAMES.get(status);
  if (!names) {
    names = STATUS.filter(([, bit]) => (status & bit) !== 0).map(([name]) => name);
    if (STATUS_NAMES.size < 1024) STATUS_NAMES.set(status, names);
  }
  return names.slice();
}

const STATUS_NAMES = new Map<number, StatusName[]>();

/**
 * Status bits from names (or a number as is); an unknown name is a
 * TypeError naming the nearest and the valid ones.
 *
 * @example
 * ```ts
 * import { statusBits } from "./entry.ts";
 * statusBits("status", ["assured", "seen-reply"]); // 6
 * ```
 */
export function statusBits(what: string, x: readonly StatusName[] | number): number {
  if (typeof x === "number") {
    if (Number.isInteger(x) && x >= 0 && x <= 0xffffffff) return x;
    throw new RangeError(`${what}: ${x} is not a u32 of status bits`);
  }
  if (!Array.isArray(x)) {
    throw new TypeError(`${what}: takes status names or a number, got ${typeof x}`);
  }
  let bits = 0;
  for (const n of x) {
    if (typeof n !== "string" || !Object.hasOwn(NF_CT_STATUS, n)) {
      throw new TypeError(
        `${what}: ${unknownName("status", String(n), Object.keys(NF_CT_STATUS))}`,
      );
    }
    bits |= NF_CT_STATUS[n as StatusName];
  }
  return bits >>> 0;
}

function counters(c: ConntrackAttrs["countersOrig"]): Counters | undefined {
  if (c?.packets === undefined && c?.bytes === undefined) return undefined;
  return { packets: c.packets ?? 0n, bytes: c.bytes ?? 0n };
}

/**
 * A decoded conntrack message (a reply of `get`, or an event) as an entry.
 *
 * @example
 * ```ts ignore
 * import { FamilyClient } from "../ynl/family.ts";
 * import { conntrack } from "../families/conntrack.ts";
 * import { toEntry } from "./entry.ts";
 * const client = await FamilyClient.open(conntrack);
 * for await (const d of client.dump("get", { header: {} })) console.log(toEntry(d));
 * ```
 */
export function toEntry(d: Decoded<Nfgenmsg, ConntrackAttrs>): ConntrackEntry {
  const a = d.attrs;
  const status = a.status ?? 0;
  const e: ConntrackEntry = {
    family: d.header.nfgenFamily === AF.INET6 ? 6 : 4,
    orig: decodeTuple(a.tupleOrig),
    reply: decodeTuple(a.tupleReply),
    status,
    statusNames: statusNames(status),
    attrs: a,
  };
  if (a.tupleMaster) e.master = decodeTuple(a.tupleMaster);
  if (a.timeout !== undefined) e.timeout = a.timeout;
  if (a.mark !== undefined) e.mark = a.mark;
  if (a.zone !== undefined) e.zone = a.zone;
  if (a.id !== undefined) e.id = a.id;
  if (a.use !== undefined) e.use = a.use;
  const co = counters(a.countersOrig), cr = counters(a.countersReply);
  if (co) e.countersOrig = co;
  if (cr) e.countersReply = cr;
  const tcp = a.protoinfo?.protoinfoTcp?.tcpState;
  if (tcp !== undefined) e.tcpState = TCP_STATE_NAMES.get(tcp);
  if (a.help?.helpName !== undefined) e.helper = a.help.helpName;
  if (a.labels) e.labels = a.labels.slice();
  if (a.timestamp) e.timestamp = { start: a.timestamp.start, stop: a.timestamp.stop };
  return e;
}
