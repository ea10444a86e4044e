/**
 * Names on the way in: where a spec says a value is an enum, the encoders
 * take its name as well as its number (`"unicast"` for 1), and a flag set
 * as an array of names (`["up", "broadcast"]`, numbers allowed among them
 * for bits the spec does not name). A value with a `display-hint` takes
 * its text (an IPv4/IPv6 address, a MAC, hex). Numbers and bytes pass
 * through untouched: raw values cost nothing extra.
 *
 * @module
 */
import { parseAddress, parseMac } from "../address.ts";
import { hint as suggest } from "../suggest.ts";
import type { FamilySpec } from "./schema.ts";
import { own } from "./schema.ts";

/** What a value may be named by: an attribute's or a struct member's enum and hint. */
export interface Nameable {
  /** The attribute's or member's kind (u32, binary, ...). */
  readonly kind: string;
  /** An enum or flags the value takes. */
  readonly enum?: string;
  /** Its enum is used as a bit set. */
  readonly enumAsFlags?: boolean;
  /** Its display hint. */
  readonly hint?: string;
}

/**
 * `x` as the encoder wants it: an enum name as its number, an array of
 * flag names as their mask, a hinted text as bytes (binary) or a number;
 * anything else unchanged. An unknown name is a TypeError naming `where`
 * and the nearest name.
 *
 * @example
 * ```ts
 * import { rtRoute } from "../families/rt_route.ts";
 * import { fromNames } from "./names_in.ts";
 * fromNames(rtRoute, { kind: "u8", enum: "rtm-type" }, "unicast", "rtmsg.rtmType"); // 1
 * ```
 */
export function fromNames(f: FamilySpec, spec: Nameable, x: unknown, where: string): unknown {
  if (typeof x === "number" || typeof x === "bigint" || x instanceof Uint8Array) return x;
  const e = spec.enum === undefined ? undefined : own(f.enums, spec.enum);
  if (e && (typeof x === "string" || Array.isArray(x))) {
    const value = (name: unknown): number => {
      if (typeof name === "number") return name;
      const n = typeof name === "string" ? own(e.entries, name) : undefined;
      if (n === undefined) {
        throw new TypeError(
          `${where}: ${JSON.stringify(name)} is not a name of ${e.name}${
            suggest(String(name), Object.keys(e.entries))
          }`,
        );
      }
      return n;
    };
    const flags = e.type === "flags" || spec.enumAsFlags;
    if (!flags) {
      if (Array.isArray(x)) throw new TypeError(`${where}: ${e.name} is an enum, not a set`);
      return value(x);
    }
    let mask = 0n;
    for (const name of Array.isArray(x) ? x : [x]) {
      const n = BigInt(value(name));
      // a flags enum's entries hold bit values, an enum used as flags bit numbers
      mask |= e.type === "flags" || typeof name === "number" ? n : 1n << n;
    }
    return spec.kind === "u64" || spec.kind === "s64" ? mask : Number(mask);
  }
  if (typeof x === "string" && spec.hint !== undefined) {
    switch (spec.hint) {
      case "ipv4":
      case "ipv6":
      case "ipv4-or-v6": {
        const b = parseAddress(x);
        if (spec.kind === "binary") return b;
        return b.reduce((n, byte) => n * 256 + byte, 0);
      }
      case "mac":
        return parseMac(x);
      case "hex": {
        const t = x.replace(/[\s:]/g, "");
        if (spec.kind !== "binary") return parseInt(t, 16);
        if (!/^([0-9a-f]{2})*$/i.test(t)) throw new TypeError(`${where}: ${x} is not hex`);
        return new Uint8Array(t.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
      }
    }
  }
  return x;
}
