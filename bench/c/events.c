// SPDX-License-Identifier: MIT
/*
 * The libmnl reference for the event workloads, on RTNLGRP_IPV4_ROUTE with
 * a 64 MiB buffer (SO_RCVBUFFORCE):
 *   events listen <expected> <idle-ms>   receive until expected or idle;
 *                                        prints "got lost enobufs cpu_us"
 *   events drain <settle-ms>             let the queue fill (until a line on
 *                                        stdin, then settle-ms), then drain it;
 *                                        prints "got ms"
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static unsigned long got;

static double cpu_us(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec +
	       u.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	int drain = argc > 1 && !strcmp(argv[1], "drain");
	long arg = argc > 2 ? atol(argv[2]) : 100000;
	int idle = argc > 3 ? atoi(argv[3]) : 2000;
	int size = 64 << 20, group = RTNLGRP_IPV4_ROUTE;
	static char buf[1 << 16];
	unsigned long enobufs = 0;
	struct mnl_socket *nl = open_route(NULL);
	double c0, t0;
	int fd;

	if (!nl)
		return 1;
	fd = mnl_socket_get_fd(nl);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group));
	printf("ready\n");
	fflush(stdout);
	if (drain) {
		char go[16];

		/* once the bench says the whole burst is queued, and arg ms later */
		if (!fgets(go, sizeof(go), stdin))
			go[0] = 0;
		usleep(arg * 1000);
		t0 = now_ms();
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n < 0 && errno == ENOBUFS) {
				enobufs++;
				continue;
			}
			if (n <= 0)
				break;
			mnl_cb_run(buf, n, 0, 0, count_cb, &got);
		}
		printf("%lu %.3f %lu\n", got, now_ms() - t0, enobufs);
		return 0;
	}
	c0 = cpu_us();
	while (got < (unsigned long)arg) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, idle) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == ENOBUFS) {
			enobufs++;
			continue;
		}
		if (n <= 0)
			break;
		mnl_cb_run(buf, n, 0, 0, count_cb, &got);
	}
	printf("%lu %ld %lu %.0f\n", got, arg - (long)got, enobufs, cpu_us() - c0);
	return 0;
}
