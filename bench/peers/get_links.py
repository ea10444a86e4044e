# W4, pyroute2's side: `dumps` get_links() calls in the netns it runs in.
# One line per dump: "ms links".
import sys
import time

from pyroute2 import IPRoute

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
with IPRoute() as ip:
    for _ in range(n):
        t0 = time.perf_counter()
        links = ip.get_links()
        veth = sum(1 for l in links if l.get_attr("IFLA_LINKINFO") and l.get_attr("IFLA_STATS64"))
        print(f"{(time.perf_counter() - t0) * 1000:.3f} {len(links)} {veth}")
