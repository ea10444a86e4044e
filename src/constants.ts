/**
 * The netlink constants of `<linux/netlink.h>`, as `const` objects.
 *
 * @module
 */

/**
 * Netlink protocol numbers (the third argument of `socket(2)`).
 *
 * @example
 * ```ts
 * import { NETLINK } from "./constants.ts";
 * NETLINK.ROUTE; // 0
 * ```
 */
export const NETLINK = {
  ROUTE: 0,
  UNUSED: 1,
  USERSOCK: 2,
  FIREWALL: 3,
  SOCK_DIAG: 4,
  NFLOG: 5,
  XFRM: 6,
  SELINUX: 7,
  ISCSI: 8,
  AUDIT: 9,
  FIB_LOOKUP: 10,
  CONNECTOR: 11,
  NETFILTER: 12,
  IP6_FW: 13,
  DNRTMSG: 14,
  KOBJECT_UEVENT: 15,
  GENERIC: 16,
  SCSITRANSPORT: 18,
  ECRYPTFS: 19,
  RDMA: 20,
  CRYPTO: 21,
  SMC: 22,
} as const;

/**
 * Reserved message types. Family message types start at `MIN_TYPE`.
 * `OVERRUN` is never sent by the kernel (lost events arrive as an
 * `Overrun` item of the event stream, see errors.ts).
 *
 * @example
 * ```ts
 * import { NLMSG } from "./constants.ts";
 * NLMSG.DONE; // 3
 * ```
 */
export const NLMSG = {
  NOOP: 1,
  ERROR: 2,
  DONE: 3,
  OVERRUN: 4,
  MIN_TYPE: 0x10,
} as const;

/**
 * `nlmsg_flags` bits. GET requests use `ROOT`/`MATCH`/`ATOMIC`/`DUMP`, NEW
 * requests `REPLACE`/`EXCL`/`CREATE`/`APPEND`, DELETE requests
 * `NONREC`/`BULK`, and ACKs `CAPPED`/`ACK_TLVS` (these share bits).
 *
 * @example
 * ```ts
 * import { NLM_F } from "./constants.ts";
 * const flags = NLM_F.REQUEST | NLM_F.DUMP; // 0x301
 * ```
 */
export const NLM_F = {
  REQUEST: 0x01,
  MULTI: 0x02,
  ACK: 0x04,
  ECHO: 0x08,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  ROOT: 0x100,
  MATCH: 0x200,
  ATOMIC: 0x400,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  NONREC: 0x100,
  BULK: 0x200,
  CAPPED: 0x100,
  ACK_TLVS: 0x200,
} as const;

/**
 * Attribute type flags (`nla_type` high bits) and the mask of the type.
 *
 * @example
 * ```ts
 * import { NLA_F } from "./constants.ts";
 * const raw = 0x8003;
 * raw & NLA_F.TYPE_MASK; // 3
 * ```
 */
export const NLA_F = {
  NESTED: 0x8000,
  NET_BYTEORDER: 0x4000,
  TYPE_MASK: 0x3fff,
} as const;

/**
 * Extended-ACK attributes carried after `struct nlmsgerr`.
 *
 * @example
 * ```ts
 * import { NLMSGERR_ATTR } from "./constants.ts";
 * NLMSGERR_ATTR.MSG; // 1
 * ```
 */
export const NLMSGERR_ATTR = {
  UNUSED: 0,
  MSG: 1,
  OFFS: 2,
  COOKIE: 3,
  POLICY: 4,
  MISS_TYPE: 5,
  MISS_NEST: 6,
} as const;

/**
 * Socket options at level `SOL_NETLINK` (270).
 *
 * @example
 * ```ts
 * import { NETLINK_OPT, SOL_NETLINK } from "./constants.ts";
 * [SOL_NETLINK, NETLINK_OPT.EXT_ACK]; // [270, 11]
 * ```
 */
export const NETLINK_OPT = {
  ADD_MEMBERSHIP: 1,
  DROP_MEMBERSHIP: 2,
  PKTINFO: 3,
  BROADCAST_ERROR: 4,
  NO_ENOBUFS: 5,
  LISTEN_ALL_NSID: 8,
  LIST_MEMBERSHIPS: 9,
  CAP_ACK: 10,
  EXT_ACK: 11,
  GET_STRICT_CHK: 12,
} as const;

/**
 * The `setsockopt` level of the {@linkcode NETLINK_OPT} options.
 *
 * @example
 * ```ts
 * import { SOL_NETLINK } from "./constants.ts";
 * SOL_NETLINK; // 270
 * ```
 */
export const SOL_NETLINK = 270;

/** Length of `struct nlmsghdr`. */
export const NLMSG_HDRLEN = 16;
/** Length of `struct nlattr`. */
export const NLA_HDRLEN = 4;
