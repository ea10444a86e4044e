# W2's drain, pyroute2's side: an IPRoute bound to RTNLGRP_IPV4_ROUTE with the
# library's receive buffer (SO_RCVBUFFORCE 32 MiB, as src/socket/setup.ts asks
# for an event socket). Prints "ready"; once a line on stdin says the burst is
# queued, and settle-ms later, reads with IPRoute.get() (each message parsed,
# as a user of pyroute2 gets it) until 20 ms pass without one; ENOBUFS is
# counted and skipped. Prints "got ms overruns rcvbuf", like bench/events.ts.
#
#     python3 bench/peers/drain_pyroute2.py <settle-ms>
import errno
import select
import socket
import sys
import time

from pyroute2 import IPRoute
from pyroute2.netlink.rtnl import RTMGRP_IPV4_ROUTE

SO_RCVBUFFORCE = 33
settle = float(sys.argv[1]) if len(sys.argv) > 1 else 200

ip = IPRoute()
ip.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
ip.bind(groups=RTMGRP_IPV4_ROUTE)
rcvbuf = ip.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
print("ready", flush=True)
sys.stdin.readline()
time.sleep(settle / 1000)

got = overruns = 0
poll = select.poll()
poll.register(ip.fileno(), select.POLLIN)
t0 = last = time.perf_counter()
while poll.poll(20):
    try:
        for _ in ip.get():
            got += 1
    except OSError as e:
        if e.errno != errno.ENOBUFS:
            raise
        overruns += 1
        continue
    last = time.perf_counter()
print(f"{got} {(last - t0) * 1000:.3f} {overruns} {rcvbuf}", flush=True)
ip.close()
