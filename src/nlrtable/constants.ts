/**
 * The wire constants of the nlrtable kernel module, as its UAPI header
 * `kmod/nlrtable.h` defines them (a test proves the two agree).
 *
 * @module
 */

/**
 * The module's netlink protocol number unless its `protocol` parameter
 * says otherwise.
 *
 * @example
 * ```ts
 * import { NLRT_PROTOCOL_DEFAULT } from "./constants.ts";
 * NLRT_PROTOCOL_DEFAULT; // 31
 * ```
 */
export const NLRT_PROTOCOL_DEFAULT = 31;

/**
 * Message types (`enum nlrt_msg_type`).
 *
 * @example
 * ```ts
 * import { NLRT_MSG } from "./constants.ts";
 * NLRT_MSG.DELROUTE; // 18
 * ```
 */
export const NLRT_MSG = {
  GREET: 16,
  NEWROUTE: 17,
  DELROUTE: 18,
  GETROUTE: 19,
  WATCH: 20,
  UNWATCH: 21,
} as const;

/**
 * Why an entry was deleted, in `NLRT_MSG.DELROUTE` events (`enum nlrt_reason`).
 *
 * @example
 * ```ts
 * import { NLRT_REASON } from "./constants.ts";
 * NLRT_REASON.EXPIRED; // 2
 * ```
 */
export const NLRT_REASON = {
  NONE: 0,
  REQUEST: 1,
  EXPIRED: 2,
} as const;

/**
 * Attribute types (`enum nlrt_attr`).
 *
 * @example
 * ```ts
 * import { NLRT_A } from "./constants.ts";
 * NLRT_A.DST; // 1
 * ```
 */
export const NLRT_A = {
  UNSPEC: 0,
  DST: 1,
  GATEWAY: 2,
  OIFNAME: 3,
  LIFETIME_MS: 4,
  EXPIRES_MS: 5,
  WATCHERS: 6,
  TEXT: 7,
  GREETING: 8,
} as const;

/**
 * Multicast groups (`enum nlrt_group`): group numbers, not masks.
 *
 * @example
 * ```ts
 * import { NLRT_GRP } from "./constants.ts";
 * NLRT_GRP.ROUTE; // 1
 * ```
 */
export const NLRT_GRP = {
  NONE: 0,
  ROUTE: 1,
} as const;

/**
 * Limits the module enforces: text length, lifetime, watchers per entry.
 *
 * @example
 * ```ts
 * import { NLRT_LIMITS } from "./constants.ts";
 * NLRT_LIMITS.LIFETIME_MAX_MS; // 604800000
 * ```
 */
export const NLRT_LIMITS = {
  TEXT_MAX: 255,
  LIFETIME_MAX_MS: 604800000,
  WATCHERS_MAX: 256,
} as const;

/** Size of `struct nlrtmsg`, the fixed header after `nlmsghdr`. */
export const NLRTMSG_SIZE = 4;
