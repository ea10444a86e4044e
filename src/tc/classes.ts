/**
 * htb classes with typed options: rate, ceil, burst, cburst, prio and
 * quantum turned into the tc spec's `htb-attrs`, and a dumped class's
 * options turned back.
 *
 * @module
 */
import type { Attrs } from "../ynl/struct.ts";
import { int, onlyKeys, opt } from "./check.ts";
import { ratespec, readRatespec } from "./qdiscs.ts";
import { parseRate, type Rate, type Size, xmitSize, xmitTicks } from "./units.ts";

/** An htb class. */
export interface HtbClass {
  /** `"htb"`. */
  kind: "htb";
  /** The rate it is guaranteed. */
  rate: Rate;
  /** The rate it may borrow up to (default: `rate`). */
  ceil?: Rate;
  /** Bytes it may send at once above `rate` (default 1600, as tc on a 1 GHz psched clock). */
  burst?: Size;
  /** Bytes it may send at once above `ceil` (default 1600). */
  cburst?: Size;
  /** Priority among siblings when borrowing (0 first, up to 7). */
  prio?: number;
  /** Bytes served per turn (default: the kernel's, from the qdisc's r2q). */
  quantum?: number;
}

/** A class kind and its options. */
export type ClassSpec = HtbClass;

/** What a dumped htb class's options say, in bytes per second and bytes. */
export interface HtbClassOptions {
  /** `"htb"`. */
  kind: "htb";
  /** Bytes per second. */
  rate: number;
  /** Bytes per second. */
  ceil: number;
  /** Bytes (the kernel keeps it as time at `rate`). */
  burst: number;
  /** Bytes (kept as time at `ceil`). */
  cburst: number;
  /** Priority. */
  prio: number;
  /** Quantum in bytes. */
  quantum: number;
  /** Level in the tree (0 for leaves). */
  level: number;
}

const U32 = 0xffffffff;
const DEFAULT_BURST = 1600;

/**
 * The `htb-attrs` of an htb class, checked before anything is sent.
 *
 * @example
 * ```ts
 * import { classOptions } from "./classes.ts";
 * classOptions({ kind: "htb", rate: "1mbit" }); // { parms: { rate: ..., buffer: 204800, ... } }
 * ```
 */
export function classOptions(spec: ClassSpec): Attrs {
  if (spec?.kind !== "htb") {
    throw new TypeError(`class: kind ${JSON.stringify(spec?.kind)} is not one of: htb`);
  }
  onlyKeys("htb class", spec, ["kind", "rate", "ceil", "burst", "cburst", "prio", "quantum"]);
  const rate = parseRate("htb class rate", spec.rate);
  const ceil = opt.rate("htb class ceil", spec.ceil) ?? rate;
  if (rate === 0 || ceil === 0) throw new RangeError("htb class: rate and ceil must be above 0");
  if (ceil < rate) throw new RangeError("htb class: ceil is below rate");
  const burst = opt.size("htb class burst", spec.burst) ?? DEFAULT_BURST;
  const cburst = opt.size("htb class cburst", spec.cburst) ?? DEFAULT_BURST;
  const o: Attrs = {
    parms: {
      rate: ratespec(rate),
      ceil: ratespec(ceil),
      buffer: xmitTicks(rate, burst),
      cbuffer: xmitTicks(ceil, cburst),
      quantum: spec.quantum === undefined ? 0 : int("htb class quantum", spec.quantum, 1, U32),
      prio: spec.prio === undefined ? 0 : int("htb class prio", spec.prio, 0, 7),
    },
  };
  if (rate > U32) o.rate64 = BigInt(rate);
  if (ceil > U32) o.ceil64 = BigInt(ceil);
  return o;
}

/**
 * A dumped class's options: typed for htb, as decoded for other kinds.
 *
 * @example
 * ```ts
 * import { readClassOptions } from "./classes.ts";
 * readClassOptions("drr", { quantum: 1514 }); // { kind: "drr", quantum: 1514 }
 * ```
 */
export function readClassOptions(
  kind: string,
  o: unknown,
): HtbClassOptions | { kind: string; [option: string]: unknown } {
  const a = (o instanceof Uint8Array || typeof o !== "object" || o === null ? {} : o) as Attrs;
  if (kind !== "htb") return { ...a, kind };
  const p = (a.parms ?? {}) as Attrs;
  const rate = a.rate64 !== undefined ? Number(a.rate64) : readRatespec(p.rate)?.rate ?? 0;
  const ceil = a.ceil64 !== undefined ? Number(a.ceil64) : readRatespec(p.ceil)?.rate ?? 0;
  return {
    kind: "htb",
    rate,
    ceil,
    burst: xmitSize(rate, (p.buffer as number) ?? 0),
    cburst: xmitSize(ceil, (p.cbuffer as number) ?? 0),
    prio: (p.prio as number) ?? 0,
    quantum: (p.quantum as number) ?? 0,
    level: (p.level as number) ?? 0,
  };
}
