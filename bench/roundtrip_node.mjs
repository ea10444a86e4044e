// W3 on Node (the npm build, koffi backend): like roundtrip.ts, and with
// --c LIB alternating in-process with c/roundtrip.c built as a shared
// object (each line "c mapped owned floor"; the floor is the library's
// syscalls, made through koffi as ffi/node.ts makes them, in an async
// function without the library).
//   node bench/roundtrip_node.mjs <built mod.js> <batches> <per-batch> <ifindex> [--c LIB]
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const at = args.indexOf("--c");
const cLib = at >= 0 ? args.splice(at, 2)[1] : undefined;
const [mod, batches = "5", per = "2000", ifindex = "1"] = args;
const { MessageWriter, NETLINK, NetlinkSocket } = await import(mod);
const sock = NetlinkSocket.open(NETLINK.ROUTE);
const w = new MessageWriter().begin(18 /* RTM_GETLINK */);
w.view.setInt32(w.fixed(16) + 4, Number(ifindex), true);
const bytes = w.finish();
const map = { map: (m) => m.type };

async function batch(owned) {
  const t0 = performance.now();
  for (let i = 0; i < Number(per); i++) {
    const replies = owned ? await sock.request(bytes) : await sock.request(bytes, map);
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  return (performance.now() - t0) * 1000 / Number(per);
}

// koffi, from the package's own dependencies
const koffi = createRequire(mod)("koffi");
const w3 = cLib ? koffi.load(cLib).func("double w3_batch(int, int)") : undefined;
const cBatch = () => {
  const mean = w3(Number(per), Number(ifindex));
  if (mean < 0) throw new Error("the C reference failed");
  return mean;
};
function floorBatch() {
  const libc = koffi.load("libc.so.6");
  const socket = libc.func("int socket(int, int, int)");
  const bind = libc.func("int bind(int, void *, uint32_t)");
  const connect = libc.func("int connect(int, void *, uint32_t)");
  const setsockopt = libc.func("int setsockopt(int, int, int, void *, uint32_t)");
  const send = libc.func("int send(int, void *, size_t, int)");
  const recv = libc.func("int recv(int, uintptr_t, size_t, int)");
  const fd = socket(16, /* AF_NETLINK */ 3 | 0o4000, /* SOCK_RAW | SOCK_NONBLOCK */ 0);
  const addr = new Uint8Array(new ArrayBuffer(12));
  addr[0] = 16;
  const one = new Uint8Array(new Int32Array([1]).buffer);
  // NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, as the library sets them
  for (const opt of [10, 11, 12]) setsockopt(fd, 270, opt, one, 4);
  // Bound, then connected to the kernel, as the library does.
  if (fd < 0 || bind(fd, addr, 12) < 0 || connect(fd, addr, 12) < 0) {
    throw new Error("floor socket");
  }
  const req = new Uint8Array(new ArrayBuffer(bytes.length));
  req.set(bytes);
  req[6] = 5; // NLM_F_REQUEST | NLM_F_ACK
  const block = new Uint8Array(new ArrayBuffer(32768));
  const at = Number(koffi.address(block));
  let seq = 0;
  // Async without an await, on purpose: a promise per round trip, as request() returns.
  // deno-lint-ignore require-await
  const roundTrip = async () => {
    req[8] = ++seq & 0xff;
    if (send(fd, req, req.length, 0x40) < 0) throw new Error("floor send");
    // The kernel answers within send: both datagrams are queued already.
    for (let tries = 0; tries < 1000; tries++) {
      const n = recv(fd, at, 32768, 0x40 | 0x20);
      if (n > 0 && block[4] === 2 /* NLMSG_ERROR: the ACK */) return n;
    }
    throw new Error("floor: no ACK");
  };
  return async () => {
    const t0 = performance.now();
    for (let i = 0; i < Number(per); i++) await roundTrip();
    return (performance.now() - t0) * 1000 / Number(per);
  };
}
const floor = floorBatch();

for (let i = 0; i < 10; i++) {
  if (w3) cBatch();
  await batch(false);
  await batch(true);
  await floor();
}
for (let b = 0; b < Number(batches); b++) {
  const line = w3
    ? [cBatch(), await batch(false), await batch(true), await floor()]
    : [await batch(false)];
  console.log(line.map((x) => x.toFixed(3)).join(" "));
}
await sock.close();
