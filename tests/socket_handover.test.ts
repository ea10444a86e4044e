/**
 * The direct request path's hand-overs, driven by a scripted transport:
 * the cases the host kernel does not produce on demand (a kernel unicast
 * queued between a reply and its ACK, an overrun or a failed receive
 * right after the send, a reply that comes later, two messages in one
 * datagram). The real socket is opened (and connected to the kernel, so
 * requests take the direct path); its send, receive and wait are replaced
 * by the script, and put back after each test.
 */
import assert from "node:assert/strict";
import {
  MessageWriter,
  NETLINK,
  NetlinkSocket,
  NLMSG,
  OverrunError,
  SyscallError,
} from "../mod.ts";
import { loadSys, type Receiver, type Sys } from "../src/sys.ts";
import { ignoreUnlessRoot } from "./helpers/netns.ts";

// libc stays loaded for the life of the process: load it before the
// resource sanitizer starts counting.
if (!ignoreUnlessRoot) loadSys();

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const EAGAIN = 11;
const MSG_TRUNC = 0x20;
const opts = { ignore: ignoreUnlessRoot, sanitizeResources: true, sanitizeOps: true };

/** What the kernel would queue: datagrams (bytes) or receive errors (a negated errno). */
type Item = Uint8Array | number;

/** One datagram holding `messages` back to back, each `[type, flags, seq, payload]`. */
function datagram(portId: number, ...messages: [number, number, number, number[]][]): Uint8Array {
  const w = new MessageWriter();
  for (const [type, flags, seq, payload] of messages) {
    // the header's port id is the receiving socket's, as the kernel sets it
    w.begin(type, flags, seq, portId);
    w.buffer.set(payload, w.fixed(payload.length));
    w.end();
  }
  return w.finish().slice();
}

/** The reply to RTM_GETLINK for ifindex 7 (an ifinfomsg, no attributes). */
const reply = (seq: number): [number, number, number, number[]] => [
  RTM_NEWLINK,
  0,
  seq,
  [0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
];
/** A capped ACK: errno 0, then the request's header. */
const ack = (seq: number): [number, number, number, number[]] => {
  const b = new Uint8Array(20); // errno 0
  const v = new DataView(b.buffer);
  v.setUint32(4, 32, true);
  v.setUint16(8, RTM_GETLINK, true);
  v.setUint32(16, seq, true);
  return [NLMSG.ERROR, 0x100, /* NLM_F_CAPPED */ seq, [...b]];
};

/**
 * Replaces the send, receive and wait of the process's Sys with a script:
 * `onSend(seq)` gives what the kernel queues for a request, now and
 * `later` (after a few milliseconds, when a wait is what reads it).
 */
function script(
  onSend: (seq: number) => { now: Item[]; later?: Item[] },
): { sys: Sys; queue: Item[]; [Symbol.dispose](): void } {
  const sys = loadSys();
  const saved = { sendTo: sys.sendTo, receiver: sys.receiver, wait: sys.wait, wake: sys.wake };
  const queue: Item[] = [];
  let woken = false;
  sys.sendTo = (_fd, data) => {
    const seq = new DataView(data.buffer, data.byteOffset).getUint32(8, true);
    const { now, later } = onSend(seq);
    queue.push(...now);
    if (later) setTimeout(() => queue.push(...later), 5);
    return data.length;
  };
  sys.receiver = (capacity, slotSize): Receiver => {
    const slots = Array.from({ length: capacity }, () => new Uint8Array(slotSize));
    const meta = new Uint32Array(capacity * 4);
    return {
      capacity,
      slotSize,
      slots,
      meta,
      receive(_fd, max = capacity) {
        let n = 0;
        while (n < max && queue.length) {
          const item = queue[0];
          if (typeof item === "number") {
            if (n > 0) break;
            queue.shift();
            return item;
          }
          queue.shift();
          slots[n].set(item.subarray(0, slotSize));
          meta.set([item.length, item.length > slotSize ? MSG_TRUNC : 0, 0, 0], n * 4);
          n++;
        }
        return n || -EAGAIN;
      },
    };
  };
  sys.wait = () =>
    new Promise((resolve) => {
      const check = () => {
        if (woken) {
          woken = false;
          resolve(2);
        } else if (queue.length) resolve(1);
        else setTimeout(check, 1);
      };
      check();
    });
  sys.wake = () => {
    woken = true;
    return 8;
  };
  return {
    sys,
    queue,
    [Symbol.dispose]() {
      Object.assign(sys, saved);
    },
  };
}

function getLink(index: number): MessageWriter {
  const w = new MessageWriter().begin(RTM_GETLINK);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  return w;
}

const ifindex = (m: { data: Uint8Array; offset: number }) =>
  new DataView(m.data.buffer, m.data.byteOffset).getInt32(m.offset + 20, true);

Deno.test(
  "direct path: a kernel unicast between the reply and its ACK goes to the events",
  opts,
  async () => {
    let port = 0;
    using _ = script((seq) => ({
      now: [
        datagram(port, reply(seq)),
        datagram(port, [0x42, 0, 0, [1, 2, 3, 4]]),
        datagram(port, ack(seq)),
      ],
    }));
    await using sock = NetlinkSocket.open(NETLINK.ROUTE);
    port = sock.portId;
    assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
    const ev = await sock.events({ signal: AbortSignal.timeout(5000) }).next();
    assert.equal(ev.value!.type, 0x42);
    assert.deepEqual([...ev.value!.payload], [1, 2, 3, 4]);
  },
);

Deno.test("direct path: a reply that comes later is waited for", opts, async () => {
  let port = 0;
  let sent = 0;
  using _ = script((seq) =>
    // the first reply comes later; the second request's ACK comes later
    ++sent === 1
      ? { now: [], later: [datagram(port, reply(seq)), datagram(port, ack(seq))] }
      : { now: [datagram(port, reply(seq))], later: [datagram(port, ack(seq))] }
  );
  await using sock = NetlinkSocket.open(NETLINK.ROUTE);
  port = sock.portId;
  const [link] = await sock.request(getLink(7), { timeoutMs: 5000 });
  assert.equal(ifindex(link), 7);
  assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
});

Deno.test("direct path: the reply and its ACK in one datagram", opts, async () => {
  let port = 0;
  using _ = script((seq) => ({ now: [datagram(port, reply(seq), ack(seq))] }));
  await using sock = NetlinkSocket.open(NETLINK.ROUTE);
  port = sock.portId;
  assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
  const [owned] = await sock.request(getLink(7), { timeoutMs: 5000 });
  assert.equal(ifindex(owned), 7);
});

Deno.test(
  "direct path: an overrun after the send fails the request; the next one works",
  opts,
  async () => {
    let port = 0;
    let first = true;
    using _ = script((seq) => {
      const answer = [datagram(port, reply(seq)), datagram(port, ack(seq))];
      if (!first) return { now: answer };
      first = false;
      return { now: [-105, /* ENOBUFS */ ...answer] };
    });
    await using sock = NetlinkSocket.open(NETLINK.ROUTE);
    port = sock.portId;
    await assert.rejects(sock.request(getLink(7), { timeoutMs: 5000 }), OverrunError);
    assert.equal(
      (await sock.events({ signal: AbortSignal.timeout(5000) }).next()).value!.type,
      NLMSG.OVERRUN,
    );
    assert.equal(sock.stats.overruns, 1);
    // The first request's reply and ACK still came: drained, not the next one's.
    assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
    assert.deepEqual(await sock.request(getLink(7), { map: ifindex, timeoutMs: 5000 }), [7]);
  },
);

Deno.test("direct path: a failed receive rejects with the call's name", opts, async () => {
  using _ = script(() => ({ now: [-9 /* EBADF */] }));
  await using sock = NetlinkSocket.open(NETLINK.ROUTE);
  await assert.rejects(sock.request(getLink(7), { timeoutMs: 5000 }), (e: unknown) => {
    assert.ok(e instanceof SyscallError);
    assert.equal(e.code, "EBADF");
    assert.equal(e.syscall, "recv");
    return true;
  });
});
