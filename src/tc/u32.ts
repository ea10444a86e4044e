/**
 * The u32 classifier's selector: matches on 32-bit words of the packet
 * (IPv4 source and destination prefixes, protocol, ports), packed into
 * keys as tc's `match ip ...` packs them, and read back.
 *
 * @module
 */
import { AF, formatPrefix, parsePrefix } from "../address.ts";
import { decodeStruct, structBytes } from "../ynl/codec.ts";
import { tc, TC_U32_FLAGS, type TcU32Key } from "../families/tc.ts";
import { int, onlyKeys } from "./check.ts";

/** What a u32 filter matches, on IPv4 headers without options (as tc's `match ip`). */
export interface U32Match {
  /** Source prefix, e.g. `"10.0.0.0/24"`. */
  src?: string;
  /** Destination prefix. */
  dst?: string;
  /** IP protocol number (6 TCP, 17 UDP) or `"tcp"`, `"udp"`, `"icmp"`. */
  ipProto?: number | "tcp" | "udp" | "icmp";
  /** Source port (TCP or UDP). */
  sport?: number;
  /** Destination port. */
  dport?: number;
}

/** One 32-bit key: `(word at off) & mask == val`, in network byte order. */
export interface U32Key {
  /** The mask. */
  mask: number;
  /** The value. */
  val: number;
  /** The word's offset from the network header. */
  off: number;
  /** Offset mask (for variable offsets; 0 here). */
  offmask: number;
}

/** A u32 selector, decoded. */
export interface U32Selector {
  /** TC_U32_TERMINAL and friends. */
  flags: number;
  /** The keys, in order. */
  keys: U32Key[];
}

/** The selector's flag for a match that classifies (tc sets it with a classid or actions). */
export const TC_U32_TERMINAL: number = TC_U32_FLAGS.terminal;
const KEY = tc.structs["tc-u32-key"].size;

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17 };

/**
 * The keys of a match, packed as tc packs them: a word per offset, the
 * masks of one word merged.
 *
 * @example
 * ```ts
 * import { u32Keys } from "./u32.ts";
 * u32Keys({ dst: "10.0.0.1/32" }); // [{ mask: 0xffffffff, val: 0x0a000001, off: 16, offmask: 0 }]
 * ```
 */
export function u32Keys(match: U32Match): U32Key[] {
  onlyKeys("u32 match", match, ["src", "dst", "ipProto", "sport", "dport"]);
  const keys: U32Key[] = [];
  const put = (off: number, mask: number, val: number) => {
    const k = keys.find((x) => x.off === off);
    if (!k) keys.push({ off, mask: mask >>> 0, val: (val & mask) >>> 0, offmask: 0 });
    else {
      k.mask = (k.mask | mask) >>> 0;
      k.val = (k.val | (val & mask)) >>> 0;
    }
  };
  for (const [name, off] of [["src", 12], ["dst", 16]] as const) {
    const text = match[name];
    if (text === undefined) continue;
    const p = parsePrefix(text);
    if (p.family !== AF.INET) throw new TypeError(`u32 match ${name}: an IPv4 prefix, got ${text}`);
    const mask = p.length === 0 ? 0 : (0xffffffff << (32 - p.length)) >>> 0;
    const v = new DataView(p.address.buffer, p.address.byteOffset, 4).getUint32(0);
    put(off, mask, v);
  }
  if (match.ipProto !== undefined) {
    const proto = typeof match.ipProto === "string"
      ? PROTOS[match.ipProto] ?? int("u32 match ipProto", NaN, 0, 255)
      : int("u32 match ipProto", match.ipProto, 0, 255);
    put(8, 0x00ff0000, proto << 16);
  }
  if (match.sport !== undefined) put(20, 0xffff0000, int("u32 sport", match.sport, 0, 65535) << 16);
  if (match.dport !== undefined) put(20, 0x0000ffff, int("u32 dport", match.dport, 0, 65535));
  return keys;
}

/**
 * The bytes of `struct tc_u32_sel` with its keys.
 *
 * @example
 * ```ts
 * import { u32Selector } from "./u32.ts";
 * u32Selector(1, [{ mask: 0, val: 0, off: 0, offmask: 0 }]).length; // 32
 * ```
 */
export function u32Selector(flags: number, keys: readonly U32Key[]): Uint8Array {
  if (keys.length > 128) throw new RangeError("u32: at most 128 keys");
  const head = structBytes(tc, "tc-u32-sel", { flags, nkeys: keys.length });
  const out = new Uint8Array(head.length + keys.length * KEY);
  out.set(head);
  keys.forEach((k, i) => {
    const key: TcU32Key = { mask: k.mask, val: k.val, off: k.off, offmask: k.offmask };
    out.set(
      structBytes(tc, "tc-u32-key", key as Record<string, unknown>),
      head.length + i * KEY,
    );
  });
  return out;
}

/**
 * A selector's bytes, decoded.
 *
 * @example
 * ```ts
 * import { readU32Selector, u32Selector } from "./u32.ts";
 * readU32Selector(u32Selector(1, [])).flags; // 1
 * ```
 */
export function readU32Selector(b: Uint8Array): U32Selector {
  const head = decodeStruct(tc, "tc-u32-sel", b);
  const size = tc.structs["tc-u32-sel"].size;
  const n = Math.min((head.nkeys as number) ?? 0, Math.floor((b.length - size) / KEY));
  const keys: U32Key[] = [];
  for (let i = 0; i < n; i++) {
    const k = decodeStruct(tc, "tc-u32-key", b, size + i * KEY, KEY) as unknown as U32Key;
    keys.push({ mask: k.mask, val: k.val, off: k.off, offmask: k.offmask });
  }
  return { flags: (head.flags as number) ?? 0, keys };
}

/**
 * The {@linkcode U32Match} that keys of {@linkcode u32Keys}'s shape stand
 * for; keys of any other shape are left out (they stay in `keys`).
 *
 * @example
 * ```ts
 * import { u32Keys, u32MatchOf } from "./u32.ts";
 * u32MatchOf(u32Keys({ dport: 80 })); // { dport: 80 }
 * ```
 */
export function u32MatchOf(keys: readonly U32Key[]): U32Match {
  const m: U32Match = {};
  const prefix = (k: U32Key) => {
    let len = 0; // a contiguous mask: its bits
    for (let m = k.mask; m; m = (m << 1) >>> 0) len++;
    const a = new Uint8Array(4);
    new DataView(a.buffer).setUint32(0, k.val);
    return formatPrefix(a, len);
  };
  for (const k of keys) {
    if (k.offmask) continue;
    if (k.off === 12) m.src = prefix(k);
    else if (k.off === 16) m.dst = prefix(k);
    else if (k.off === 8 && k.mask === 0x00ff0000) m.ipProto = k.val >>> 16;
    else if (k.off === 20) {
      if (k.mask & 0xffff0000) m.sport = k.val >>> 16;
      if (k.mask & 0xffff) m.dport = k.val & 0xffff;
    }
  }
  return m;
}
