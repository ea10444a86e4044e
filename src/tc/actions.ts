/**
 * Actions filters run: gact (a verdict: drop, pass, ...), mirred (redirect
 * or mirror to another link) and police (a rate with a verdict for
 * traffic over it), turned into the tc spec's `act-attrs`, and dumped
 * actions turned back.
 *
 * @module
 */
import type { Attrs } from "../ynl/struct.ts";
import { TC_MIRRED_EACTION as EACTION, type TcaStatsAttrs, type TcGact } from "../families/tc.ts";
import { int, onlyKeys, opt } from "./check.ts";
import { TC_ACT, type Verdict, verdict, verdictName } from "./handles.ts";
import { ratespec, readRatespec } from "./qdiscs.ts";
import { readStats, type TcStatistics } from "./stats.ts";
import {
  parseRate,
  parseSize,
  type Rate,
  rateTable,
  type Size,
  xmitSize,
  xmitTicks,
} from "./units.ts";

/** A generic action: its verdict. */
export interface GactAction {
  /** `"gact"`. */
  kind: "gact";
  /** `"drop"`, `"pass"`, `"pipe"`, `"reclassify"`, `"continue"`, ... */
  verdict: Verdict;
  /** The action's index (the kernel picks one when absent). */
  index?: number;
}

/** Redirects or mirrors packets to another link. */
export interface MirredAction {
  /** `"mirred"`. */
  kind: "mirred";
  /** Redirect (the packet goes there instead) or mirror (a copy goes there). */
  mode: "redirect" | "mirror";
  /** The target link, by name or index. */
  dev: string | number;
  /** Into the target's egress (default) or its ingress. */
  direction?: "egress" | "ingress";
  /** The verdict after (default: stolen for redirect, pipe for mirror, as tc). */
  verdict?: Verdict;
  /** The action's index. */
  index?: number;
}

/** Polices traffic to a rate. */
export interface PoliceAction {
  /** `"police"`. */
  kind: "police";
  /** The rate. */
  rate: Rate;
  /** The bucket. */
  burst: Size;
  /** Largest packet size (default 2047 bytes' cells, as tc). */
  mtu?: Size;
  /** What traffic over the rate gets (default "reclassify", as tc). */
  exceed?: Verdict;
  /** What traffic within the rate gets (default "ok"). */
  conform?: Verdict;
  /** The action's index. */
  index?: number;
}

/** An action and its options. */
export type ActionSpec = GactAction | MirredAction | PoliceAction;

/** mirred's eaction values (TCA_EGRESS_REDIR ..., the generated `tc-mirred-eaction`). */
export const MIRRED_EACTION = {
  egressRedirect: EACTION["egress-redir"],
  egressMirror: EACTION["egress-mirror"],
  ingressRedirect: EACTION["ingress-redir"],
  ingressMirror: EACTION["ingress-mirror"],
} as const;

/**
 * The `act-attrs` of one action; `ifindex` resolves mirred's link names.
 *
 * @example
 * ```ts
 * import { actionAttrs } from "./actions.ts";
 * await actionAttrs({ kind: "gact", verdict: "drop" }, () => Promise.resolve(1));
 * ```
 */
export async function actionAttrs(
  spec: ActionSpec,
  ifindex: (name: string) => Promise<number>,
): Promise<Attrs> {
  const index = (s: { index?: number }) =>
    s.index === undefined ? 0 : int(`${spec.kind} index`, s.index, 1, 0xffffffff);
  switch (spec?.kind) {
    case "gact": {
      onlyKeys("gact", spec, ["kind", "verdict", "index"]);
      const parms: TcGact = { index: index(spec), action: verdict("gact verdict", spec.verdict) };
      return { kind: "gact", options: { parms } };
    }
    case "mirred": {
      onlyKeys("mirred", spec, ["kind", "mode", "dev", "direction", "verdict", "index"]);
      if (spec.mode !== "redirect" && spec.mode !== "mirror") {
        throw new TypeError(
          `mirred mode: "redirect" or "mirror", got ${JSON.stringify(spec.mode)}`,
        );
      }
      const dir = spec.direction ?? "egress";
      if (dir !== "egress" && dir !== "ingress") {
        throw new TypeError(`mirred direction: "egress" or "ingress", got ${JSON.stringify(dir)}`);
      }
      const eaction = MIRRED_EACTION[`${dir}${spec.mode === "redirect" ? "Redirect" : "Mirror"}`];
      const dev = typeof spec.dev === "number"
        ? int("mirred dev", spec.dev, 1, 0x7fffffff)
        : await ifindex(spec.dev);
      const action = spec.verdict !== undefined
        ? verdict("mirred verdict", spec.verdict)
        : spec.mode === "redirect"
        ? TC_ACT.stolen
        : TC_ACT.pipe;
      return {
        kind: "mirred",
        options: { parms: { index: index(spec), action, eaction, ifindex: dev } },
      };
    }
    case "police": {
      onlyKeys("police", spec, ["kind", "rate", "burst", "mtu", "exceed", "conform", "index"]);
      const rate = parseRate("police rate", spec.rate);
      if (rate === 0) throw new RangeError("police rate: must be above 0");
      if (rate > 0xffffffff) throw new RangeError("police rate: at most 4294967295 bytes/s here");
      const burst = parseSize("police burst", spec.burst);
      const mtu = opt.size("police mtu", spec.mtu) ?? 0;
      const { spec: rs, table } = rateTable(rate, mtu || 2047);
      return {
        kind: "police",
        options: {
          tbf: {
            index: index(spec),
            action: verdict("police exceed", spec.exceed ?? "reclassify"),
            burst: xmitTicks(rate, burst),
            mtu,
            rate: ratespec(rate, rs),
          },
          rate: table,
          result: verdict("police conform", spec.conform ?? "ok"),
        },
      };
    }
    default:
      throw new TypeError(
        `action: kind ${
          JSON.stringify((spec as { kind?: unknown })?.kind)
        } is not one of: gact, mirred, police`,
      );
  }
}

/** A dumped action. */
export interface Action {
  /** Its kind (`"gact"`, `"mirred"`, `"police"`, or another). */
  kind: string;
  /** Its index. */
  index: number;
  /** Its verdict, by tc's name (a number when there is none). */
  verdict?: string | number;
  /** mirred: `"redirect"` or `"mirror"`. */
  mode?: "redirect" | "mirror";
  /** mirred: `"egress"` or `"ingress"`. */
  direction?: "egress" | "ingress";
  /** mirred: the target link's index. */
  ifindex?: number;
  /** police: bytes per second. */
  rate?: number;
  /** police: the bucket in bytes. */
  burst?: number;
  /** police: the largest packet. */
  mtu?: number;
  /** police: the verdict within the rate. */
  conform?: string | number;
  /** Times it was bound and referenced. */
  refcnt?: number;
  /** Filters bound to it. */
  bindcnt?: number;
  /** Its statistics. */
  stats?: TcStatistics;
  /** The options as the spec decodes them. */
  options: Attrs;
}

/**
 * A dumped action, from its decoded `act-attrs`.
 *
 * @example
 * ```ts
 * import { readAction } from "./actions.ts";
 * readAction({ kind: "gact", options: { parms: { index: 1, action: 2 } } }).verdict; // "drop"
 * ```
 */
export function readAction(a: Attrs): Action {
  const kind = String(a.kind ?? "");
  const options = (a.options instanceof Uint8Array ? {} : a.options ?? {}) as Attrs;
  const out: Action = { kind, index: (a.index as number) ?? 0, options };
  const stats = a.stats ? readStats({ stats2: a.stats as TcaStatsAttrs }) : undefined;
  if (stats) out.stats = stats;
  const parms = (options.parms ?? options.tbf) as Attrs | undefined;
  if (parms) {
    out.index = (parms.index as number) ?? out.index;
    out.verdict = verdictName((parms.action as number) ?? 0);
    out.refcnt = parms.refcnt as number;
    out.bindcnt = parms.bindcnt as number;
  }
  if (kind === "mirred" && parms) {
    const e = parms.eaction as number;
    out.mode = e === 1 || e === 3 ? "redirect" : "mirror";
    out.direction = e <= 2 ? "egress" : "ingress";
    out.ifindex = parms.ifindex as number;
  }
  if (kind === "police" && parms) {
    const rate = options.rate64 !== undefined
      ? Number(options.rate64)
      : readRatespec(parms.rate)?.rate ?? 0;
    out.rate = rate;
    out.burst = xmitSize(rate, (parms.burst as number) ?? 0);
    out.mtu = parms.mtu as number;
    out.conform = verdictName((options.result as number) ?? 0);
  }
  return out;
}
