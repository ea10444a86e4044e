/**
 * tc handles ("1:10", "root", "ingress") as linux/pkt_sched.h numbers
 * them (the tc spec has no definition of them), and the verdicts of
 * actions by tc's names (numbers: TC_ACT_* of the generated table, from
 * tools/specs/tc.supplement.yaml).
 *
 * @module
 */
import { unknownName } from "../suggest.ts";
import { TC_ACT as ACT } from "../families/tc.ts";

/** Special handles and parents (TC_H_*). */
export const TC_H = {
  /** The root of a link's egress. */
  ROOT: 0xffffffff,
  /** The ingress (and clsact) qdisc's parent. */
  INGRESS: 0xfffffff1,
  /** clsact's parent: the same number as ingress. */
  CLSACT: 0xfffffff1,
  /** The minor of the ingress hook of ingress/clsact. */
  MIN_INGRESS: 0xfff2,
  /** The minor of clsact's egress hook. */
  MIN_EGRESS: 0xfff3,
} as const;

/** A handle: `"1:10"`, `"1:"`, `"root"`, `"ingress"`, `"egress"` (clsact's), or the number. */
export type Handle = string | number;

const NAMED: Record<string, number> = {
  root: TC_H.ROOT,
  ingress: (0xffff << 16 | TC_H.MIN_INGRESS) >>> 0,
  egress: (0xffff << 16 | TC_H.MIN_EGRESS) >>> 0,
  none: 0,
};

/**
 * A handle's number: `major:minor` in hex as tc writes it, a name, or a u32.
 *
 * @example
 * ```ts
 * import { parseHandle } from "./handles.ts";
 * parseHandle("handle", "1:10"); // 0x10010
 * parseHandle("parent", "root"); // 0xffffffff
 * ```
 */
export function parseHandle(what: string, h: Handle): number {
  if (typeof h === "number") {
    if (Number.isInteger(h) && h >= 0 && h <= 0xffffffff) return h;
    throw new RangeError(`${what}: ${h} is not a handle (a u32)`);
  }
  if (typeof h !== "string") throw new TypeError(`${what}: takes "major:minor" or a number`);
  if (Object.hasOwn(NAMED, h)) return NAMED[h];
  const m = /^([0-9a-f]{0,4}):([0-9a-f]{0,4})$/i.exec(h);
  if (!m || (m[1] === "" && m[2] === "")) {
    throw new TypeError(
      `${what}: "${h}" is not a handle (major:minor in hex, like "1:10", or root, ingress, egress)`,
    );
  }
  return ((parseInt(m[1] || "0", 16) << 16) | parseInt(m[2] || "0", 16)) >>> 0;
}

/**
 * A handle as tc prints it: `"1:"`, `"1:10"`, `"ffff:fff1"`, `"root"`.
 *
 * @example
 * ```ts
 * import { formatHandle } from "./handles.ts";
 * formatHandle(0x10010); // "1:10"
 * formatHandle(0x10000); // "1:"
 * ```
 */
export function formatHandle(h: number): string {
  if (h === TC_H.ROOT) return "root";
  const major = h >>> 16;
  const minor = h & 0xffff;
  return minor ? `${major.toString(16)}:${minor.toString(16)}` : `${major.toString(16)}:`;
}

/** What an action tells the classifier next (TC_ACT_*), by tc's names. */
export const TC_ACT = {
  continue: ACT.unspec,
  ok: ACT.ok,
  pass: ACT.ok,
  reclassify: ACT.reclassify,
  drop: ACT.shot,
  shot: ACT.shot,
  pipe: ACT.pipe,
  stolen: ACT.stolen,
  queued: ACT.queued,
  repeat: ACT.repeat,
  redirect: ACT.redirect,
  trap: ACT.trap,
} as const;

/** A verdict by name. */
export type Verdict = keyof typeof TC_ACT;

/**
 * A verdict's number, from its name.
 *
 * @example
 * ```ts
 * import { verdict } from "./handles.ts";
 * verdict("action", "drop"); // 2
 * ```
 */
export function verdict(what: string, v: Verdict): number {
  if (!Object.hasOwn(TC_ACT, v)) {
    throw new TypeError(`${what}: ${unknownName("verdict", String(v), Object.keys(TC_ACT))}`);
  }
  return TC_ACT[v];
}

// the name tc -j prints for each
const NAMES: Record<number, string> = {
  [ACT.unspec]: "continue",
  [ACT.ok]: "pass",
  [ACT.reclassify]: "reclassify",
  [ACT.shot]: "drop",
  [ACT.pipe]: "pipe",
  [ACT.stolen]: "stolen",
  [ACT.queued]: "queued",
  [ACT.repeat]: "repeat",
  [ACT.redirect]: "redirect",
  [ACT.trap]: "trap",
};

/**
 * A verdict's name as `tc -j` prints it (`"pass"`, `"drop"`, ...); a
 * number it has no name for stays a number.
 *
 * @example
 * ```ts
 * import { verdictName } from "./handles.ts";
 * verdictName(2); // "drop"
 * ```
 */
export function verdictName(n: number): string | number {
  n |= 0; // a u32 attribute (police's result) holds TC_ACT_UNSPEC as 0xffffffff
  return Object.hasOwn(NAMES, n) ? NAMES[n] : n;
}
