/**
 * Qdisc kinds with typed options: what {@linkcode Tc.addQdisc} takes
 * (`{ kind: "tbf", rate: "1mbit", burst: "32k", latency: "400ms" }`) turned
 * into the tc spec's option attributes, and the options of a dumped qdisc
 * turned back into the same shape.
 *
 * @module
 */
import { decodeStruct, structBytes } from "../ynl/codec.ts";
import type { Attrs } from "../ynl/struct.ts";
import { isRecord } from "../ynl/values.ts";
import type {
  FqCodelAttrs,
  HtbAttrs,
  NetemAttrs,
  TbfAttrs,
  TcHtbGlob,
  TcNetemQopt,
  TcPrioQopt,
} from "../families/tc.ts";
import { int, onlyKeys, opt, probability } from "./check.ts";
import { parseHandle } from "./handles.ts";
import { tc } from "../families/tc.ts";
import {
  LINKLAYER_ETHERNET,
  NS_PER_TICK,
  parseRate,
  parseSize,
  parseTime,
  type Rate,
  type RateSpec,
  type Size,
  type Time,
  xmitTicks,
} from "./units.ts";

/** htb's qdisc: the class unclassified traffic goes to, and its quantum divisor. */
export interface HtbQdisc {
  /** `"htb"`. */
  kind: "htb";
  /** The minor of the default class (`0x10` for 1:10, or `"1:10"`); 0 sends it direct. */
  defaultClass?: number | string;
  /** Rate to quantum divisor (tc's r2q, default 10). */
  r2q?: number;
  /** Packets the direct queue holds. */
  directQlen?: number;
}

/** tbf: a token bucket. */
export interface TbfQdisc {
  /** `"tbf"`. */
  kind: "tbf";
  /** The rate. */
  rate: Rate;
  /** The bucket's size. */
  burst: Size;
  /** Bytes that may wait for tokens; give this or `latency`. */
  limit?: Size;
  /** The longest a packet may wait (the limit then is rate × latency + burst). */
  latency?: Time;
  /** A peak rate (then `mtu` is the peak bucket). */
  peakrate?: Rate;
  /** The peak bucket's size (with `peakrate`). */
  mtu?: Size;
}

/** netem: delay, jitter, loss and duplication. */
export interface NetemQdisc {
  /** `"netem"`. */
  kind: "netem";
  /** Added delay. */
  delay?: Time;
  /** Random variation of the delay. */
  jitter?: Time;
  /** Percentage of packets lost (random loss). */
  loss?: number;
  /** Percentage of packets duplicated. */
  duplicate?: number;
  /** Packets the queue holds (default 1000, as tc). */
  limit?: number;
}

/** fq_codel: fair queueing with CoDel. */
export interface FqCodelQdisc {
  /** `"fq_codel"`. */
  kind: "fq_codel";
  /** Packets the qdisc holds. */
  limit?: number;
  /** Number of flows. */
  flows?: number;
  /** Acceptable queue delay. */
  target?: Time;
  /** Interval of the control loop. */
  interval?: Time;
  /** Bytes dequeued from a flow at a time. */
  quantum?: number;
  /** Mark with ECN instead of dropping. */
  ecn?: boolean;
  /** Queue delay above which packets are CE-marked. */
  ceThreshold?: Time;
  /** Memory the qdisc may use. */
  memoryLimit?: Size;
  /** Packets dropped at once when over the limit. */
  dropBatchSize?: number;
}

/** prio: bands served by priority. */
export interface PrioQdisc {
  /** `"prio"`. */
  kind: "prio";
  /** Bands (2..16, default 3). */
  bands?: number;
  /** The band of each of the 16 priorities (default tc's 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1). */
  priomap?: readonly number[];
}

/** ingress or clsact: hooks for filters, no options. */
export interface HookQdisc {
  /** `"ingress"` or `"clsact"`. */
  kind: "ingress" | "clsact";
}

/** A qdisc kind and its options. */
export type QdiscSpec = HtbQdisc | TbfQdisc | NetemQdisc | FqCodelQdisc | PrioQdisc | HookQdisc;

/** The kinds {@linkcode QdiscSpec} covers. */
export const QDISC_KINDS = [
  "htb",
  "tbf",
  "netem",
  "fq_codel",
  "prio",
  "ingress",
  "clsact",
] as const;

const PRIOMAP = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
const U32 = 0xffffffff;

/**
 * The bytes of a `struct tc_ratespec` for `rate` (bytes per second; over
 * u32 it is capped and the rate travels in a 64-bit attribute too).
 *
 * @example
 * ```ts
 * import { ratespec } from "./qdiscs.ts";
 * ratespec(125000).length; // 12
 * ```
 */
export function ratespec(rate: number, extra: Partial<RateSpec> = {}): Uint8Array {
  return structBytes(tc, "tc-ratespec", {
    linklayer: LINKLAYER_ETHERNET,
    rate: Math.min(rate, U32),
    ...extra,
  } as Attrs);
}

/**
 * A ratespec as a struct that holds one decodes it (an object of its
 * fields), or its bytes, decoded.
 */
export function readRatespec(v: unknown): RateSpec | undefined {
  if (v instanceof Uint8Array) {
    return v.length >= tc.structs["tc-ratespec"].size
      ? decodeStruct(tc, "tc-ratespec", v) as unknown as RateSpec
      : undefined;
  }
  return isRecord(v) && typeof v.rate === "number" ? v as unknown as RateSpec : undefined;
}

/**
 * The option attributes (the tc spec's `options-msg` of the kind) of a
 * qdisc spec, checked: an option the kind does not take, or a value out of
 * range, is a TypeError/RangeError before anything is sent.
 *
 * @example
 * ```ts
 * import { qdiscOptions } from "./qdiscs.ts";
 * qdiscOptions({ kind: "htb", defaultClass: 0x10 }); // { init: { version: 3, ... } }
 * ```
 */
export function qdiscOptions(spec: QdiscSpec): Attrs {
  switch (spec.kind) {
    case "htb": {
      onlyKeys("htb", spec, ["kind", "defaultClass", "r2q", "directQlen"]);
      const def = spec.defaultClass;
      const init: TcHtbGlob = {
        version: 3,
        rate2quantum: spec.r2q === undefined ? 10 : int("htb r2q", spec.r2q, 1, U32),
        defcls: def === undefined
          ? 0
          : typeof def === "string"
          ? parseHandle("htb defaultClass", def.includes(":") ? def : `:${def}`) & 0xffff
          : int("htb defaultClass", def, 0, 0xffff),
      };
      const o: HtbAttrs = { init };
      if (spec.directQlen !== undefined) {
        o.directQlen = int("htb directQlen", spec.directQlen, 0, U32);
      }
      return o as Attrs;
    }
    case "tbf": {
      onlyKeys("tbf", spec, ["kind", "rate", "burst", "limit", "latency", "peakrate", "mtu"]);
      const rate = parseRate("tbf rate", spec.rate);
      if (rate === 0) throw new RangeError("tbf rate: must be above 0");
      const burst = parseSize("tbf burst", spec.burst);
      if ((spec.limit === undefined) === (spec.latency === undefined)) {
        throw new TypeError("tbf: give one of limit and latency");
      }
      const peak = opt.rate("tbf peakrate", spec.peakrate);
      const mtu = opt.size("tbf mtu", spec.mtu) ?? 0;
      const limit = spec.limit !== undefined ? parseSize("tbf limit", spec.limit) : Math.min(
        Math.floor(rate * parseTime("tbf latency", spec.latency!) / 1e6) + burst,
        U32,
      );
      const o: TbfAttrs & Attrs = {
        parms: {
          rate: ratespec(rate),
          peakrate: peak ? ratespec(peak) : new Uint8Array(12),
          limit,
          buffer: xmitTicks(rate, burst),
          mtu: peak ? xmitTicks(peak, mtu) : 0,
        } as Attrs,
        burst,
      };
      if (rate > U32) o.rate64 = BigInt(rate);
      if (peak) {
        o.pburst = mtu;
        if (peak > U32) o.prate64 = BigInt(peak);
      }
      return o;
    }
    case "netem": {
      onlyKeys("netem", spec, ["kind", "delay", "jitter", "loss", "duplicate", "limit"]);
      const delay = opt.time("netem delay", spec.delay) ?? 0;
      const jitter = opt.time("netem jitter", spec.jitter) ?? 0;
      const ticks = (us: number) => Math.min(Math.floor(us * 1000 / NS_PER_TICK), U32);
      const qopt: TcNetemQopt = {
        latency: ticks(delay),
        jitter: ticks(jitter),
        limit: spec.limit === undefined ? 1000 : int("netem limit", spec.limit, 0, U32),
        loss: spec.loss === undefined ? 0 : probability("netem loss", spec.loss),
        duplicate: spec.duplicate === undefined
          ? 0
          : probability("netem duplicate", spec.duplicate),
      };
      const attrs: NetemAttrs = {};
      if (delay) attrs.latency64 = BigInt(delay) * 1000n;
      if (jitter) attrs.jitter64 = BigInt(jitter) * 1000n;
      return { ...qopt, ...attrs } as Attrs;
    }
    case "fq_codel": {
      const keys = [
        "kind",
        "limit",
        "flows",
        "target",
        "interval",
        "quantum",
        "ecn",
        "ceThreshold",
        "memoryLimit",
        "dropBatchSize",
      ];
      onlyKeys("fq_codel", spec, keys);
      const o: FqCodelAttrs = {};
      if (spec.limit !== undefined) o.limit = int("fq_codel limit", spec.limit, 1, U32);
      if (spec.flows !== undefined) o.flows = int("fq_codel flows", spec.flows, 1, 65536);
      if (spec.target !== undefined) o.target = parseTime("fq_codel target", spec.target);
      if (spec.interval !== undefined) o.interval = parseTime("fq_codel interval", spec.interval);
      if (spec.quantum !== undefined) o.quantum = int("fq_codel quantum", spec.quantum, 1, U32);
      if (spec.ecn !== undefined) o.ecn = spec.ecn ? 1 : 0;
      if (spec.ceThreshold !== undefined) {
        o.ceThreshold = parseTime("fq_codel ceThreshold", spec.ceThreshold);
      }
      if (spec.memoryLimit !== undefined) {
        o.memoryLimit = parseSize("fq_codel memoryLimit", spec.memoryLimit);
      }
      if (spec.dropBatchSize !== undefined) {
        o.dropBatchSize = int("fq_codel dropBatchSize", spec.dropBatchSize, 1, U32);
      }
      return o as Attrs;
    }
    case "prio": {
      onlyKeys("prio", spec, ["kind", "bands", "priomap"]);
      const bands = spec.bands === undefined ? 3 : int("prio bands", spec.bands, 2, 16);
      const map = spec.priomap ?? PRIOMAP;
      if (!Array.isArray(map) || map.length > 16) {
        throw new TypeError("prio priomap: takes up to 16 band numbers");
      }
      const priomap = new Uint8Array(16).fill(0);
      map.forEach((b, i) => priomap[i] = int(`prio priomap[${i}]`, b, 0, bands - 1));
      const o: TcPrioQopt = { bands, priomap };
      return o as Attrs;
    }
    case "ingress":
    case "clsact":
      onlyKeys(spec.kind, spec, ["kind"]);
      return {};
    default: {
      const kind = (spec as { kind?: unknown }).kind;
      throw new TypeError(
        `qdisc: kind ${JSON.stringify(kind)} has no typed options here; valid: ${
          QDISC_KINDS.join(", ")
        }`,
      );
    }
  }
}
