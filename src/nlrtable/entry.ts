/**
 * What the nlrtable client adds to the generated protocol
 * (src/families/nlrtable.ts): entries as strings (prefixes, addresses)
 * instead of the wire's bytes, checked against the spec's limits before
 * they are sent, and change events told apart.
 *
 * @module
 */
import { formatAddress, formatPrefix, parseAddress, parsePrefix, type Prefix } from "../address.ts";
import { NLM_F } from "../constants.ts";
import { ParseError } from "../errors.ts";
import { hint } from "../suggest.ts";
import type { Decoded, OpRequest } from "../ynl/family.ts";
import type { AttrChecks } from "../ynl/schema.ts";
import {
  NLRT_MSG,
  NLRT_REASON,
  nlrtable,
  type NlrtAttrs,
  type Nlrtmsg,
} from "../families/nlrtable.ts";

const utf8 = new TextEncoder();

/** An entry of the module's table, as the kernel reports it. */
export interface NlrEntry {
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
export interface NlrRouteSpec {
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
export type NlrDeleteReason = "request" | "expired";

/** A table change, from the change stream or a watch. */
export type NlrEvent =
  | { kind: "added" | "replaced"; entry: NlrEntry }
  | { kind: "deleted"; reason: NlrDeleteReason; entry: NlrEntry };

/** A request of the generated protocol. */
export type NlrRequest = OpRequest<Nlrtmsg, NlrtAttrs>;

/** A message of the generated protocol, decoded. */
export type NlrDecoded = Decoded<Nlrtmsg, NlrtAttrs>;

const ENTRY_KEYS = ["dst", "gateway", "oif", "lifetimeMs"];

/** The spec's `checks` of an attribute of nlrt-attrs. */
function checksOf(name: string): AttrChecks {
  const a = nlrtable.sets["nlrt-attrs"].attrs.find((x) => x.name === name);
  if (!a?.checks) throw new Error(`the nlrtable spec gives ${name} no checks`);
  return a.checks;
}

const OIFNAME = checksOf("oifname");
const LIFETIME = checksOf("lifetime-ms");

/** The request of an operation keyed by a prefix: `struct nlrtmsg` and `dst`. */
export function keyRequest(dst: string | Prefix): NlrRequest {
  const p = typeof dst === "string" ? parsePrefix(dst) : dst;
  return { header: { nrtFamily: p.family, nrtDstLen: p.length }, attrs: { dst: p.address } };
}

/**
 * The request of a whole entry: key, gateway, interface and lifetime. A
 * field out of the spec's limits is a RangeError or TypeError here, before
 * it is sent.
 */
export function routeRequest(spec: NlrRouteSpec): NlrRequest {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`an nlrtable entry is { dst, gateway?, oif?, lifetimeMs? }`);
  }
  for (const k of Object.keys(spec)) {
    if (!ENTRY_KEYS.includes(k)) {
      throw new TypeError(`an nlrtable entry has no field ${k}${hint(k, ENTRY_KEYS)}`);
    }
  }
  const p = parsePrefix(spec.dst);
  const req = keyRequest(p);
  const attrs = req.attrs!;
  if (spec.gateway !== undefined) {
    const gw = parseAddress(spec.gateway);
    if (gw.length !== p.address.length) {
      throw new TypeError(`gateway ${spec.gateway} is not of the family of ${spec.dst}`);
    }
    attrs.gateway = gw;
  }
  if (spec.oif !== undefined) {
    const max = OIFNAME.maxLen!;
    const n = typeof spec.oif === "string" ? utf8.encode(spec.oif).length : -1;
    if (n < 1 || n > max || spec.oif.includes("\0")) {
      throw new TypeError(
        `oif: an interface name of 1..${max} bytes, got ${JSON.stringify(spec.oif)}`,
      );
    }
    attrs.oifname = spec.oif;
  }
  if (spec.lifetimeMs !== undefined) {
    const ms = spec.lifetimeMs, max = LIFETIME.max!;
    if (!(typeof ms === "number" && Number.isInteger(ms) && ms >= 0 && ms <= max)) {
      const range = `an integer number of ms in 0..${max} (one week)`;
      throw typeof ms === "number"
        ? new RangeError(`lifetimeMs: ${ms} is not ${range}`)
        : new TypeError(`lifetimeMs: takes ${range}, got ${typeof ms}`);
    }
    attrs.lifetimeMs = ms;
  }
  return req;
}

/** An entry from a decoded NEWROUTE or DELROUTE message. */
export function toEntry(d: NlrDecoded): NlrEntry {
  const { dst, gateway, oifname, lifetimeMs, expiresMs, watchers } = d.attrs;
  if (!dst || (dst.length !== 4 && dst.length !== 16)) {
    throw new ParseError("nlrtable entry without a valid NLRT_A_DST", d.message.offset);
  }
  const entry: NlrEntry = {
    dst: formatPrefix(dst, d.header.nrtDstLen ?? 0),
    ipVersion: dst.length === 4 ? 4 : 6,
    watchers: watchers ?? 0,
  };
  if (gateway !== undefined) entry.gateway = formatAddress(gateway);
  if (oifname !== undefined) entry.oif = oifname;
  if (lifetimeMs !== undefined) entry.lifetimeMs = lifetimeMs;
  if (expiresMs !== undefined) entry.expiresMs = expiresMs;
  return entry;
}

/** The change a decoded message tells; undefined for messages that are not one. */
export function toEvent(d: NlrDecoded): NlrEvent | undefined {
  const m = d.message;
  if (m.type === NLRT_MSG.NEWROUTE) {
    return { kind: m.flags & NLM_F.REPLACE ? "replaced" : "added", entry: toEntry(d) };
  }
  if (m.type !== NLRT_MSG.DELROUTE) return undefined;
  const reason = d.header.nrtReason === NLRT_REASON.EXPIRED ? "expired" : "request";
  return { kind: "deleted", reason, entry: toEntry(d) };
}
