/**
 * The options of a dumped qdisc in the shape `QdiscSpec` gives
 * them (bytes per second, bytes, microseconds, percentages), read from
 * the tc spec's decoding of its `options`.
 *
 * @module
 */
import type { Attrs } from "../ynl/struct.ts";
import type { FqCodelAttrs, TcHtbGlob, TcPrioQopt } from "../families/tc.ts";
import { percent } from "./check.ts";
import { readRatespec } from "./qdiscs.ts";
import { NS_PER_TICK, xmitSize } from "./units.ts";

/** The typed options of a dumped qdisc: those of its `QdiscSpec`, as numbers. */
export type QdiscOptions =
  | {
    kind: "htb";
    version: number;
    r2q: number;
    defaultClass: number;
    directPackets: number;
    directQlen?: number;
  }
  | { kind: "tbf"; rate: number; burst: number; limit: number; mtu: number; peakrate?: number }
  | {
    kind: "netem";
    delay: number;
    jitter: number;
    loss: number;
    duplicate: number;
    limit: number;
    gap: number;
  }
  | {
    kind: "fq_codel";
    limit?: number;
    flows?: number;
    target?: number;
    interval?: number;
    quantum?: number;
    ecn?: boolean;
    ceThreshold?: number;
    memoryLimit?: number;
    dropBatchSize?: number;
  }
  | { kind: "prio"; bands: number; priomap: number[] }
  | { kind: "ingress" | "clsact" }
  | { kind: string; [option: string]: unknown };

/**
 * The options of a dumped qdisc of `kind`, from the decoded `options`
 * attribute, in the units `QdiscSpec` takes (bytes per second,
 * bytes, microseconds, percentages). Kinds without a typed view stay as
 * the spec decodes them.
 *
 * @example
 * ```ts
 * import { readQdiscOptions } from "./qdiscs.ts";
 * readQdiscOptions("ingress", {}); // { kind: "ingress" }
 * ```
 */
export function readQdiscOptions(kind: string, o: unknown): QdiscOptions {
  const a = (o instanceof Uint8Array || typeof o !== "object" || o === null ? {} : o) as Attrs;
  switch (kind) {
    case "htb": {
      const g = (a.init ?? {}) as TcHtbGlob;
      return {
        kind,
        version: g.version ?? 0,
        r2q: g.rate2quantum ?? 0,
        defaultClass: g.defcls ?? 0,
        directPackets: g.directPkts ?? 0,
        ...(a.directQlen !== undefined ? { directQlen: a.directQlen as number } : {}),
      };
    }
    case "tbf": {
      const p = (a.parms ?? {}) as Attrs;
      const r = readRatespec(p.rate);
      const pr = readRatespec(p.peakrate);
      const rate = a.rate64 !== undefined ? Number(a.rate64) : r?.rate ?? 0;
      const peak = a.prate64 !== undefined ? Number(a.prate64) : pr?.rate ?? 0;
      return {
        kind,
        rate,
        burst: xmitSize(rate, (p.buffer as number) ?? 0),
        limit: (p.limit as number) ?? 0,
        mtu: peak ? xmitSize(peak, (p.mtu as number) ?? 0) : (p.mtu as number) ?? 0,
        ...(peak ? { peakrate: peak } : {}),
      };
    }
    case "netem": {
      const us = (ticks: unknown, ns: unknown) =>
        ns !== undefined
          ? Number(ns as bigint) / 1000
          : Math.round(((ticks as number) ?? 0) * NS_PER_TICK / 1000);
      return {
        kind,
        delay: us(a.latency, a.latency64),
        jitter: us(a.jitter, a.jitter64),
        loss: percent((a.loss as number) ?? 0),
        duplicate: percent((a.duplicate as number) ?? 0),
        limit: (a.limit as number) ?? 0,
        gap: (a.gap as number) ?? 0,
      };
    }
    case "fq_codel": {
      const f = a as FqCodelAttrs;
      const out: QdiscOptions = { kind };
      for (
        const k of [
          "limit",
          "flows",
          "target",
          "interval",
          "quantum",
          "ceThreshold",
          "memoryLimit",
          "dropBatchSize",
        ] as const
      ) {
        if (f[k] !== undefined) (out as Record<string, unknown>)[k] = f[k];
      }
      if (f.ecn !== undefined) out.ecn = f.ecn !== 0;
      return out;
    }
    case "prio":
    case "pfifo_fast": {
      const p = a as TcPrioQopt;
      return { kind, bands: p.bands ?? 0, priomap: [...(p.priomap ?? [])] } as QdiscOptions;
    }
    case "ingress":
    case "clsact":
      return { kind };
    default:
      return { ...a, kind };
  }
}
