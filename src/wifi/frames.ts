/**
 * The two pieces of 802.11 that nl80211 carries as bytes: a BSS's
 * information elements (read: the SSID and the channel a scan saw) and a
 * beacon's head and tail (written: what `start-ap` beacons, when no hostapd
 * builds them). IEEE 802.11-2020, 9.3.3.2 (beacon) and 9.4.2 (elements).
 *
 * @module
 */
import { ParseError } from "../errors.ts";

/** Element ids used here (IEEE 802.11-2020, table 9-92). */
export const ELEMENT = { SSID: 0, SUPPORTED_RATES: 1, DS_PARAMETER_SET: 3 } as const;

/** One information element. */
export interface Element {
  /** Its element id. */
  id: number;
  /** Its body. */
  data: Uint8Array;
}

/**
 * Splits a run of information elements (id, length, body); a truncated
 * element is a {@linkcode ParseError}.
 *
 * @example
 * ```ts
 * import { elements } from "./frames.ts";
 * const [ssid] = elements(new Uint8Array([0, 2, 0x68, 0x69]));
 * console.log(ssid.id, new TextDecoder().decode(ssid.data)); // 0 "hi"
 * ```
 */
export function elements(bytes: Uint8Array): Element[] {
  const out: Element[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length || at + 2 + bytes[at + 1] > bytes.length) {
      throw new ParseError(`information element at ${at} runs past the end`, at);
    }
    out.push({ id: bytes[at], data: bytes.subarray(at + 2, at + 2 + bytes[at + 1]) });
    at += 2 + bytes[at + 1];
  }
  return out;
}

/**
 * The SSID in a run of information elements, as text when it is UTF-8
 * (what `iw` prints), undefined when there is none.
 *
 * @example
 * ```ts
 * import { ssidOf } from "./frames.ts";
 * console.log(ssidOf(new Uint8Array([0, 3, 0x6c, 0x61, 0x62]))); // "lab"
 * ```
 */
export function ssidOf(ies: Uint8Array): string | undefined {
  const e = elements(ies).find((x) => x.id === ELEMENT.SSID);
  return e ? new TextDecoder().decode(e.data) : undefined;
}

/** What {@linkcode beacon} builds a beacon from. */
export interface BeaconInit {
  /** The BSSID: the AP interface's MAC address, 6 bytes. */
  bssid: Uint8Array;
  /** The network name, 0 to 32 bytes of UTF-8. */
  ssid: string;
  /** The channel number (1 to 14 on 2.4 GHz). */
  channel: number;
  /** Beacon interval in TU (1.024 ms), 1 to 65535 (default 100). */
  interval?: number;
}

const RATES = [0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24]; // 1, 2, 5.5, 11 (basic); 6-18 Mb/s

/**
 * The head (header, fixed fields, SSID, rates, DS parameter set) and tail
 * (nothing more, here) of an open 2.4 GHz beacon; the kernel puts the TIM
 * between them. Out-of-range input is a RangeError.
 *
 * @example
 * ```ts
 * import { beacon } from "./frames.ts";
 * const { head } = beacon({ bssid: new Uint8Array(6), ssid: "lab", channel: 1 });
 * console.log(head[0].toString(16)); // "80": a beacon
 * ```
 */
export function beacon(init: BeaconInit): { head: Uint8Array; tail: Uint8Array } {
  const ssid = new TextEncoder().encode(init.ssid);
  const interval = init.interval ?? 100;
  if (init.bssid.length !== 6) throw new RangeError("beacon: bssid must be 6 bytes");
  if (ssid.length > 32) throw new RangeError("beacon: an SSID is at most 32 bytes");
  if (!Number.isInteger(init.channel) || init.channel < 1 || init.channel > 14) {
    throw new RangeError(`beacon: channel ${init.channel} is not a 2.4 GHz channel (1-14)`);
  }
  if (!Number.isInteger(interval) || interval < 1 || interval > 0xffff) {
    throw new RangeError(`beacon: interval ${interval} is not 1-65535 TU`);
  }
  const head = new Uint8Array(24 + 12 + 2 + ssid.length + 2 + RATES.length + 3);
  const v = new DataView(head.buffer);
  head[0] = 0x80; // type management, subtype beacon
  head.fill(0xff, 4, 10); // DA: broadcast
  head.set(init.bssid, 10); // SA
  head.set(init.bssid, 16); // BSSID
  // 24: timestamp (the hardware fills it), 32: interval, 34: capability ESS
  v.setUint16(32, interval, true);
  v.setUint16(34, 0x0001, true);
  let at = 36;
  head[at++] = ELEMENT.SSID;
  head[at++] = ssid.length;
  head.set(ssid, at);
  at += ssid.length;
  head[at++] = ELEMENT.SUPPORTED_RATES;
  head[at++] = RATES.length;
  head.set(RATES, at);
  at += RATES.length;
  head[at++] = ELEMENT.DS_PARAMETER_SET;
  head[at++] = 1;
  head[at++] = init.channel;
  return { head, tail: new Uint8Array(0) };
}

/** The 2.4 GHz channel of a frequency in MHz (2412 -> 1, 2484 -> 14). */
export function channelOf(mhz: number): number {
  if (mhz === 2484) return 14;
  if (mhz >= 2412 && mhz <= 2472 && (mhz - 2407) % 5 === 0) return (mhz - 2407) / 5;
  throw new RangeError(`${mhz} MHz is not a 2.4 GHz channel`);
}
