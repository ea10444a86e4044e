/**
 * Per-object statistics as `tc -s` shows them: bytes and packets, the
 * queue's drops, overlimits, requeues, backlog and length, the rate
 * estimator's bytes and packets per second, and the kind's extended
 * statistics where the tc spec describes them (fq_codel, codel, fq, ...).
 *
 * @module
 */
import type { Attrs } from "../ynl/struct.ts";
import type {
  GnetStatsBasic,
  GnetStatsQueue,
  GnetStatsRateEst,
  GnetStatsRateEst64,
  TcaStatsAttrs,
  TcStats,
} from "../families/tc.ts";

/** What `tc -s` shows of a qdisc, class, filter or action. */
export interface TcStatistics {
  /** Bytes sent (or matched). */
  bytes: bigint;
  /** Packets sent (or matched). */
  packets: number;
  /** Packets dropped. */
  drops: number;
  /** Times the object was over its limit. */
  overlimits: number;
  /** Packets requeued. */
  requeues: number;
  /** Bytes waiting. */
  backlog: number;
  /** Packets waiting. */
  qlen: number;
  /** Bytes per second, from the rate estimator (when one runs). */
  bps?: bigint;
  /** Packets per second, from the rate estimator (when one runs). */
  pps?: bigint;
  /** The kind's extended statistics (`xstats`), decoded by the spec where it can. */
  xstats?: Record<string, unknown> | Uint8Array;
}

/**
 * The statistics of a decoded tc message: `stats2` (the nest every current
 * kernel sends), or the old `stats` struct, with `xstats` alongside.
 *
 * @example
 * ```ts
 * import { readStats } from "./stats.ts";
 * readStats({ stats2: { basic: { bytes: 90n, packets: 1 } } })?.packets; // 1
 * ```
 */
export function readStats(attrs: Attrs): TcStatistics | undefined {
  const s2 = attrs.stats2 as TcaStatsAttrs | undefined;
  const old = attrs.stats as TcStats | undefined;
  if (!s2 && !old) return undefined;
  const basic: GnetStatsBasic = s2?.basic ?? {};
  const queue: GnetStatsQueue = s2?.queue ?? {};
  const est64: GnetStatsRateEst64 | undefined = s2?.rateEst64;
  const est: GnetStatsRateEst | undefined = s2?.rateEst;
  const out: TcStatistics = {
    bytes: basic.bytes ?? old?.bytes ?? 0n,
    packets: basic.packets ?? old?.packets ?? 0,
    drops: queue.drops ?? old?.drops ?? 0,
    overlimits: queue.overlimits ?? old?.overlimits ?? 0,
    requeues: queue.requeues ?? 0,
    backlog: queue.backlog ?? old?.backlog ?? 0,
    qlen: queue.qlen ?? old?.qlen ?? 0,
  };
  if (est64) {
    out.bps = est64.bps;
    out.pps = est64.pps;
  } else if (est) {
    out.bps = BigInt(est.bps ?? 0);
    out.pps = BigInt(est.pps ?? 0);
  }
  const x = attrs.xstats ?? s2?.app;
  if (x !== undefined) out.xstats = x as Record<string, unknown> | Uint8Array;
  return out;
}
