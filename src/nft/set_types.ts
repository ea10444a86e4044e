/**
 * Set key and map value types as `nft` numbers them (its `datatype.h`,
 * `enum datatypes`): the kernel stores the number and `nft list` prints
 * the name. These are the userspace tool's numbers, not the kernel's.
 *
 * @module
 */
import { DATA_TYPES } from "./spec.ts";

/**
 * Common key types, and `verdict` for verdict maps' values (the kernel's
 * NFT_DATA_VERDICT).
 *
 * @example
 * ```ts
 * import { SET_TYPES } from "./set_types.ts";
 * const set = { keyType: SET_TYPES.ipv4_addr, keyLen: 4 };
 * ```
 */
export const SET_TYPES = {
  integer: 4,
  ipv4_addr: 7,
  ipv6_addr: 8,
  ether_addr: 9,
  inet_proto: 12,
  inet_service: 13,
  mark: 19,
  ifname: 41,
  verdict: DATA_TYPES.verdict,
} as const;
