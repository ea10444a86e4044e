/**
 * tc's units: rates ("1mbit", or bytes per second), sizes ("15k", or
 * bytes) and times ("10ms", or microseconds), and the kernel's timing
 * arithmetic: psched ticks (64 ns) and `struct tc_ratespec` with its rate
 * table, as iproute2's tc_core.c computes them.
 *
 * @module
 */

/** A rate: bytes per second (the kernel's and `tc -j`'s unit), or text as tc takes it ("1mbit"). */
export type Rate = number | string;
/** A size: bytes, or text as tc takes it ("15k", "1600b", "32kbit"). */
export type Size = number | string;
/** A time: microseconds, or text as tc takes it ("10ms", "1s", "250us"). */
export type Time = number | string;

const RATE_UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
  tibit: 1024 ** 4,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
  kibps: 8 * 1024,
  mibps: 8 * 1024 ** 2,
  gibps: 8 * 1024 ** 3,
  tibps: 8 * 1024 ** 4,
};

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  kbit: 1024 / 8,
  mbit: 1024 ** 2 / 8,
  gbit: 1024 ** 3 / 8,
};

const TIME_UNITS: Record<string, number> = {
  "": 1,
  s: 1e6,
  sec: 1e6,
  secs: 1e6,
  ms: 1e3,
  msec: 1e3,
  msecs: 1e3,
  us: 1,
  usec: 1,
  usecs: 1,
  ns: 1e-3,
};

function parse(
  what: string,
  x: unknown,
  units: Record<string, number>,
  unit: string,
  max: number,
): number {
  let n: number;
  if (typeof x === "number") n = x;
  else if (typeof x === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(x);
    const scale = m ? units[m[2].toLowerCase()] : undefined;
    if (!m || scale === undefined || !Object.hasOwn(units, m[2].toLowerCase())) {
      const known = Object.keys(units).filter(Boolean).join(", ");
      throw new TypeError(`${what}: "${x}" is not a ${unit} (a number with one of ${known})`);
    }
    n = Number(m[1]) * scale;
  } else {
    throw new TypeError(`${what}: takes a number or a string, got ${typeof x}`);
  }
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw new RangeError(`${what}: ${x} is out of range (0 to ${max} ${unit}s)`);
  }
  return Math.round(n);
}

/**
 * A rate in bytes per second: a number as is, text as tc reads it (a bare
 * number in text is bits per second, as in tc).
 *
 * @example
 * ```ts
 * import { parseRate } from "./units.ts";
 * parseRate("rate", "1mbit"); // 125000
 * parseRate("rate", 125000); // 125000
 * ```
 */
export function parseRate(what: string, x: Rate): number {
  if (typeof x === "number") return parse(what, x, {}, "byte per second", 2 ** 64 - 1);
  const bits = parse(what, /^\s*[\d.]+\s*$/.test(x) ? `${x}bit` : x, RATE_UNITS, "rate", 2 ** 67);
  return Math.round(bits / 8);
}

/**
 * A size in bytes.
 *
 * @example
 * ```ts
 * import { parseSize } from "./units.ts";
 * parseSize("burst", "15k"); // 15360
 * ```
 */
export function parseSize(what: string, x: Size): number {
  return parse(what, x, SIZE_UNITS, "byte", 2 ** 32 - 1);
}

/**
 * A time in microseconds.
 *
 * @example
 * ```ts
 * import { parseTime } from "./units.ts";
 * parseTime("delay", "10ms"); // 10000
 * ```
 */
export function parseTime(what: string, x: Time): number {
  return parse(what, x, TIME_UNITS, "microsecond", 2 ** 32 - 1);
}

/** Nanoseconds per psched tick (PSCHED_SHIFT is 6). */
export const NS_PER_TICK = 64;

/**
 * The ticks sending `size` bytes at `rate` bytes per second takes
 * (tc_calc_xmittime), capped at u32.
 *
 * @example
 * ```ts
 * import { xmitTicks } from "./units.ts";
 * xmitTicks(125000, 1600); // 200000
 * ```
 */
export function xmitTicks(rate: number, size: number): number {
  if (rate <= 0) return 0;
  return Math.min(Math.floor((size * 1e9) / rate / NS_PER_TICK), 0xffffffff);
}

/**
 * The bytes `ticks` lets through at `rate` (tc_calc_xmitsize): how tc
 * shows a burst that the kernel keeps as time.
 *
 * @example
 * ```ts
 * import { xmitSize } from "./units.ts";
 * xmitSize(125000, 200000); // 1600
 * ```
 */
export function xmitSize(rate: number, ticks: number): number {
  // as tc: ticks to microseconds (15.625 ticks each), then bytes, truncated
  return Math.floor((rate * (ticks / (1000 / NS_PER_TICK))) / 1e6);
}

/** `struct tc_ratespec`, decoded. */
export interface RateSpec {
  /** log2 of the rate table's cell size. */
  cellLog: number;
  /** 1 for ethernet, 2 for ATM; 0 for a kernel that must use the rate table. */
  linklayer: number;
  /** Bytes added to each packet's size. */
  overhead: number;
  /** Cell alignment. */
  cellAlign: number;
  /** Minimum packet size accounted. */
  mpu: number;
  /** Bytes per second (capped at u32: larger rates go in a `rate64` attribute). */
  rate: number;
}

/** Ethernet: the kernel computes transmit times itself (TC_LINKLAYER_ETHERNET). */
export const LINKLAYER_ETHERNET = 1;

/**
 * The ratespec of a rate and its rate table (tc_calc_rtable): 256 transmit
 * times for packet sizes in cells of `1 << cellLog` bytes, which some
 * kernel paths (police) still insist on.
 *
 * @example
 * ```ts
 * import { rateTable } from "./units.ts";
 * const { spec, table } = rateTable(125000);
 * spec.cellLog; // 3
 * table.length; // 1024
 * ```
 */
export function rateTable(
  rate: number,
  mtu = 2047,
  mpu = 0,
): { spec: RateSpec; table: Uint8Array } {
  let cellLog = 0;
  while ((mtu >> cellLog) > 255) cellLog++;
  const table = new Uint8Array(1024);
  const v = new DataView(table.buffer);
  for (let i = 0; i < 256; i++) {
    v.setUint32(i * 4, xmitTicks(rate, Math.max((i + 1) << cellLog, mpu)), true);
  }
  return {
    spec: {
      cellLog,
      linklayer: LINKLAYER_ETHERNET,
      overhead: 0,
      cellAlign: -1,
      mpu,
      rate: Math.min(rate, 0xffffffff),
    },
    table,
  };
}
