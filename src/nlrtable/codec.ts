/**
 * Encoding and decoding of nlrtable messages: entries, keys and events.
 *
 * @module
 */
import { formatAddress, formatPrefix, parseAddress, parsePrefix, type Prefix } from "../address.ts";
import { ParseError } from "../errors.ts";
import { hint } from "../suggest.ts";
import type { Message } from "../message.ts";
import type { MessageWriter } from "../writer.ts";
import { NLM_F } from "../constants.ts";
import { NLRT_A, NLRT_LIMITS, NLRT_MSG, NLRT_REASON, NLRTMSG_SIZE } from "./constants.ts";

const IFNAMSIZ = 16;
const utf8 = new TextEncoder();

/** An entry of the module's table, as the kernel reports it. */
export interface RouteEntry {
  /** Destination prefix, e.g. `"10.0.0.0/24"` or `"2001:db8::/32"`. */
  dst: string;
  /** 4 or 6. */
  ipVersion: 4 | 6;
  /** Next hop, when the entry has one. */
  gateway?: string;
  /** Outgoing interface name, when the entry has one. */
  oif?: string;
  /** The lifetime it was given, in ms; absent when permanent. */
  lifetimeMs?: number;
  /** Time left before the kernel deletes it, in ms; absent when permanent. */
  expiresMs?: number;
  /** How many sockets watch it. */
  watchers: number;
}

/** What {@linkcode NlrTable.add} takes. */
export interface RouteSpec {
  /** Destination prefix; a bare address means a host route. */
  dst: string;
  /** Next hop, same family as `dst`. */
  gateway?: string;
  /** Outgoing interface name (at most 15 bytes). */
  oif?: string;
  /** Delete the entry after this many ms (at most one week); omit for permanent. */
  lifetimeMs?: number;
}

/** Why an entry left the table. */
export type DeleteReason = "request" | "expired";

/** A table change, from the change stream or a watch. */
export type RouteEvent =
  | { kind: "added" | "replaced"; entry: RouteEntry }
  | { kind: "deleted"; reason: DeleteReason; entry: RouteEntry };

const ENTRY_KEYS = ["dst", "gateway", "oif", "lifetimeMs"];

/** Writes `struct nlrtmsg` and NLRT_A_DST for `dst`. */
export function writeKey(w: MessageWriter, dst: string | Prefix): void {
  const p = typeof dst === "string" ? parsePrefix(dst) : dst;
  const at = w.fixed(NLRTMSG_SIZE);
  w.buffer[at] = p.family;
  w.buffer[at + 1] = p.length;
  w.put(NLRT_A.DST, p.address);
}

/**
 * Writes a whole entry: key, gateway, interface and lifetime. A field out of
 * the module's limits is a RangeError or TypeError here, before it is sent.
 */
export function writeEntry(w: MessageWriter, spec: RouteSpec): void {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`an nlrtable entry is { dst, gateway?, oif?, lifetimeMs? }`);
  }
  for (const k of Object.keys(spec)) {
    if (!ENTRY_KEYS.includes(k)) {
      throw new TypeError(`an nlrtable entry has no field ${k}${hint(k, ENTRY_KEYS)}`);
    }
  }
  const p = parsePrefix(spec.dst);
  writeKey(w, p);
  if (spec.gateway !== undefined) {
    const gw = parseAddress(spec.gateway);
    if (gw.length !== p.address.length) {
      throw new TypeError(`gateway ${spec.gateway} is not of the family of ${spec.dst}`);
    }
    w.put(NLRT_A.GATEWAY, gw);
  }
  if (spec.oif !== undefined) {
    const n = typeof spec.oif === "string" ? utf8.encode(spec.oif).length : -1;
    if (n < 1 || n > IFNAMSIZ - 1 || spec.oif.includes("\0")) {
      throw new TypeError(
        `oif: an interface name of 1..${IFNAMSIZ - 1} bytes, got ${JSON.stringify(spec.oif)}`,
      );
    }
    w.string(NLRT_A.OIFNAME, spec.oif);
  }
  if (spec.lifetimeMs !== undefined) {
    const ms = spec.lifetimeMs, max = NLRT_LIMITS.LIFETIME_MAX_MS;
    if (!(typeof ms === "number" && Number.isInteger(ms) && ms >= 0 && ms <= max)) {
      const range = `an integer number of ms in 0..${max} (one week)`;
      throw typeof ms === "number"
        ? new RangeError(`lifetimeMs: ${ms} is not ${range}`)
        : new TypeError(`lifetimeMs: takes ${range}, got ${typeof ms}`);
    }
    w.u32(NLRT_A.LIFETIME_MS, ms);
  }
}

/** Decodes an entry from a NEWROUTE or DELROUTE message. */
export function readEntry(m: Message): RouteEntry {
  if (m.length - m.headerSize < NLRTMSG_SIZE) {
    throw new ParseError("nlrtable message shorter than struct nlrtmsg", m.offset);
  }
  const at = m.offset + m.headerSize;
  const dstLen = m.data[at + 1];
  let dst: Uint8Array | undefined;
  const entry: RouteEntry = { dst: "", ipVersion: 4, watchers: 0 };
  const ad = m.attributes(NLRTMSG_SIZE);
  while (ad.next()) {
    switch (ad.type) {
      case NLRT_A.DST:
        dst = ad.value();
        break;
      case NLRT_A.GATEWAY:
        entry.gateway = formatAddress(ad.value());
        break;
      case NLRT_A.OIFNAME:
        entry.oif = ad.string();
        break;
      case NLRT_A.LIFETIME_MS:
        entry.lifetimeMs = ad.u32();
        break;
      case NLRT_A.EXPIRES_MS:
        entry.expiresMs = ad.u32();
        break;
      case NLRT_A.WATCHERS:
        entry.watchers = ad.u32();
        break;
    }
  }
  if (!dst || (dst.length !== 4 && dst.length !== 16)) {
    throw new ParseError("nlrtable entry without a valid NLRT_A_DST", m.offset);
  }
  entry.dst = formatPrefix(dst, dstLen);
  entry.ipVersion = dst.length === 4 ? 4 : 6;
  return entry;
}

/** Decodes a change event; undefined for messages that are not one. */
export function readEvent(m: Message): RouteEvent | undefined {
  if (m.type === NLRT_MSG.NEWROUTE) {
    return { kind: m.flags & NLM_F.REPLACE ? "replaced" : "added", entry: readEntry(m) };
  }
  if (m.type !== NLRT_MSG.DELROUTE) return undefined;
  const reason = m.data[m.offset + m.headerSize + 2] === NLRT_REASON.EXPIRED
    ? "expired"
    : "request";
  return { kind: "deleted", reason, entry: readEntry(m) };
}
