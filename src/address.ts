/**
 * IP addresses and prefixes as text and as the network-order bytes netlink
 * carries: `"192.0.2.1"`, `"2001:db8::1"`, `"10.0.0.0/8"`.
 *
 * @module
 */

/** Address families as the kernel numbers them (`AF_*`). */
export const AF = {
  UNSPEC: 0,
  INET: 2,
  INET6: 10,
} as const;

/** A prefix: its family, address bytes (network order) and length in bits. */
export interface Prefix {
  /** {@linkcode AF}.INET or {@linkcode AF}.INET6. */
  family: number;
  /** 4 or 16 bytes, network order. */
  address: Uint8Array;
  /** Prefix length in bits. */
  length: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  let tail = "";
  const gap = text.indexOf("::");
  if (gap >= 0) {
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
    if (tail.includes("::")) return undefined;
  }
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  const missing = 8 - h.length - t.length;
  if (gap >= 0 ? missing < 1 : missing !== 0) return undefined;
  const all = [...h, ...new Array<number>(missing).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * Parses an IPv4 or IPv6 address into network-order bytes (4 or 16).
 * Throws `TypeError` on anything else.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * parseAddress("192.0.2.1"); // Uint8Array [192, 0, 2, 1]
 * parseAddress("::1").length; // 16
 * ```
 */
export function parseAddress(text: string): Uint8Array {
  if (typeof text !== "string") throw notText("an IP address", text);
  const out = text.includes(":") ? parseIpv6(text) : parseIpv4(text);
  if (!out) throw new TypeError(`not an IP address: ${JSON.stringify(text)}`);
  return out;
}

/**
 * Formats 4 or 16 network-order bytes as text (IPv6 in RFC 5952's form).
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * formatAddress(new Uint8Array([10, 0, 0, 1])); // "10.0.0.1"
 * ```
 */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.length !== 16) throw new TypeError(`an address is 4 or 16 bytes, not ${bytes.length}`);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i] << 8) | bytes[i + 1]);
  // the longest run of two or more zero groups, first one on ties
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/**
 * Parses `"ADDRESS/LENGTH"` (or a bare address: a host prefix). Throws
 * `TypeError` when the length does not fit the family.
 *
 * @example
 * ```ts
 * import { parsePrefix } from "./address.ts";
 * parsePrefix("10.1.0.0/16").length; // 16
 * parsePrefix("2001:db8::1").length; // 128
 * ```
 */
export function parsePrefix(text: string): Prefix {
  if (typeof text !== "string") throw notText("a prefix", text);
  const slash = text.indexOf("/");
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const bits = address.length * 8;
  let length = bits;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(l) || Number(l) > bits) {
      throw new TypeError(`bad prefix length in ${JSON.stringify(text)}`);
    }
    length = Number(l);
  }
  return { family: address.length === 4 ? AF.INET : AF.INET6, address, length };
}

/**
 * Formats a prefix as `"ADDRESS/LENGTH"`.
 *
 * @example
 * ```ts
 * import { formatPrefix } from "./address.ts";
 * formatPrefix(new Uint8Array([10, 0, 0, 0]), 8); // "10.0.0.0/8"
 * ```
 */
export function formatPrefix(address: Uint8Array, length: number): string {
  return `${formatAddress(address)}/${length}`;
}

/**
 * Parses a link-layer (MAC) address, `"02:00:5e:10:00:01"`, into bytes.
 * Throws `TypeError` on anything else.
 *
 * @example
 * ```ts
 * import { parseMac } from "./address.ts";
 * parseMac("02:00:00:00:00:09").length; // 6
 * ```
 */
export function parseMac(text: string): Uint8Array {
  if (typeof text !== "string") throw notText("a link-layer address", text);
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(text)) {
    throw new TypeError(`not a link-layer address: ${JSON.stringify(text)}`);
  }
  return new Uint8Array(text.split(":").map((x) => parseInt(x, 16)));
}

/**
 * Formats link-layer address bytes as `"02:00:5e:10:00:01"`.
 *
 * @example
 * ```ts
 * import { formatMac } from "./address.ts";
 * formatMac(new Uint8Array([2, 0, 0, 0, 0, 9])); // "02:00:00:00:00:09"
 * ```
 */
export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

function notText(what: string, x: unknown): TypeError {
  const got = x === null ? "null" : typeof x === "object" ? x.constructor?.name : typeof x;
  return new TypeError(
    `${what} is text, got ${got} ${typeof x === "object" ? "" : String(x)}`.trim(),
  );
}
