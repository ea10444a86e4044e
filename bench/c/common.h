/* SPDX-License-Identifier: MIT */
/*
 * What the C references share: the monotonic clock, and for the libmnl
 * ones (include <libmnl/libmnl.h> first) a bound NETLINK_ROUTE socket and
 * the callback that counts messages.
 */
#ifndef NLTS_BENCH_COMMON_H
#define NLTS_BENCH_COMMON_H

#include <stdio.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static inline double now_us(void)
{
	return now_ns() / 1e3;
}

static inline double now_ms(void)
{
	return now_ns() / 1e6;
}

#ifdef _LIBMNL_H_
/* A NETLINK_ROUTE socket bound to a port id of the kernel's choosing, or NULL. */
static inline struct mnl_socket *open_route(unsigned int *portid)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("mnl_socket");
		if (nl)
			mnl_socket_close(nl);
		return NULL;
	}
	if (portid)
		*portid = mnl_socket_get_portid(nl);
	return nl;
}

/* An mnl_cb_run callback that counts messages into *(unsigned long *)data. */
static inline int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(unsigned long *)data)++;
	return MNL_CB_OK;
}
#endif

#endif
