/*
 * The C reference for the nlrtable round trip: a minimal client, plain
 * sockets, one NLRT_MSG_GETROUTE with NLM_F_ACK at a time, replies read
 * until the ACK.
 *
 *     nlrt_roundtrip COUNT [PROTOCOL]   prints "ns_per_request N"
 */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../kmod/nlrtable.h"
#include "common.h"

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 10000;
	int protocol = argc > 2 ? atoi(argv[2]) : NLRT_PROTOCOL_DEFAULT;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[8192];
	struct {
		struct nlmsghdr nh;
		struct nlrtmsg rtm;
		struct nlattr dst;
		unsigned char addr[4];
	} req;
	double t0;
	long i;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = NLRT_MSG_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.rtm.nrt_family = AF_INET;
	req.rtm.nrt_dst_len = 24;
	req.dst.nla_len = sizeof(req.dst) + sizeof(req.addr);
	req.dst.nla_type = NLRT_A_DST;
	inet_pton(AF_INET, "10.0.0.0", req.addr);

	t0 = now_ns();
	for (i = 0; i < count; i++) {
		int acked = 0;

		req.nh.nlmsg_seq = i + 1;
		if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
			   sizeof(kernel)) < 0) {
			perror("sendto");
			return 1;
		}
		while (!acked) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			struct nlmsghdr *nh;

			if (n < 0) {
				perror("recv");
				return 1;
			}
			for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
			     nh = NLMSG_NEXT(nh, n)) {
				if (nh->nlmsg_type != NLMSG_ERROR)
					continue;
				if (((struct nlmsgerr *)NLMSG_DATA(nh))->error) {
					fprintf(stderr, "error reply\n");
					return 1;
				}
				acked = 1;
			}
		}
	}
	printf("ns_per_request %.0f\n", (now_ns() - t0) / count);
	close(fd);
	return 0;
}
