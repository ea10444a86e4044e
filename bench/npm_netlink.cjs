// The npm `netlink` package (0.3.0, prebuilt addon) as a peer for W1:
//   node bench/npm_netlink.cjs <path-to-netlink> <dumps>   prints "ms routes" per dump
const { createRtNetlink } = require(process.argv[2]);
(async () => {
  const socket = createRtNetlink();
  const dumps = Number(process.argv[3] || 5);
  for (let i = 0; i < dumps; i++) {
    const t0 = performance.now();
    const routes = await socket.getRoutes();
    console.log(`${(performance.now() - t0).toFixed(3)} ${routes.length}`);
  }
  process.exit(0);
})();
