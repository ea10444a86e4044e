/**
 * What {@linkcode Conntrack.create} and {@linkcode Conntrack.update} take,
 * checked and encoded into the conntrack family's attributes.
 *
 * @module
 */
import {
  type ConntrackAttrs,
  type NatAttrs,
  NF_CT_STATUS,
  NF_CT_TCP_STATE,
} from "../families/conntrack.ts";
import { integer, named } from "../rtnl/check.ts";
import { isRecord } from "../ynl/values.ts";
import type { StatusName, TcpStateName } from "./entry.ts";
import { statusBits } from "./entry.ts";
import { encodeTuple, ipVersion, type TupleInput } from "./tuple.ts";

/** What `Conntrack.create` makes. */
export interface ConntrackCreate {
  /** The original tuple (whole: addresses, protocol, ports or ICMP fields). */
  orig: TupleInput;
  /** The reply tuple; default the inverse of `orig` (ports and addresses swapped). */
  reply?: TupleInput;
  /** Seconds until it expires. */
  timeout: number;
  /** The connection mark. */
  mark?: number;
  /** Its zone. */
  zone?: number;
  /** Status bits to set (e.g. `["seen-reply", "assured"]`; `confirmed` is added). */
  status?: readonly StatusName[] | number;
  /** For TCP: the state. */
  tcpState?: TcpStateName;
  /** Connection labels. */
  labels?: Uint8Array;
  /** Source NAT: the entry's reply comes back to this address (and port). */
  snat?: NatTarget;
  /** Destination NAT: the original direction goes to this address (and port). */
  dnat?: NatTarget;
}

/** Where a NAT of a created entry maps to. */
export interface NatTarget {
  /** The address, of the entry's family. */
  address: string;
  /** The port (tcp, udp). */
  port?: number;
}

/** What `Conntrack.update` changes of the entry whose `orig` tuple it names. */
export interface ConntrackUpdate {
  /** The entry's original tuple. */
  orig: TupleInput;
  /** The entry's zone. */
  zone?: number;
  /** A new timeout, in seconds. */
  timeout?: number;
  /** A new mark (under `markMask`: only those bits change). */
  mark?: number;
  /** Which bits of the mark to change. */
  markMask?: number;
  /**
   * The new status bits, all of them (`confirmed` is added; the kernel
   * refuses to clear seen-reply or assured: `EBUSY`).
   */
  status?: readonly StatusName[] | number;
  /** For TCP: the state. */
  tcpState?: TcpStateName;
  /** Connection labels (under `labelsMask`). */
  labels?: Uint8Array;
  /** Which label bits to change. */
  labelsMask?: Uint8Array;
}

/**
 * The fields of an update.
 *
 * @example
 * ```ts
 * import { UPDATE_KEYS } from "./change.ts";
 * UPDATE_KEYS.includes("mark"); // true
 * ```
 */
export const UPDATE_KEYS = [
  "orig",
  "zone",
  "timeout",
  "mark",
  "markMask",
  "status",
  "tcpState",
  "labels",
  "labelsMask",
];
/**
 * The fields of a create.
 *
 * @example
 * ```ts
 * import { CREATE_KEYS } from "./change.ts";
 * CREATE_KEYS.includes("snat"); // true
 * ```
 */
export const CREATE_KEYS = [
  "orig",
  "reply",
  "timeout",
  "mark",
  "zone",
  "status",
  "tcpState",
  "labels",
  "snat",
  "dnat",
];

/**
 * The `nat-attrs` of a NAT target, for an entry of IP version `v`.
 *
 * @example
 * ```ts
 * import { natAttrs } from "./change.ts";
 * natAttrs("snat", { address: "10.0.0.9", port: 6000 }, 4).natProto; // { natPortMin: 6000, natPortMax: 6000 }
 * ```
 */
export function natAttrs(what: string, t: NatTarget, v: 4 | 6): NatAttrs {
  keys(what, t, ["address", "port"]);
  if (ipVersion(`${what}.address`, t.address) !== v) {
    throw new TypeError(`${what}.address: not an IPv${v} address, as the entry is`);
  }
  const ip = encodeTuple(what, { src: t.address }).tupleIp!;
  const out: NatAttrs = v === 4
    ? { natV4Minip: ip.ipV4Src, natV4Maxip: ip.ipV4Src }
    : { natV6Minip: ip.ipV6Src, natV6Maxip: ip.ipV6Src };
  if (t.port !== undefined) {
    const port = integer(`${what}.port`, t.port, 1, 0xffff);
    out.natProto = { natPortMin: port, natPortMax: port };
  }
  return out;
}

/**
 * `x` when it is an object of only `valid` fields; else a TypeError naming `what`.
 *
 * @example
 * ```ts
 * import { keys } from "./change.ts";
 * keys("nat", { address: "10.0.0.1" }, ["address", "port"]);
 * ```
 */
export function keys(what: string, x: unknown, valid: readonly string[]): Record<string, unknown> {
  if (!isRecord(x)) throw new TypeError(`${what}: takes an object, got ${typeof x}`);
  for (const k of Object.keys(x)) {
    if (!valid.includes(k)) {
      throw new TypeError(`${what}: no field ${k}; valid: ${valid.join(", ")}`);
    }
  }
  return x;
}

/**
 * The attributes the changeable fields of a create or update encode to.
 *
 * @example
 * ```ts
 * import { changes } from "./change.ts";
 * const orig = { src: "10.0.0.1", dst: "10.0.0.2", protocol: "udp", sport: 1, dport: 2 } as const;
 * changes("update", { orig, mark: 7 }); // { mark: 7 }
 * ```
 */
export function changes(what: string, c: ConntrackCreate | ConntrackUpdate): ConntrackAttrs {
  const a: ConntrackAttrs = {};
  if (c.timeout !== undefined) a.timeout = integer(`${what}.timeout`, c.timeout, 0, 0xffffffff);
  if (c.mark !== undefined) a.mark = integer(`${what}.mark`, c.mark, 0, 0xffffffff);
  if ("markMask" in c && c.markMask !== undefined) {
    a.markMask = integer(`${what}.markMask`, c.markMask, 0, 0xffffffff);
  }
  if (c.zone !== undefined) a.zone = integer(`${what}.zone`, c.zone, 0, 0xffff);
  // the kernel keeps an entry it holds confirmed, and refuses a status that says otherwise
  if (c.status !== undefined) {
    a.status = (statusBits(`${what}.status`, c.status) | NF_CT_STATUS.confirmed) >>> 0;
  }
  if (c.tcpState !== undefined) {
    a.protoinfo = {
      protoinfoTcp: { tcpState: named(`${what}.tcpState`, NF_CT_TCP_STATE, c.tcpState) },
    };
  }
  if (c.labels !== undefined) a.labels = c.labels;
  if ("labelsMask" in c && c.labelsMask !== undefined) a.labelsMask = c.labelsMask;
  return a;
}
