/**
 * The wire constants of the nlrtable kernel module under the names of its
 * UAPI header `kmod/nlrtable.h`. Every value comes from the generated
 * module src/families/nlrtable.ts (from the spec kmod/nlrtable.yaml);
 * tests/nlrtable_spec.test.ts holds the header to it.
 *
 * @module
 */
import {
  NLRT_LIFETIME_MAX_MS,
  NLRT_TEXT_MAX,
  NLRT_WATCHERS_MAX,
  nlrtable,
} from "../families/nlrtable.ts";

export {
  NLRT_A,
  NLRT_GRP,
  NLRT_LIFETIME_MAX_MS,
  NLRT_MSG,
  NLRT_REASON,
  NLRT_TEXT_MAX,
  NLRT_WATCHERS_MAX,
  nlrtable,
  type NlrtableOps,
  type NlrtAttrs,
  type Nlrtmsg,
} from "../families/nlrtable.ts";

/**
 * The module's netlink protocol number unless its `protocol` parameter
 * says otherwise (the spec's `protonum`).
 *
 * @example
 * ```ts
 * import { NLRT_PROTOCOL_DEFAULT } from "./protocol.ts";
 * NLRT_PROTOCOL_DEFAULT; // 31
 * ```
 */
export const NLRT_PROTOCOL_DEFAULT: number = nlrtable.protonum!;

/**
 * Limits the module enforces: text length, lifetime, watchers per entry
 * (the spec's consts).
 *
 * @example
 * ```ts
 * import { NLRT_LIMITS } from "./protocol.ts";
 * NLRT_LIMITS.LIFETIME_MAX_MS; // 604800000
 * ```
 */
export const NLRT_LIMITS = {
  TEXT_MAX: NLRT_TEXT_MAX,
  LIFETIME_MAX_MS: NLRT_LIFETIME_MAX_MS,
  WATCHERS_MAX: NLRT_WATCHERS_MAX,
} as const;

/**
 * Size of `struct nlrtmsg`, the fixed header after `nlmsghdr`.
 *
 * @example
 * ```ts
 * import { NLRTMSG_SIZE } from "./protocol.ts";
 * NLRTMSG_SIZE; // 4
 * ```
 */
export const NLRTMSG_SIZE: number = nlrtable.structs.nlrtmsg.size;
