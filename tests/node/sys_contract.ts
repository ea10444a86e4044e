/**
 * Behaviour checks for any {@linkcode Sys} implementation, shared by the
 * runtimes: `sys_contract.test.ts` runs them under Deno against
 * `ffi/deno.ts`, `sys_contract_runner.ts` under Node and Bun against
 * `ffi/node.ts`. Nothing here uses a runtime's own API: only the `Sys`
 * under test, timers and plain JS.
 *
 * @module
 */
import type { Receiver, Sys } from "../../ffi/sys.ts";

/** What a runner provides besides the `Sys`. */
export interface ContractEnv {
  /** Path of a fresh, empty network namespace (`/var/run/netns/NAME`). */
  netnsPath?: string;
}

/** One named check. */
export interface Check {
  name: string;
  /** Needs `env.netnsPath` (root and `ip netns`). */
  netns?: boolean;
  run(sys: Sys, env: ContractEnv): Promise<void>;
}

const NETLINK_ROUTE = 0;
const SOCK_RAW = 3;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SOL_NETLINK = 270;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const IFLA_IFNAME = 3;
const MSG_TRUNC = 0x20;
const EBADF = 9;
const EACCES = 13;
const ENOENT = 2;
const EEXIST = 17;
const EAGAIN = 11;
const ENOPROTOOPT = 92;
const ENODEV = 19;
const ECONNREFUSED = 111;

class AssertionError extends Error {
  override name = "AssertionError";
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionError(message);
}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      `${what}: expected ${String(expected)}, got ${String(actual)}`,
    );
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves with the promise's value, or rejects after `ms`. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AssertionError(`${what}: no result in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** An RTM_GETLINK request with a zeroed `struct ifinfomsg`, by hand. */
function getLink(flags: number, seq: number, ifindex = 0): Uint8Array {
  const bytes = new Uint8Array(32);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 32, true); // nlmsg_len
  v.setUint16(4, RTM_GETLINK, true); // nlmsg_type
  v.setUint16(6, flags, true); // nlmsg_flags
  v.setUint32(8, seq, true); // nlmsg_seq
  v.setUint32(12, 0, true); // nlmsg_pid
  v.setInt32(20, ifindex, true); // ifi_index
  return bytes;
}

interface Parsed {
  type: number;
  flags: number;
  seq: number;
  portId: number;
  body: Uint8Array;
}

/** Splits one datagram into messages; checks they fill it exactly. */
function split(datagram: Uint8Array): Parsed[] {
  const v = new DataView(
    datagram.buffer,
    datagram.byteOffset,
    datagram.byteLength,
  );
  const out: Parsed[] = [];
  let off = 0;
  while (off < datagram.length) {
    assert(
      off + 16 <= datagram.length,
      `message header past the end at ${off}`,
    );
    const len = v.getUint32(off, true);
    assert(
      len >= 16 && off + len <= datagram.length,
      `bad nlmsg_len ${len} at ${off}`,
    );
    out.push({
      type: v.getUint16(off + 4, true),
      flags: v.getUint16(off + 6, true),
      seq: v.getUint32(off + 8, true),
      portId: v.getUint32(off + 12, true),
      body: datagram.subarray(off + 16, off + len),
    });
    off += (len + 3) & ~3;
  }
  equal(off, datagram.length, "messages fill the datagram");
  return out;
}

/** The IFLA_IFNAME of an RTM_NEWLINK body. */
function linkName(body: Uint8Array): string | undefined {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let off = 16; // struct ifinfomsg
  while (off + 4 <= body.length) {
    const len = v.getUint16(off, true);
    const type = v.getUint16(off + 2, true) & 0x3fff;
    if (len < 4) break;
    if (type === IFLA_IFNAME) {
      let end = off + 4;
      while (end < off + len && body[end] !== 0) end++;
      return new TextDecoder().decode(body.subarray(off + 4, end));
    }
    off += (len + 3) & ~3;
  }
  return undefined;
}

/** A bound NETLINK_ROUTE socket; `close` releases it. */
function open(
  sys: Sys,
  groups = 0,
  netnsPath?: string,
): { fd: number; portId: number } {
  const fd = sys.socket(NETLINK_ROUTE, SOCK_RAW, netnsPath);
  assert(fd >= 0, `socket: ${fd}`);
  equal(sys.bind(fd, groups), 0, "bind");
  const portId = sys.portId(fd);
  assert(portId > 0, `portId: ${portId}`);
  return { fd, portId };
}

/**
 * Receives until NLMSG_DONE, waiting (with a time limit) when the queue is
 * empty. Checks the meta of every datagram. Returns the link names.
 */
async function receiveDump(
  sys: Sys,
  fd: number,
  rx: Receiver,
  portId: number,
  seq: number,
): Promise<string[]> {
  const wakeFd = sys.eventfd();
  assert(wakeFd >= 0, `eventfd: ${wakeFd}`);
  const names: string[] = [];
  try {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const n = rx.receive(fd);
      if (n === -EAGAIN) {
        equal(
          await within(5000, sys.wait(fd, wakeFd), "wait for dump data") & 1,
          1,
          "wait bits",
        );
        continue;
      }
      assert(n > 0 && n <= rx.capacity, `receive: ${n}`);
      for (let i = 0; i < n; i++) {
        const length = rx.meta[i * 4];
        equal(rx.meta[i * 4 + 1] & MSG_TRUNC, 0, "msg_flags has no MSG_TRUNC");
        equal(rx.meta[i * 4 + 2], 0, "sender (the kernel)");
        equal(rx.meta[i * 4 + 3], 0, "groups");
        assert(length > 0 && length <= rx.slotSize, `length ${length}`);
        for (const m of split(rx.slots[i].subarray(0, length))) {
          equal(m.seq, seq, "nlmsg_seq");
          equal(m.portId, portId, "nlmsg_pid");
          if (m.type === NLMSG_DONE) return names;
          assert(m.type !== NLMSG_ERROR, "dump failed");
          equal(m.type, RTM_NEWLINK, "type");
          const name = linkName(m.body);
          assert(name !== undefined, "IFLA_IFNAME");
          names.push(name);
        }
      }
    }
    throw new AssertionError("no NLMSG_DONE");
  } finally {
    sys.close(wakeFd);
  }
}

/** The checks, in the order a runner should run them. */
export const checks: Check[] = [
  {
    name: "socket, bind and portId",
    run(sys) {
      const a = open(sys);
      const b = open(sys);
      try {
        assert(a.portId !== b.portId, "two sockets get two port ids");
      } finally {
        equal(sys.close(a.fd), 0, "close");
        equal(sys.close(b.fd), 0, "close");
      }
      return Promise.resolve();
    },
  },
  {
    name: "RTM_GETLINK dump: sendTo and receive with meta",
    async run(sys) {
      const { fd, portId } = open(sys);
      try {
        const rx = sys.receiver(8, 32768);
        equal(rx.capacity, 8, "capacity");
        equal(rx.slotSize, 32768, "slotSize");
        equal(rx.slots.length, 8, "slots");
        for (const s of rx.slots) equal(s.length, 32768, "slot length");
        equal(rx.meta.length, 32, "meta length");
        const req = getLink(NLM_F_REQUEST | NLM_F_DUMP, 7);
        equal(sys.sendTo(fd, req, 0, 0), 32, "sendTo");
        const names = await receiveDump(sys, fd, rx, portId, 7);
        assert(names.includes("lo"), `links ${names.join(",")} include lo`);
        equal(rx.receive(fd), -EAGAIN, "receive after the dump");
      } finally {
        sys.close(fd);
      }
    },
  },
  {
    name: "receive: MSG_TRUNC semantics (full length, flag set)",
    async run(sys) {
      const { fd } = open(sys);
      try {
        const rx = sys.receiver(2, 64);
        equal(sys.sendTo(fd, getLink(NLM_F_REQUEST, 1, 1), 0, 0), 32, "sendTo");
        const n = rx.receive(fd);
        assert(n >= 1, `receive: ${n}`);
        assert(rx.meta[0] > 64, `full length ${rx.meta[0]} exceeds the slot`);
        equal(rx.meta[1] & MSG_TRUNC, MSG_TRUNC, "MSG_TRUNC in msg_flags");
        const v = new DataView(rx.slots[0].buffer, rx.slots[0].byteOffset, 64);
        equal(v.getUint32(0, true), rx.meta[0], "nlmsg_len is the full length");
        equal(v.getUint16(4, true), RTM_NEWLINK, "type");
        await sleep(0);
      } finally {
        sys.close(fd);
      }
    },
  },
  {
    name: "receive one (recvfrom): MSG_TRUNC semantics, sender and group",
    async run(sys) {
      const { fd } = open(sys);
      try {
        const rx = sys.receiver(2, 64);
        equal(
          sys.sendTo(fd, getLink(NLM_F_REQUEST | NLM_F_ACK, 1, 1), 0, 0),
          32,
          "sendTo",
        );
        equal(rx.receive(fd, 1), 1, "receive one");
        assert(rx.meta[0] > 64, `full length ${rx.meta[0]} exceeds the slot`);
        equal(rx.meta[1] & MSG_TRUNC, MSG_TRUNC, "MSG_TRUNC in msg_flags");
        equal(rx.meta[2], 0, "sender: the kernel");
        equal(rx.meta[3], 0, "group: unicast");
        const v = new DataView(rx.slots[0].buffer, rx.slots[0].byteOffset, 64);
        equal(v.getUint16(4, true), RTM_NEWLINK, "type");
        // The ACK fits: no flag, its own length.
        equal(rx.receive(fd, 1), 1, "receive the ACK");
        equal(v.getUint16(4, true), NLMSG_ERROR, "ACK type");
        equal(rx.meta[1] & MSG_TRUNC, 0, "no MSG_TRUNC");
        equal(rx.meta[0], v.getUint32(0, true), "length");
        equal(rx.receive(fd, 1), -EAGAIN, "then nothing");
        await sleep(0);
      } finally {
        sys.close(fd);
      }
    },
  },
  {
    name: "connect: other sockets' unicast refused; a reply read without its address",
    async run(sys) {
      const a = open(sys);
      const b = open(sys);
      try {
        equal(sys.connect(a.fd), 0, "connect");
        equal(
          sys.sendTo(b.fd, getLink(NLM_F_REQUEST, 42), a.portId, 0),
          -ECONNREFUSED,
          "unicast from another socket",
        );
        const rx = sys.receiver(2, 4096);
        equal(
          sys.sendTo(a.fd, getLink(NLM_F_REQUEST | NLM_F_ACK, 7, 1), 0, 0),
          32,
          "request",
        );
        equal(rx.receive(a.fd, 1, true), 1, "the reply");
        const v = new DataView(rx.slots[0].buffer, rx.slots[0].byteOffset, 64);
        equal(rx.meta[0], v.getUint32(0, true), "length");
        equal(rx.meta[2], 0, "sender");
        equal(rx.meta[3], 0, "group");
        equal(v.getUint16(4, true), RTM_NEWLINK, "type");
        equal(v.getUint32(8, true), 7, "seq");
        equal(rx.receive(a.fd, 1, true), 1, "the ACK");
        equal(v.getUint16(4, true), NLMSG_ERROR, "ACK type");
        equal(rx.receive(a.fd, 1, true), -EAGAIN, "then nothing");
        await sleep(0);
      } finally {
        sys.close(a.fd);
        sys.close(b.fd);
      }
    },
  },
  {
    name: "receive on an empty queue: -EAGAIN",
    run(sys) {
      const { fd } = open(sys);
      try {
        const rx = sys.receiver(4, 4096);
        equal(rx.receive(fd), -EAGAIN, "receive");
        equal(rx.receive(fd), -EAGAIN, "receive again");
      } finally {
        sys.close(fd);
      }
      return Promise.resolve();
    },
  },
  {
    name: "error reply: NLMSG_ERROR with -ENODEV for a missing ifindex",
    run(sys) {
      const { fd, portId } = open(sys);
      try {
        const rx = sys.receiver(1, 8192);
        const req = getLink(NLM_F_REQUEST | NLM_F_ACK, 3, 0x7fff_fff0);
        equal(sys.sendTo(fd, req, 0, 0), 32, "sendTo");
        equal(rx.receive(fd), 1, "receive");
        const [m] = split(rx.slots[0].subarray(0, rx.meta[0]));
        equal(m.type, NLMSG_ERROR, "type");
        equal(m.seq, 3, "seq");
        equal(m.portId, portId, "portId");
        const error = new DataView(m.body.buffer, m.body.byteOffset, 4)
          .getInt32(0, true);
        equal(error, -ENODEV, "error");
      } finally {
        sys.close(fd);
      }
      return Promise.resolve();
    },
  },
  {
    name: "wait resolves with 2 when the eventfd is woken",
    async run(sys) {
      const { fd } = open(sys);
      const wakeFd = sys.eventfd();
      try {
        assert(wakeFd >= 0, `eventfd: ${wakeFd}`);
        let settled = false;
        const p = sys.wait(fd, wakeFd).finally(() => (settled = true));
        await sleep(30);
        equal(settled, false, "wait pending before the wake");
        const t0 = performance.now();
        equal(sys.wake(wakeFd), 8, "wake");
        equal(await within(2000, p, "wait after wake"), 2, "wait bits");
        const ms = performance.now() - t0;
        assert(ms < 500, `woken after ${ms.toFixed(1)} ms`);
        equal(sys.drain(wakeFd), 8, "drain");
      } finally {
        sys.close(wakeFd);
        sys.close(fd);
      }
    },
  },
  {
    name: "wait resolves with 1 when a kernel reply arrives",
    async run(sys) {
      const { fd } = open(sys);
      const wakeFd = sys.eventfd();
      try {
        const p = sys.wait(fd, wakeFd);
        await sleep(20);
        equal(sys.sendTo(fd, getLink(NLM_F_REQUEST, 1, 1), 0, 0), 32, "sendTo");
        equal(await within(2000, p, "wait for the reply"), 1, "wait bits");
        const rx = sys.receiver(4, 8192);
        equal(rx.receive(fd), 1, "receive");
      } finally {
        sys.close(wakeFd);
        sys.close(fd);
      }
    },
  },
  {
    name: "wait resolves with 1 for a datagram from another socket (sender port id)",
    async run(sys) {
      const a = open(sys);
      const b = open(sys);
      const wakeFd = sys.eventfd();
      try {
        const p = sys.wait(a.fd, wakeFd);
        await sleep(20);
        const payload = getLink(NLM_F_REQUEST, 42);
        equal(sys.sendTo(b.fd, payload, a.portId, 0), 32, "sendTo a port id");
        equal(await within(2000, p, "wait for the datagram"), 1, "wait bits");
        const rx = sys.receiver(4, 4096);
        equal(rx.receive(a.fd), 1, "receive");
        equal(rx.meta[0], 32, "length");
        equal(rx.meta[1], 0, "flags");
        equal(rx.meta[2], b.portId, "sender port id");
        equal(rx.meta[3], 0, "groups");
        equal(rx.slots[0][8], 42, "payload");
        // The same through the one-datagram path (recvfrom), into fresh memory.
        const one = sys.receiver(2, 4096);
        equal(
          sys.sendTo(b.fd, getLink(NLM_F_REQUEST, 43), a.portId, 0),
          32,
          "sendTo again",
        );
        equal(one.receive(a.fd, 1), 1, "receive one");
        equal(one.meta[0], 32, "length (one)");
        equal(one.meta[2], b.portId, "sender port id (one)");
        equal(one.slots[0][8], 43, "payload (one)");
      } finally {
        sys.close(wakeFd);
        sys.close(a.fd);
        sys.close(b.fd);
      }
    },
  },
  {
    name: "wait: many at once all end when woken",
    async run(sys) {
      // More than libuv's default pool of 4 threads.
      const socks = Array.from({ length: 6 }, () => open(sys));
      const wakes = socks.map(() => sys.eventfd());
      try {
        const waits = socks.map((s, i) => sys.wait(s.fd, wakes[i]));
        await sleep(30);
        for (const w of wakes) sys.wake(w);
        const bits = await within(3000, Promise.all(waits), "six waits");
        equal(bits.join(","), "2,2,2,2,2,2", "bits");
      } finally {
        for (const w of wakes) sys.close(w);
        for (const s of socks) sys.close(s.fd);
      }
    },
  },
  {
    name: "wait: the last of 8 pending waits still sees its data",
    async run(sys) {
      // Waits must not queue behind each other (a pool of 4 threads, or
      // one per core, would leave the last ones not even started).
      const socks = Array.from({ length: 8 }, () => open(sys));
      const wakes = socks.map(() => sys.eventfd());
      try {
        const waits = socks.map((s, i) => sys.wait(s.fd, wakes[i]));
        await sleep(30);
        const last = socks.length - 1;
        equal(
          sys.sendTo(socks[last].fd, getLink(NLM_F_REQUEST, 1, 1), 0, 0),
          32,
          "sendTo",
        );
        equal(await within(2000, waits[last], "the last wait"), 1, "bits");
        for (const w of wakes) sys.wake(w);
        await within(2000, Promise.all(waits), "the other waits");
      } finally {
        for (const w of wakes) sys.close(w);
        for (const s of socks) sys.close(s.fd);
      }
    },
  },
  {
    name: "wait on a bad descriptor resolves with 0 (never hangs)",
    async run(sys) {
      const wakeFd = sys.eventfd();
      try {
        equal(
          await within(2000, sys.wait(999_999, wakeFd), "wait on a bad fd"),
          0,
          "bits",
        );
      } finally {
        sys.close(wakeFd);
      }
    },
  },
  {
    name: "invalid fd: -EBADF everywhere",
    run(sys) {
      const bad = 999_999;
      equal(sys.bind(bad, 0), -EBADF, "bind");
      equal(sys.portId(bad), -EBADF, "portId");
      equal(sys.setInt(bad, SOL_SOCKET, SO_RCVBUF, 4096), -EBADF, "setInt");
      equal(sys.getInt(bad, SOL_SOCKET, SO_RCVBUF), -EBADF, "getInt");
      equal(sys.sendTo(bad, getLink(NLM_F_REQUEST, 1), 0, 0), -EBADF, "sendTo");
      equal(sys.receiver(1, 1024).receive(bad), -EBADF, "receive");
      equal(sys.wake(bad), -EBADF, "wake");
      equal(sys.drain(bad), -EBADF, "drain");
      equal(sys.close(bad), -EBADF, "close");
      return Promise.resolve();
    },
  },
  {
    name: "createNetns/deleteNetns: a bound namespace to open sockets in; EEXIST; gone after",
    netns: true,
    run(sys, env) {
      assert(
        sys.createNetns && sys.deleteNetns,
        "createNetns and deleteNetns are provided",
      );
      const path = `${env.netnsPath}-made`;
      equal(sys.createNetns(path), 0, "createNetns");
      try {
        equal(sys.createNetns(path), -EEXIST, "createNetns again");
        const fd = sys.socket(NETLINK_ROUTE, SOCK_RAW, path);
        assert(fd >= 0, `socket inside: ${fd}`);
        sys.close(fd);
      } finally {
        equal(sys.deleteNetns(path), 0, "deleteNetns");
      }
      equal(
        sys.socket(NETLINK_ROUTE, SOCK_RAW, path),
        -ENOENT,
        "socket in the deleted one",
      );
      return Promise.resolve();
    },
  },
  {
    name: "tunSetup: a persistent tap made in a namespace is there; persist off removes it",
    netns: true,
    async run(sys, env) {
      assert(sys.tunSetup, "tunSetup is provided");
      const IFF_TAP = 2, IFF_NO_PI = 0x1000, IFF_TUN = 1;
      const links = async () => {
        const { fd, portId } = open(sys, 0, env.netnsPath);
        try {
          equal(
            sys.sendTo(fd, getLink(NLM_F_REQUEST | NLM_F_DUMP, 9), 0, 0),
            32,
            "sendTo",
          );
          return await receiveDump(sys, fd, sys.receiver(4, 32768), portId, 9);
        } finally {
          sys.close(fd);
        }
      };
      equal(
        sys.tunSetup(
          "nltstap0",
          IFF_TAP | IFF_NO_PI,
          4321,
          8765,
          true,
          env.netnsPath,
        ),
        0,
        "tunSetup",
      );
      assert(
        (await links()).includes("nltstap0"),
        "the tap is in the namespace",
      );
      // a tun of the tap's name: the kernel's EINVAL
      equal(
        sys.tunSetup("nltstap0", IFF_TUN, -1, -1, true, env.netnsPath),
        -22,
        "tun over tap",
      );
      equal(
        sys.tunSetup("x".repeat(16), IFF_TAP, -1, -1, true, env.netnsPath),
        -22,
        "long name",
      );
      equal(
        sys.tunSetup(
          "nltstap0",
          IFF_TAP | IFF_NO_PI,
          -1,
          -1,
          false,
          env.netnsPath,
        ),
        0,
        "off",
      );
      assert(!(await links()).includes("nltstap0"), "the tap is gone");
      // not in the caller's namespace either time
      equal(
        sys.tunSetup(
          "nltstap1",
          IFF_TAP,
          -1,
          -1,
          true,
          "/var/run/netns/nlts-missing",
        ),
        -ENOENT,
        "missing ns",
      );
    },
  },
  {
    name: "listDir: the namespace's name under /var/run/netns; -ENOENT for a missing directory",
    netns: true,
    run(sys, env) {
      assert(sys.listDir, "listDir is provided");
      const names = sys.listDir("/var/run/netns");
      assert(Array.isArray(names), `listDir: ${names}`);
      const mine = env.netnsPath!.slice("/var/run/netns/".length);
      assert(names.includes(mine), `${mine} in ${names}`);
      assert(!names.includes(".") && !names.includes(".."), "no . or ..");
      equal(sys.listDir("/var/run/netns/nlts-missing-dir"), -ENOENT, "missing");
      return Promise.resolve();
    },
  },
  {
    name: "bpfObjGet: -ENOENT when nothing is pinned, -EACCES for a file that is no BPF object",
    run(sys) {
      assert(sys.bpfObjGet, "bpfObjGet is provided");
      equal(sys.bpfObjGet("/nlts-missing/prog"), -ENOENT, "a missing path");
      equal(sys.bpfObjGet("/proc/self/stat"), -EACCES, "not a BPF object");
      return Promise.resolve();
    },
  },
  {
    name: "socket in a missing netns: -ENOENT",
    run(sys) {
      equal(
        sys.socket(NETLINK_ROUTE, SOCK_RAW, "/var/run/netns/nlts-missing"),
        -ENOENT,
        "socket",
      );
      // The calling thread is still in its own namespace.
      const fd = sys.socket(NETLINK_ROUTE, SOCK_RAW);
      assert(fd >= 0, `socket: ${fd}`);
      sys.close(fd);
      return Promise.resolve();
    },
  },
  {
    name: "setInt/getInt: SO_RCVBUF round trip, bad option",
    run(sys) {
      const { fd } = open(sys);
      try {
        equal(sys.setInt(fd, SOL_SOCKET, SO_RCVBUF, 65536), 0, "setInt");
        // The kernel doubles it for bookkeeping overhead.
        equal(sys.getInt(fd, SOL_SOCKET, SO_RCVBUF), 131072, "getInt");
        equal(
          sys.getInt(fd, SOL_NETLINK, 9999),
          -ENOPROTOOPT,
          "getInt of a bad option",
        );
      } finally {
        sys.close(fd);
      }
      return Promise.resolve();
    },
  },
  {
    name: "eventfd: wake adds, drain resets, empty drain is -EAGAIN",
    run(sys) {
      const e = sys.eventfd();
      assert(e >= 0, `eventfd: ${e}`);
      try {
        equal(sys.drain(e), -EAGAIN, "drain when empty");
        equal(sys.wake(e), 8, "wake");
        equal(sys.wake(e), 8, "wake");
        equal(sys.drain(e), 8, "drain");
        equal(sys.drain(e), -EAGAIN, "drain after drain");
      } finally {
        equal(sys.close(e), 0, "close");
      }
      return Promise.resolve();
    },
  },
  {
    name: "netns: a socket inside sees only the namespace's links",
    netns: true,
    async run(sys, env) {
      const { fd, portId } = open(sys, 0, env.netnsPath);
      try {
        const rx = sys.receiver(4, 32768);
        equal(
          sys.sendTo(fd, getLink(NLM_F_REQUEST | NLM_F_DUMP, 5), 0, 0),
          32,
          "sendTo",
        );
        const names = await receiveDump(sys, fd, rx, portId, 5);
        equal(names.join(","), "lo", "links in a fresh netns");
      } finally {
        sys.close(fd);
      }
    },
  },
  {
    name: "netns: multicast to a group, sender and group mask in meta",
    netns: true,
    async run(sys, env) {
      const RTNLGRP_LINK_MASK = 1; // group 1
      const a = open(sys, RTNLGRP_LINK_MASK, env.netnsPath);
      const b = open(sys, 0, env.netnsPath);
      const wakeFd = sys.eventfd();
      try {
        const p = sys.wait(a.fd, wakeFd);
        await sleep(20);
        equal(
          sys.sendTo(b.fd, getLink(0, 9), 0, RTNLGRP_LINK_MASK),
          32,
          "sendTo a group",
        );
        equal(await within(2000, p, "wait for the multicast"), 1, "wait bits");
        const rx = sys.receiver(4, 4096);
        equal(rx.receive(a.fd), 1, "receive");
        equal(rx.meta[2], b.portId, "sender");
        equal(rx.meta[3], RTNLGRP_LINK_MASK, "group mask");
      } finally {
        sys.close(wakeFd);
        sys.close(a.fd);
        sys.close(b.fd);
      }
    },
  },
];
