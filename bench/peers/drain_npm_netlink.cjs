// W2's drain, the npm `netlink` package's side (0.3.0, prebuilt addon): an
// RtNetlinkSocket that joins RTNLGRP_IPV4_ROUTE with addMembership() and asks
// for the library's 32 MiB with setRecvBufferSize() (SO_RCVBUF: the package
// has no SO_RCVBUFFORCE, so rmem_max caps it). Prints "ready"; the addon reads
// whenever Node's event loop polls, so the loop is held (a blocking read of
// stdin, then a blocking settle-ms wait) while the burst queues. Then it
// counts the parsed messages of its 'message' events until 20 ms pass without
// one; ENOBUFS arrives as an 'error' event and is counted. Prints
// "got ms overruns rcvbuf", like bench/events.ts drain.
//
// Known: once its queue overruns, the process aborts before any 'error'
// event. The overrun makes poll() report POLLERR, libuv hands the addon's
// PollHandler status UV_EBADF, and its error path builds
// ErrnoException(env, -status, NULL, ...), whose Napi::String::New(env, NULL)
// throws from a libuv callback: "terminate called after throwing an instance
// of 'Napi::Error' / Error in native callback" (gdb: std::terminate <-
// Napi::String::New <- ErrnoException <- Socket::PollHandler <- uv__io_poll;
// src/binding.cc of 0.3.0). Its SO_RCVBUF is capped by rmem_max (4 MiB here,
// granted 8 MiB), less than W2's burst needs.
//
//     node bench/peers/drain_npm_netlink.cjs <path-to-netlink> <settle-ms>
const fs = require("node:fs");
const { createRtNetlink } = require(process.argv[2]);
const settle = Number(process.argv[3] || 200);

const rt = createRtNetlink({ ref: true });
rt.socket.setRecvBufferSize(32 << 20);
rt.addMembership(7 /* RTNLGRP_IPV4_ROUTE */);
const rcvbuf = rt.socket.getRecvBufferSize();
let got = 0, overruns = 0, last = 0;
rt.on("message", (msgs) => {
  got += msgs.length;
  last = performance.now();
});
rt.on("invalid", () => {
  process.stderr.write("invalid\n");
});
rt.socket.on("error", (e) => {
  if (e.code !== "ENOBUFS") process.stderr.write(`${e.code} ${e.message}\n`);
  overruns++;
});
fs.writeSync(1, "ready\n");
// hold the event loop until the burst is queued (a line on stdin), and settle ms more
for (const buf = Buffer.alloc(16); !buf.includes(10);) {
  if (fs.readSync(0, buf) === 0) break;
}
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, settle);
const t0 = last = performance.now();
let seen = -1;
const t = setInterval(() => {
  if (got + overruns !== seen) {
    seen = got + overruns;
    return;
  }
  clearInterval(t);
  fs.writeSync(1, `${got} ${(last - t0).toFixed(3)} ${overruns} ${rcvbuf}\n`);
  process.exit(0);
}, 20);
