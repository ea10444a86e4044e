/**
 * The library's request round trip: RTM_GETLINK by index with NLM_F_ACK.
 * Prints one mean per batch (µs), like c/roundtrip.c. By default each reply
 * is read by a `map` callback in the receive buffer, as c/roundtrip.c's
 * callback reads it in libmnl's; with `owned`, the reply is copied out and
 * returned as a Message.
 *
 * With `--c LIB` (c/roundtrip.c built as a shared object), batches of the
 * C reference run in this same process, alternating with the library's,
 * and each line is "c mapped owned floor": the four see the same CPU at
 * the same moments, which separate processes on a shared machine do not.
 * The floor is the library's syscalls alone (send, then recv until the
 * ACK) through FFI in an async function: what any promise-based
 * request costs on this runtime before the library does anything.
 *
 *     deno run --allow-ffi bench/roundtrip.ts <batches> <per-batch> <ifindex> [owned] [--c LIB]
 */
import { MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";

const at = Deno.args.indexOf("--c");
const cLib = at >= 0 ? Deno.args[at + 1] : undefined;
const args = at >= 0 ? Deno.args.toSpliced(at, 2) : Deno.args;
const [batches = 10, per = 2000, ifindex = 1] = args.slice(0, 3).map(Number);
const owned = args[3] === "owned";
await using sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter().begin(18 /* RTM_GETLINK */);
w.view.setInt32(w.fixed(16) + 4, ifindex, true);
const bytes = w.finish();
const map = { map: (m: { type: number }) => m.type };

async function batch(owned: boolean): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < per; i++) {
    const replies = owned ? await sock.request(bytes) : await sock.request(bytes, map);
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  return (performance.now() - t0) * 1000 / per;
}

/** The floor: the same syscalls as a request, on a socket set up alike, and no library. */
function floorBatch(): () => Promise<number> {
  const libc = Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    send: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
    recv: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  }).symbols;
  const fd = libc.socket(16, /* AF_NETLINK */ 3 | 0o4000, /* SOCK_RAW | SOCK_NONBLOCK */ 0);
  const addr = new Uint8Array(12);
  addr[0] = 16;
  const one = new Uint8Array(new Int32Array([1]).buffer);
  // NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, as the library sets them
  for (const opt of [10, 11, 12]) libc.setsockopt(fd, 270, opt, one, 4);
  // Bound, then connected to the kernel, as the library does.
  if (fd < 0 || libc.bind(fd, addr, 12) < 0 || libc.connect(fd, addr, 12) < 0) {
    throw new Error("floor socket");
  }
  const req = bytes.slice();
  req[6] = 5; // NLM_F_REQUEST | NLM_F_ACK
  const buf = new Uint8Array(32768);
  let seq = 0;
  // Async without an await, on purpose: a promise per round trip, as request() returns.
  // deno-lint-ignore require-await
  const roundTrip = async () => {
    req[8] = ++seq & 0xff;
    if (libc.send(fd, req, req.length, 0x40) < 0) throw new Error("floor send");
    // The kernel answers within send: both datagrams are queued already.
    for (let tries = 0; tries < 1000; tries++) {
      const n = libc.recv(fd, buf, buf.length, 0x40 | 0x20);
      if (n > 0 && buf[4] === 2 /* NLMSG_ERROR: the ACK */) return n;
    }
    throw new Error("floor: no ACK");
  };
  return async () => {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) await roundTrip();
    return (performance.now() - t0) * 1000 / per;
  };
}

if (cLib) {
  const c = Deno.dlopen(cLib, {
    w3_batch: { parameters: ["i32", "i32"], result: "f64" },
  });
  const floor = floorBatch();
  const cBatch = () => {
    const mean = c.symbols.w3_batch(per, ifindex);
    if (mean < 0) throw new Error("the C reference failed");
    return mean;
  };
  for (let i = 0; i < 10; i++) cBatch(), await batch(false), await batch(true), await floor();
  for (let b = 0; b < batches; b++) {
    const line = [cBatch(), await batch(false), await batch(true), await floor()];
    console.log(line.map((x) => x.toFixed(3)).join(" "));
  }
  c.close();
} else {
  for (let i = 0; i < 10; i++) await batch(owned); // let the JIT settle
  for (let b = 0; b < batches; b++) console.log((await batch(owned)).toFixed(3));
}
