/**
 * The typed nf_tables objects: tables, chains, rules, sets and their
 * elements, flowtables. Names follow `nft` (families `ip`, `ip6`, `inet`,
 * hooks `prerouting` ... `postrouting`, verdicts `accept`, `drop`, ...).
 *
 * @module
 */
import type { Expr } from "./expr_types.ts";
import type { SET_ELEM_FLAGS, SET_FLAGS, TABLE_FLAGS } from "../families/nftables.ts";

/** An nftables address family, as `nft` names it. */
export type NftFamily = "ip" | "ip6" | "inet" | "arp" | "bridge" | "netdev";

/** A hook, as `nft` names it (`ingress`/`egress` for netdev, `ingress` for inet too). */
export type NftHook =
  | "prerouting"
  | "input"
  | "forward"
  | "output"
  | "postrouting"
  | "ingress"
  | "egress";

/** A verdict. `jump` and `goto` name a chain. */
export type VerdictName = "accept" | "drop" | "continue" | "return" | "jump" | "goto" | "queue";

/** A verdict with its target chain (for `jump` and `goto`). */
export interface Verdict {
  /** What happens to the packet. */
  verdict: VerdictName;
  /** The chain `jump`/`goto` goes to. */
  chain?: string;
}

/** A table. */
export interface NftTable {
  /** Its family. */
  family: NftFamily;
  /** Its name. */
  name: string;
  /** Table flags (`dormant`, `owner`, `persist`). */
  flags?: (keyof typeof TABLE_FLAGS)[];
  /** Its handle (set by the kernel). */
  handle?: bigint;
  /** Objects referencing it (read only). */
  use?: number;
  /** A comment (userdata, as `nft` stores it). */
  comment?: string;
}

/** A chain: a base chain when `hook` is set, else a regular chain. */
export interface NftChain {
  /** Family of its table. */
  family: NftFamily;
  /** Its table's name. */
  table: string;
  /** Its name. */
  name: string;
  /** The hook of a base chain. */
  hook?: NftHook;
  /** The base chain's priority (`filter` is 0, `srcnat` 100, `dstnat` -100). */
  priority?: number;
  /** The base chain's type. Default `filter`. */
  type?: "filter" | "nat" | "route";
  /** The base chain's policy. Default `accept`. */
  policy?: "accept" | "drop";
  /** The device of a netdev (ingress/egress) base chain. */
  device?: string;
  /** Its handle (set by the kernel). */
  handle?: bigint;
  /** A comment (userdata, as `nft` stores it). */
  comment?: string;
}

/** A rule: its expressions, run in order. */
export interface NftRule {
  /** Family of its table. */
  family: NftFamily;
  /** Its table's name. */
  table: string;
  /** Its chain's name. */
  chain: string;
  /** Its expressions. */
  exprs: Expr[];
  /** Its handle (set by the kernel; names the rule to replace or delete). */
  handle?: bigint;
  /**
   * When adding: the handle of the rule to add after (or, with `insert`,
   * before). When listing: what the kernel reports.
   */
  position?: bigint;
  /** A comment (userdata, as `nft` stores it). */
  comment?: string;
}

/** Data types of set keys and map values, as `nft` numbers them (its `datatype.h`). */
export type SetDataType = number;

/** A set, or a map when `dataType` is given. */
export interface NftSet {
  /** Family of its table. */
  family: NftFamily;
  /** Its table's name. */
  table: string;
  /** Its name. */
  name: string;
  /** The key's data type, as `nft` numbers it (see {@linkcode SET_TYPES}). */
  keyType: SetDataType;
  /** The key's length in bytes. */
  keyLen: number;
  /** A map's value type (`SET_TYPES.verdict` for a verdict map). */
  dataType?: SetDataType;
  /** A map's value length in bytes (verdict maps: 16). */
  dataLen?: number;
  /** Set flags (`constant`, `interval`, `timeout`, `map` is added for maps ...). */
  flags?: (keyof typeof SET_FLAGS)[];
  /** The default element timeout, in milliseconds. */
  timeout?: number;
  /** Garbage collection interval, in milliseconds. */
  gcInterval?: number;
  /** The most elements it holds. */
  size?: number;
  /** Its handle (set by the kernel). */
  handle?: bigint;
  /** A comment (userdata, as `nft` stores it). */
  comment?: string;
  /** Its elements: filled by listing; added with the set by a batch. */
  elements?: NftElement[];
}

/** An element of a set or map. */
export interface NftElement {
  /** The key, in the byte order the set's type has (network order for addresses and ports). */
  key: Uint8Array;
  /** The end of an interval (sets with `interval` and concatenations). */
  keyEnd?: Uint8Array;
  /** A map's value: bytes, or a verdict for a verdict map. */
  data?: Uint8Array | Verdict;
  /** Element flags (`interval-end` marks the end of a range in an interval set). */
  flags?: (keyof typeof SET_ELEM_FLAGS)[];
  /** Its timeout, in milliseconds. */
  timeout?: number;
  /** Milliseconds until it expires (read only). */
  expiration?: number;
  /** A comment (userdata, as `nft` stores it). */
  comment?: string;
}

/** A flowtable: connections offloaded past the forwarding path. */
export interface NftFlowtable {
  /** Family of its table. */
  family: NftFamily;
  /** Its table's name. */
  table: string;
  /** Its name. */
  name: string;
  /** Its hook: `ingress`. */
  hook?: "ingress";
  /** Its priority. */
  priority?: number;
  /** The devices it covers. */
  devices?: string[];
  /** Flags (`hw-offload` 1, `counter` 2). */
  flags?: number;
  /** Its handle (set by the kernel). */
  handle?: bigint;
}

/** A whole ruleset: every table with what it holds. */
export interface NftRuleset {
  /** The ruleset's generation (it changes with every commit). */
  generation: number;
  /** Tables, each with its chains, sets, flowtables and rules. */
  tables: (NftTable & {
    chains: NftChain[];
    sets: NftSet[];
    flowtables: NftFlowtable[];
    rules: NftRule[];
  })[];
}
