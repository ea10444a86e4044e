// SPDX-License-Identifier: MIT
/*
 * The libmnl reference for the route dump: RTM_GETROUTE (AF_INET) with a
 * 32 KiB buffer, every route's attributes parsed into a struct by
 * mnl_attr_parse, as a typical libmnl program does. Prints ms per dump.
 *   dump <dumps>
 * Built with -DW1_LIBRARY -shared, it is a library exporting w1_dump().
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

struct route {
	unsigned char dst_len;
	const void *dst;
	const void *gw;
	unsigned int oif, prio, table;
};

static unsigned long routes, checksum;

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct route *r = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case RTA_DST:
		r->dst = mnl_attr_get_payload(attr);
		break;
	case RTA_GATEWAY:
		r->gw = mnl_attr_get_payload(attr);
		break;
	case RTA_OIF:
		r->oif = mnl_attr_get_u32(attr);
		break;
	case RTA_PRIORITY:
		r->prio = mnl_attr_get_u32(attr);
		break;
	case RTA_TABLE:
		r->table = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	struct route r = { .dst_len = rm->rtm_dst_len, .table = rm->rtm_table };

	(void)data;
	mnl_attr_parse(nlh, sizeof(*rm), attr_cb, &r);
	routes++;
	checksum += r.oif + r.dst_len + (r.dst ? *(const unsigned char *)r.dst : 0);
	return MNL_CB_OK;
}

static struct mnl_socket *nl;
static unsigned int portid, seq;
static char buf[32768];

/*
 * One dump; returns its time in ms (negative on an error), and the routes
 * seen in `*count`. Exported so that a benchmark can load this file as a
 * shared object and alternate with the library inside one process.
 */
double w1_dump(unsigned long *count)
{
	char req[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtmsg *rm;
	double t0;
	int ret;

	if (!nl) {
		nl = open_route(&portid);
		if (!nl)
			return -1;
	}
	t0 = now_ms();
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++seq;
	rm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rm));
	rm->rtm_family = AF_INET;
	routes = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret <= 0)
			return -1;
		ret = mnl_cb_run(buf, ret, seq, portid, data_cb, NULL);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return -1;
	*count = routes;
	return now_ms() - t0;
}

#ifndef W1_LIBRARY
int main(int argc, char **argv)
{
	int dumps = argc > 1 ? atoi(argv[1]) : 10;

	for (int d = 0; d < dumps; d++) {
		unsigned long count;
		double ms = w1_dump(&count);

		if (ms < 0)
			return 1;
		printf("%.3f %lu\n", ms, count);
	}
	mnl_socket_close(nl);
	return checksum == 0xffffffff;
}
#endif
