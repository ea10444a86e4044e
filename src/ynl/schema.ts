/**
 * The tables the YNL generator emits for each netlink family, and that
 * {@link "./codec.ts"} interprets: names, numbers and types, nothing else.
 *
 * @module
 */

/** How an attribute's value is encoded. */
export type AttrKind =
  | "u8"
  | "u16"
  | "u32"
  | "u64"
  | "s8"
  | "s16"
  | "s32"
  | "s64"
  | "uint"
  | "sint"
  | "flag"
  | "string"
  | "binary"
  | "nest"
  | "indexed-array"
  | "nest-type-value"
  | "sub-message"
  | "bitfield32"
  | "pad"
  | "unused";

/** One attribute of an attribute set. */
export interface AttrSpec {
  /** Its type number. */
  readonly type: number;
  /** The spec's name, e.g. `"ifname"`. */
  readonly name: string;
  /** The key in decoded objects, e.g. `"ifname"`. */
  readonly key: string;
  /** How the value is encoded. */
  readonly kind: AttrKind;
  /** For arrays: the kind of each element. */
  readonly subType?: AttrKind;
  /** Nested attribute set (nest, indexed-array of nests, nest-type-value). */
  readonly set?: string;
  /** A struct the binary value holds. */
  readonly struct?: string;
  /** An enum (or flags) the value takes. */
  readonly enum?: string;
  /** The value is a bit set of the enum's flags. */
  readonly enumAsFlags?: boolean;
  /** Network byte order. */
  readonly bigEndian?: boolean;
  /** May repeat: decoded into an array. */
  readonly multi?: boolean;
  /** For sub-messages: the sibling attribute whose value selects the format. */
  readonly selector?: string;
  /** For sub-messages: which table of formats. */
  readonly subMessage?: string;
  /** How to show a binary value: "ipv4", "ipv6", "mac", "hex", ... */
  readonly hint?: string;
  /** For nest-type-value: how many levels of type-as-key nesting. */
  readonly levels?: number;
  /** For nest-type-value: the spec's names of the levels' types, outermost first. */
  readonly typeValue?: readonly string[];
  /** The limits the spec states for the value (its `checks`), resolved to numbers. */
  readonly checks?: AttrChecks;
}

/** An attribute's `checks` in its spec, every named limit resolved to a number. */
export interface AttrChecks {
  /** Smallest value. */
  readonly min?: number;
  /** Largest value. */
  readonly max?: number;
  /** Shortest length in bytes. */
  readonly minLen?: number;
  /** Longest length in bytes (for a string, without its NUL). */
  readonly maxLen?: number;
  /** The only length allowed. */
  readonly exactLen?: number;
}

/** An attribute set: lookups by type number and by key. */
export interface AttrSetSpec {
  /** The spec's name. */
  readonly name: string;
  /** Attributes in type order. */
  readonly attrs: readonly AttrSpec[];
}

/** A member of a fixed header or binary struct. */
export interface MemberSpec {
  /** The spec's name. */
  readonly name: string;
  /** The key in decoded objects. */
  readonly key: string;
  /** u8..s64, "binary" or "pad" (then `len` bytes), "string" (`len` bytes, NUL padded). */
  readonly kind: string;
  /** Size for binary, pad and string members. */
  readonly len?: number;
  /** Network byte order. */
  readonly bigEndian?: boolean;
  /** An enum the value takes. */
  readonly enum?: string;
  /** The value is a bit set of the enum's flags. */
  readonly enumAsFlags?: boolean;
  /** How to show the value: "ipv4", "mac", "hex", ... */
  readonly hint?: string;
  /**
   * A binary member that holds another struct (YNL `struct: NAME`; `len`
   * is that struct's size): decoded to an object of its fields, encoded
   * from one (or from its bytes).
   */
  readonly struct?: string;
}

/** A struct: a fixed header, or the layout of a binary attribute. */
export interface StructSpec {
  /** The spec's name. */
  readonly name: string;
  /** Members in order. */
  readonly members: readonly MemberSpec[];
  /** Total size in bytes. */
  readonly size: number;
}

/** An enum or a set of flags. */
export interface EnumSpec {
  /** The spec's name. */
  readonly name: string;
  /** "enum" or "flags" (values are bits). */
  readonly type: "enum" | "flags";
  /** Entry name to value. */
  readonly entries: Readonly<Record<string, number>>;
}

/** One direction of a do or dump. */
export interface OpMessage {
  /** The message type (raw families) or command (generic netlink). */
  readonly value: number;
  /** The attributes it carries, by spec name. */
  readonly attributes: readonly string[];
}

/** An operation: a do (request) and/or a dump, and events. */
export interface OpSpec {
  /** The spec's name. */
  readonly name: string;
  /** Its attribute set. */
  readonly set: string;
  /** A fixed header after nlmsghdr (and the genl header). */
  readonly fixedHeader?: string;
  /** The do request and reply. */
  readonly do?: { readonly request?: OpMessage; readonly reply?: OpMessage };
  /** The dump request and reply. */
  readonly dump?: { readonly request?: OpMessage; readonly reply?: OpMessage };
  /** For notifications: the message type or command of the event. */
  readonly event?: number;
  /** For notifications: the operation whose reply it looks like (the spec's `notify`). */
  readonly notify?: string;
  /** For notifications: the multicast group names it arrives on. */
  readonly mcgrp?: string;
}

/** A sub-message format: chosen by the selector's value. */
export interface SubMessageFormat {
  /** Attribute set of the format, if any. */
  readonly set?: string;
  /** Fixed header of the format, if any. */
  readonly fixedHeader?: string;
}

/** Everything about one family. */
export interface FamilySpec {
  /** The spec's name, e.g. "rt-route" or "ethtool". */
  readonly name: string;
  /** "netlink-raw", "genetlink", "genetlink-legacy" or "genetlink-c". */
  readonly protocol: string;
  /** For netlink-raw: the netlink protocol number. */
  readonly protonum?: number;
  /** For generic netlink: the family version. */
  readonly version?: number;
  /** Structs by name. */
  readonly structs: Readonly<Record<string, StructSpec>>;
  /** Enums and flags by name. */
  readonly enums: Readonly<Record<string, EnumSpec>>;
  /** Attribute sets by name. */
  readonly sets: Readonly<Record<string, AttrSetSpec>>;
  /** Sub-message tables by name, keyed by selector value. */
  readonly subMessages: Readonly<Record<string, Readonly<Record<string, SubMessageFormat>>>>;
  /** Operations by name. */
  readonly ops: Readonly<Record<string, OpSpec>>;
  /** Multicast groups: the number (raw families) or -1 (resolve by name). */
  readonly mcastGroups: Readonly<Record<string, number>>;
  /** A fixed header every operation of the family shares. */
  readonly fixedHeader?: string;
  /**
   * The kernel spec's file name without `.yaml` (`"rt-link"`,
   * `"sunrpc_cache"`): what the kernel's ynl CLI takes as `--family`.
   * Absent for the project's own specs (tools/specs).
   */
  readonly kernelSpec?: string;
}

/** Sizes of the fixed-width scalar kinds, in bytes. */
export const SCALAR_SIZES: Readonly<Record<string, number>> = {
  u8: 1,
  s8: 1,
  u16: 2,
  s16: 2,
  u32: 4,
  s32: 4,
  u64: 8,
  s64: 8,
};

/**
 * The entry of a generated table named `key`, if the table has one of its
 * own. Tables are plain objects: `table["constructor"]` would find
 * `Object.prototype`'s, so a name that comes from outside (a link kind, an
 * operation, a user's argument) is looked up through this.
 *
 * @example
 * ```ts
 * import { own } from "./schema.ts";
 * own({ veth: 1 }, "veth"); // 1
 * own({ veth: 1 }, "constructor"); // undefined
 * ```
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
