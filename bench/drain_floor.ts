/**
 * W2's floor: the drain of a full queue through Deno FFI with no library,
 * on a socket set up as the library sets up an event socket (32 MiB
 * buffer, RTNLGRP_IPV4_ROUTE), reading with `recv` one datagram per call
 * or with `recvmmsg` 64 at a time, counting messages by their headers, until
 * the queue is empty; ENOBUFS is counted and skipped, as the C reference
 * does. It starts once a line on stdin says the burst is queued. Prints
 * "got ms overruns", like bench/events.ts drain.
 *
 *     deno run --allow-ffi bench/drain_floor.ts <settle-ms> recv|recvmmsg
 */
const [settle = "4000", how = "recv"] = Deno.args;
const libc = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recvmmsg: { parameters: ["i32", "buffer", "u32", "i32", "pointer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
}).symbols;
const MSG_DONTWAIT = 0x40, ENOBUFS = 105, SLOTS = 64, SLOT = 32768;

const fd = libc.socket(16, /* AF_NETLINK */ 3, /* SOCK_RAW */ 0 /* NETLINK_ROUTE */);
const int = (v: number) => new Uint8Array(new Int32Array([v]).buffer);
libc.setsockopt(fd, 1, /* SOL_SOCKET */ 33, /* SO_RCVBUFFORCE */ int(32 << 20), 4);
const addr = new Uint8Array(12);
new DataView(addr.buffer).setUint16(0, 16, true);
new DataView(addr.buffer).setUint32(8, 1 << (7 - 1), true); // RTNLGRP_IPV4_ROUTE
if (fd < 0 || libc.bind(fd, addr, 12) < 0) throw new Error("floor socket");
const errno = () => new Deno.UnsafePointerView(libc.__errno_location()!).getInt32();

/** Messages in `n` bytes of `buf` from `at`, by their nlmsg_len. */
function count(buf: DataView, at: number, n: number): number {
  let c = 0;
  for (let off = 0; off + 16 <= n;) {
    const len = buf.getUint32(at + off, true);
    if (len < 16) break;
    c++;
    off += (len + 3) & ~3;
  }
  return c;
}

console.log("ready");
// once the bench says the whole burst is queued (a line on stdin), and settle ms later
for (const buf = new Uint8Array(16); !new TextDecoder().decode(buf).includes("\n");) {
  if (await Deno.stdin.read(buf) === null) break;
}
await new Promise((r) => setTimeout(r, Number(settle)));
let got = 0, overruns = 0;
const t0 = performance.now();
if (how === "recv") {
  const buf = new Uint8Array(SLOT);
  const view = new DataView(buf.buffer);
  for (;;) {
    const n = Number(libc.recv(fd, buf, BigInt(buf.length), MSG_DONTWAIT));
    if (n < 0 && errno() === ENOBUFS) {
      overruns++;
      continue;
    }
    if (n <= 0) break;
    got += count(view, 0, n);
  }
} else {
  // [mmsghdr x SLOTS][iovec x SLOTS], then the slots themselves
  const data = new Uint8Array(SLOTS * SLOT);
  const view = new DataView(data.buffer);
  const hdrs = new Uint8Array(SLOTS * (64 + 16));
  const h = new DataView(hdrs.buffer);
  const base = Deno.UnsafePointer.value(Deno.UnsafePointer.of(hdrs));
  const dataBase = Deno.UnsafePointer.value(Deno.UnsafePointer.of(data));
  for (let i = 0; i < SLOTS; i++) {
    const iov = SLOTS * 64 + i * 16;
    h.setBigUint64(iov, BigInt(dataBase) + BigInt(i * SLOT), true);
    h.setBigUint64(iov + 8, BigInt(SLOT), true);
    h.setBigUint64(i * 64 + 16, BigInt(base) + BigInt(iov), true); // msg_iov
    h.setBigUint64(i * 64 + 24, 1n, true); // msg_iovlen
  }
  for (;;) {
    const n = libc.recvmmsg(fd, hdrs, SLOTS, MSG_DONTWAIT, null);
    if (n < 0 && errno() === ENOBUFS) {
      overruns++;
      continue;
    }
    if (n <= 0) break;
    for (let i = 0; i < n; i++) got += count(view, i * SLOT, h.getUint32(i * 64 + 56, true));
  }
}
console.log(`${got} ${(performance.now() - t0).toFixed(3)} ${overruns}`);
