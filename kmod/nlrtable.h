/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nlrtable: a routing table kept by a kernel module and spoken to over a
 * netlink protocol of its own (the protocol number is the module parameter
 * "protocol", 31 by default).
 *
 * Every request carries struct nlrtmsg after the netlink header, then
 * attributes. Entries are keyed by (family, dst, dst_len). Every table change
 * is multicast to group NLRT_GRP_ROUTE; a socket that sent NLRT_MSG_WATCH for
 * an entry also gets its own unicast NLRT_MSG_DELROUTE when that entry goes,
 * whether by request or because its lifetime ran out.
 *
 * The protocol is described once, in kmod/nlrtable.yaml (the kernel's YNL
 * schema, netlink-raw); tests/nlrtable_spec.test.ts holds every name and
 * value here to what the generator makes of it. The values are written out
 * so that tools can read them from this file.
 */
#ifndef _UAPI_LINUX_NLRTABLE_H
#define _UAPI_LINUX_NLRTABLE_H

#include <linux/types.h>

#define NLRT_PROTOCOL_DEFAULT 31

enum nlrt_msg_type {
	NLRT_MSG_GREET = 16,	/* echo NLRT_A_TEXT back with a greeting */
	NLRT_MSG_NEWROUTE = 17,	/* add or replace; also the add event */
	NLRT_MSG_DELROUTE = 18,	/* delete; also the delete event */
	NLRT_MSG_GETROUTE = 19,	/* get one entry, or all with NLM_F_DUMP */
	NLRT_MSG_WATCH = 20,	/* ask to be told when the entry is deleted */
	NLRT_MSG_UNWATCH = 21,	/* stop being told */
};

struct nlrtmsg {
	__u8 nrt_family;	/* AF_INET or AF_INET6; AF_UNSPEC to dump all */
	__u8 nrt_dst_len;	/* prefix length */
	__u8 nrt_reason;	/* in NLRT_MSG_DELROUTE events: enum nlrt_reason */
	__u8 nrt_pad;		/* must be zero */
};

enum nlrt_reason {
	NLRT_REASON_NONE = 0,
	NLRT_REASON_REQUEST = 1,	/* deleted by NLRT_MSG_DELROUTE */
	NLRT_REASON_EXPIRED = 2,	/* its lifetime ran out */
};

enum nlrt_attr {
	NLRT_A_UNSPEC = 0,
	NLRT_A_DST = 1,		/* binary: 4 or 16 bytes, network order */
	NLRT_A_GATEWAY = 2,	/* binary: same length as NLRT_A_DST */
	NLRT_A_OIFNAME = 3,	/* string: outgoing interface name */
	NLRT_A_LIFETIME_MS = 4,	/* u32: delete after this long; 0 = never */
	NLRT_A_EXPIRES_MS = 5,	/* u32, replies only: time left */
	NLRT_A_WATCHERS = 6,	/* u32, replies only: sockets watching */
	NLRT_A_TEXT = 7,	/* string: greet text */
	NLRT_A_GREETING = 8,	/* string, greet reply only */
	__NLRT_A_MAX = 9,
};

#define NLRT_A_MAX (__NLRT_A_MAX - 1)

enum nlrt_group {
	NLRT_GRP_NONE = 0,
	NLRT_GRP_ROUTE = 1,	/* every table change */
	__NLRT_GRP_MAX = 2,
};

#define NLRT_GRP_MAX (__NLRT_GRP_MAX - 1)

#define NLRT_TEXT_MAX 255		/* longest NLRT_A_TEXT, without the NUL */
#define NLRT_LIFETIME_MAX_MS 604800000	/* one week */
#define NLRT_WATCHERS_MAX 256		/* per entry */

#endif /* _UAPI_LINUX_NLRTABLE_H */
