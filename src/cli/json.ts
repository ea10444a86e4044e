/**
 * JSON for the command-line tools: bigint as a decimal string, bytes as
 * text where the spec hints what they are (IPv4, IPv6, MAC) or as hex.
 *
 * @module
 */
import { formatAddress, formatMac, parseAddress, parseMac } from "../address.ts";

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** Bytes as text: an IP address when 4 or 16 bytes, a MAC when 6, else hex. */
export function bytesText(b: Uint8Array): string {
  if (b.length === 4 || b.length === 16) return formatAddress(b);
  if (b.length === 6) return formatMac(b);
  return hex(b);
}

/** JSON.stringify with bigint and Uint8Array made printable. */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_k, v) => typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? bytesText(v) : v,
    space,
  );
}

/** Parses bytes given as text: IPv4/IPv6, a MAC (aa:bb:..), or hex. */
export function textBytes(s: string): Uint8Array {
  if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s)) {
    return parseMac(s);
  }
  if (s.includes(".") || s.includes(":")) return parseAddress(s); // a clear TypeError if not
  if (!/^([0-9a-f]{2})*$/i.test(s)) throw new TypeError(`not hex, an address or a MAC: ${s}`);
  return new Uint8Array(s.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
}
