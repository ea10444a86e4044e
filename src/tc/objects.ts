/**
 * What {@linkcode Tc} lists and takes: qdiscs, classes and filters as
 * dumped (their kind, handles, typed options and statistics), the specs
 * of filters and deletions, events; and the decoding of each from its
 * message.
 *
 * @module
 */
import type { Overrun } from "../errors.ts";
import type { Decoded } from "../ynl/family.ts";
import type { Attrs } from "../ynl/struct.ts";
import type { HtbClassOptions } from "./classes.ts";
import { readClassOptions } from "./classes.ts";
import { int } from "./check.ts";
import { type FilterOptions, type FilterOptionsSpec, readFilterOptions } from "./filters.ts";
import { formatHandle, type Handle } from "./handles.ts";
import { type QdiscOptions, readQdiscOptions } from "./qdisc_view.ts";
import { readStats, type TcStatistics } from "./stats.ts";

/** rtnetlink's tc multicast group (RTNLGRP_TC). */
export const RTNLGRP_TC = 4;

/** Ethernet protocols a filter applies to, by tc's names. */
export const ETH_P = {
  all: 0x0003,
  ip: 0x0800,
  arp: 0x0806,
  "802.1q": 0x8100,
  ipv6: 0x86dd,
} as const;

/** What qdiscs, classes and filters share. */
export interface TcObject {
  /** The link's index. */
  ifindex: number;
  /** The kind (`"htb"`, `"u32"`, ...). */
  kind: string;
  /** The handle as tc prints it (`"1:"`, `"1:10"`). */
  handle: string;
  /** The parent as tc prints it (`"root"`, `"1:"`, `"ffff:fff1"`). */
  parent: string;
  /** Statistics (`tc -s`). */
  stats?: TcStatistics;
  /** Every attribute as the tc spec decodes it. */
  attrs: Attrs;
}

/** A qdisc. */
export interface Qdisc extends TcObject {
  /** Its options, typed for the kinds of {@linkcode QdiscSpec}. */
  options: QdiscOptions;
}

/** A class. */
export interface TcClass extends TcObject {
  /** Its options, typed for htb. */
  options: HtbClassOptions | { kind: string; [option: string]: unknown };
}

/** A filter. */
export interface Filter extends TcObject {
  /** Its priority (tc's `pref`). */
  prio: number;
  /** The protocol by tc's name (`"ip"`, `"all"`), or the number. */
  protocol: string | number;
  /** The handle's number (u32's handles are `htid:hash:node`). */
  handleNumber: number;
  /** Its chain. */
  chain: number;
  /** Its options and actions; absent on the entries that stand for a priority's classifier. */
  options?: FilterOptions;
}

/** Where a qdisc sits and what it is called. */
export interface QdiscPlace {
  /** The parent (default `"root"`; ingress and clsact sit at `"ingress"`'s parent). */
  parent?: Handle;
  /** Its handle (`"1:"`); the kernel picks one when absent. */
  handle?: Handle;
  /**
   * A rate estimator, so that statistics carry bytes and packets per
   * second (`tc ... estimator`): `interval` -2..3 is 2^interval seconds
   * (-2: 250 ms), the average's time constant is interval × 2^`ewmaLog`.
   */
  estimator?: { interval: number; ewmaLog: number };
}

/** A filter: where it sits, which packets, and what happens to them. */
export type FilterSpec = FilterOptionsSpec & {
  /** The qdisc or class it is attached to (default `"root"`; `"ingress"`/`"egress"` for clsact). */
  parent?: Handle;
  /** Its priority (tc's `pref`): 1..65535; the kernel picks one when absent. */
  prio?: number;
  /** The protocol: `"ip"` (default), `"ipv6"`, `"all"`, `"arp"`, `"802.1q"` or the number. */
  protocol?: keyof typeof ETH_P | number;
  /** Its handle (the kernel picks one when absent). */
  handle?: number;
  /** Its chain. */
  chain?: number;
};

/** Which filter to delete. */
export interface FilterRef {
  /** The parent, as the filter was added. */
  parent?: Handle;
  /** Its priority; without it every filter of the parent goes. */
  prio?: number;
  /** Its protocol (default: any). */
  protocol?: keyof typeof ETH_P | number;
  /** Its handle (needs `prio` and the kind). */
  handle?: number;
  /** Its kind (with `handle`). */
  kind?: string;
}

/** A tc event: an object made, changed or deleted. */
export type TcEvent =
  | { kind: "qdisc"; action: "new" | "del"; qdisc: Qdisc }
  | { kind: "class"; action: "new" | "del"; class: TcClass }
  | { kind: "filter"; action: "new" | "del"; filter: Filter }
  | Overrun;

const PROTO_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ETH_P).map(([k, v]) => [v, k]),
);

/**
 * A filter's protocol number, from tc's name or the number (default ip).
 *
 * @example
 * ```ts
 * import { protocolNumber } from "./objects.ts";
 * protocolNumber("ipv6"); // 0x86dd
 * ```
 */
export function protocolNumber(p: FilterSpec["protocol"]): number {
  if (p === undefined) return ETH_P.ip;
  if (typeof p === "number") return int("filter protocol", p, 0, 0xffff);
  if (typeof p === "string" && Object.hasOwn(ETH_P, p)) return ETH_P[p];
  throw new TypeError(
    `filter protocol: ${JSON.stringify(p)} is not one of ${
      Object.keys(ETH_P).join(", ")
    } or a number`,
  );
}

/**
 * A 16-bit number in network byte order (tcm_info's protocol).
 *
 * @example
 * ```ts
 * import { htons } from "./objects.ts";
 * htons(0x0800); // 0x0008
 * ```
 */
export const htons = (x: number): number => ((x & 0xff) << 8) | ((x >> 8) & 0xff);

/**
 * A u32 handle as tc prints it (`"800:"`, `"800::800"`), any other kind's
 * as hex (`"0x1"`).
 *
 * @example
 * ```ts
 * import { filterHandleText } from "./client.ts";
 * filterHandleText("u32", 0x80000800); // "800::800"
 * ```
 */
export function filterHandleText(kind: string, h: number): string {
  if (h === 0) return "";
  if (kind !== "u32") return `0x${h.toString(16)}`;
  const ht = h >>> 20;
  const hash = (h >>> 12) & 0xff;
  const node = h & 0xfff;
  const part = (x: number) => (x ? x.toString(16) : "");
  return node || hash ? `${part(ht)}:${part(hash)}:${part(node)}` : `${part(ht)}:`;
}

/** A decoded tc message: the parts every object has. */
function base(d: Decoded): TcObject {
  const h = d.header as { ifindex?: number; handle?: number; parent?: number };
  const stats = readStats(d.attrs);
  return {
    ifindex: h.ifindex ?? 0,
    kind: String(d.attrs.kind ?? ""),
    handle: formatHandle(h.handle ?? 0),
    parent: formatHandle(h.parent ?? 0),
    ...(stats ? { stats } : {}),
    attrs: d.attrs,
  };
}

/**
 * A qdisc from its decoded message.
 *
 * @example
 * ```ts ignore
 * import { toQdisc } from "./objects.ts";
 * toQdisc(family.decode(message));
 * ```
 */
export function toQdisc(d: Decoded): Qdisc {
  const b = base(d);
  return { ...b, options: readQdiscOptions(b.kind, d.attrs.options) };
}

/**
 * A class from its decoded message.
 *
 * @example
 * ```ts ignore
 * import { toClass } from "./objects.ts";
 * toClass(family.decode(message));
 * ```
 */
export function toClass(d: Decoded): TcClass {
  const b = base(d);
  return { ...b, options: readClassOptions(b.kind, d.attrs.options) };
}

/**
 * A filter from its decoded message.
 *
 * @example
 * ```ts ignore
 * import { toFilter } from "./objects.ts";
 * toFilter(family.decode(message));
 * ```
 */
export function toFilter(d: Decoded): Filter {
  const b = base(d);
  const h = d.header as { handle?: number; info?: number };
  const info = h.info ?? 0;
  const proto = htons(info & 0xffff);
  const handle = h.handle ?? 0;
  return {
    ...b,
    handle: filterHandleText(b.kind, handle),
    handleNumber: handle,
    prio: info >>> 16,
    protocol: PROTO_NAMES[proto] ?? proto,
    chain: (d.attrs.chain as number) ?? 0,
    ...(d.attrs.options !== undefined
      ? { options: readFilterOptions(b.kind, d.attrs.options) }
      : {}),
  };
}
