// SPDX-License-Identifier: MIT
/*
 * The libmnl reference for the request round trip: RTM_GETLINK by index
 * with NLM_F_ACK, receive until the ACK. Prints one mean per batch:
 *   roundtrip <batches> <requests-per-batch> <ifindex>
 * Built with -DW3_LIBRARY -shared, it is a library exporting w3_batch().
 */
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

static struct mnl_socket *nl;
static unsigned int portid, seq = 1;
static char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE: at most 8192 */

static int open_socket(void)
{
	int one = 1;

	nl = open_route(&portid);
	if (!nl)
		return -1;
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

/*
 * Runs `per` round trips and returns their mean in microseconds (negative
 * on an error). Exported so that a benchmark can load this file as a
 * shared object and alternate with the library inside one process.
 */
double w3_batch(int per, int ifindex)
{
	double t0;
	int i;

	if (!nl && open_socket() < 0)
		return -1;
	t0 = now_us();
	for (i = 0; i < per; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct ifinfomsg *ifm;
		unsigned long got = 0;
		int ret;

		nlh->nlmsg_type = RTM_GETLINK;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = ++seq;
		ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
		ifm->ifi_index = ifindex;
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
			return -1;
		do {
			ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
			if (ret <= 0)
				return -1;
			ret = mnl_cb_run(buf, ret, seq, portid, count_cb, &got);
		} while (ret > MNL_CB_STOP);
		if (ret < 0 || got != 1)
			return -1;
	}
	return (now_us() - t0) / per;
}

#ifndef W3_LIBRARY
int main(int argc, char **argv)
{
	int batches = argc > 1 ? atoi(argv[1]) : 10;
	int per = argc > 2 ? atoi(argv[2]) : 2000;
	int ifindex = argc > 3 ? atoi(argv[3]) : 1;
	int b;

	for (b = 0; b < batches; b++) {
		double mean = w3_batch(per, ifindex);

		if (mean < 0)
			return 1;
		printf("%.3f\n", mean);
	}
	mnl_socket_close(nl);
	return 0;
}
#endif
