/**
 * A WireGuard peer's endpoint as `wg` writes it (`"192.0.2.1:51820"`,
 * `"[2001:db8::1]:51820"`), to and from the `struct sockaddr_in` /
 * `sockaddr_in6` the kernel carries, and allowed IPs to and from the
 * generated `wgallowedip` set.
 *
 * @module
 */
import { AF, formatAddress, parseAddress, parsePrefix } from "../address.ts";
import type { WgallowedipAttrs } from "../families/wireguard.ts";

const SOCKADDR_IN = 16;
const SOCKADDR_IN6 = 28;

/**
 * The sockaddr of `"ADDRESS:PORT"` (IPv6 in brackets); anything else is a
 * TypeError naming `what`.
 *
 * @example
 * ```ts
 * import { encodeEndpoint } from "./endpoint.ts";
 * encodeEndpoint("endpoint", "10.0.0.1:51820").length; // 16
 * ```
 */
export function encodeEndpoint(what: string, text: unknown): Uint8Array {
  const m = typeof text === "string" ? /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(text) : null;
  const port = m ? Number(m[3]) : -1;
  let addr: Uint8Array | undefined;
  try {
    addr = m ? parseAddress(m[1] ?? m[2]) : undefined;
  } catch {
    addr = undefined;
  }
  if (!m || !addr || port > 0xffff || (m[1] !== undefined) !== (addr.length === 16)) {
    throw new TypeError(
      `${what}: an endpoint is "ADDRESS:PORT" or "[IPv6]:PORT", not ${JSON.stringify(text)}`,
    );
  }
  const out = new Uint8Array(addr.length === 4 ? SOCKADDR_IN : SOCKADDR_IN6);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, addr.length === 4 ? AF.INET : AF.INET6, true);
  dv.setUint16(2, port, false);
  out.set(addr, addr.length === 4 ? 4 : 8);
  return out;
}

/**
 * `"ADDRESS:PORT"` of a sockaddr the kernel sent (undefined for a family
 * other than IPv4 or IPv6).
 *
 * @example
 * ```ts
 * import { decodeEndpoint, encodeEndpoint } from "./endpoint.ts";
 * decodeEndpoint(encodeEndpoint("e", "[2001:db8::1]:51820")); // "[2001:db8::1]:51820"
 * ```
 */
export function decodeEndpoint(b: Uint8Array): string | undefined {
  if (b.length < 4) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const family = dv.getUint16(0, true);
  const port = dv.getUint16(2, false);
  if (family === AF.INET && b.length >= SOCKADDR_IN) {
    return `${formatAddress(b.subarray(4, 8))}:${port}`;
  }
  if (family === AF.INET6 && b.length >= SOCKADDR_IN6) {
    return `[${formatAddress(b.subarray(8, 24))}]:${port}`;
  }
  return undefined;
}

/**
 * The `wgallowedip` attributes of `"ADDRESS/LENGTH"` (a bare address is a
 * host prefix).
 *
 * @example
 * ```ts
 * import { encodeAllowedIp } from "./endpoint.ts";
 * encodeAllowedIp("allowed", "10.0.0.0/24"); // { family: 2, ipaddr: Uint8Array [10, 0, 0, 0], cidrMask: 24 }
 * ```
 */
export function encodeAllowedIp(what: string, text: unknown): WgallowedipAttrs {
  let p;
  try {
    p = parsePrefix(text as string);
  } catch {
    throw new TypeError(`${what}: an allowed IP is "ADDRESS/LENGTH", not ${JSON.stringify(text)}`);
  }
  return { family: p.family, ipaddr: p.address, cidrMask: p.length };
}

/**
 * `"ADDRESS/LENGTH"` of decoded `wgallowedip` attributes.
 *
 * @example
 * ```ts
 * import { decodeAllowedIp } from "./endpoint.ts";
 * decodeAllowedIp({ family: 2, ipaddr: new Uint8Array([10, 0, 0, 0]), cidrMask: 24 }); // "10.0.0.0/24"
 * ```
 */
export function decodeAllowedIp(a: WgallowedipAttrs): string {
  const bytes = a.ipaddr ?? new Uint8Array(a.family === AF.INET6 ? 16 : 4);
  return `${formatAddress(bytes)}/${a.cidrMask ?? 0}`;
}
