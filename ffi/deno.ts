/**
 * The Deno backend of {@linkcode Sys}: libc through `Deno.dlopen`.
 *
 * This file and its Node twin are the only places that know about pointers,
 * struct layouts and errno. Layouts are those of 64-bit Linux (x86_64 and
 * aarch64 agree on all of them).
 *
 * @module
 */
import type { Receiver, Sys } from "./sys.ts";
import {
  AF_NETLINK,
  CLONE_NEWNET,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  IOVEC,
  MMSGHDR,
  MSG_DONTWAIT,
  MSG_TRUNC,
  O_CLOEXEC,
  O_RDONLY,
  POLLERR,
  POLLHUP,
  POLLIN,
  scratchBuffers,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCKADDR_NL,
} from "./linux.ts";

const symbols = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  sendto: {
    parameters: ["i32", "buffer", "u32", "i32", "buffer", "u32"],
    result: "i32",
  },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  poll: { parameters: ["buffer", "u32", "i32"], result: "i32", nonblocking: true },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];

function address(bytes: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(text + "\0");
}

class DenoReceiver implements Receiver {
  readonly slots: Uint8Array[] = [];
  readonly meta: Uint32Array;
  readonly #headers: Uint8Array;
  readonly #view: DataView;
  readonly #names: number;
  readonly #libc: Libc;
  readonly #errno: () => number;
  readonly capacity: number;
  readonly slotSize: number;

  constructor(
    libc: Libc,
    errno: () => number,
    capacity: number,
    slotSize: number,
  ) {
    this.capacity = capacity;
    this.slotSize = slotSize;
    this.#libc = libc;
    this.#errno = errno;
    this.meta = new Uint32Array(capacity * 4);
    // One block: [mmsghdr x n][iovec x n][sockaddr_nl x n] then the slots.
    const iovs = capacity * MMSGHDR;
    this.#names = iovs + capacity * IOVEC;
    const data = (this.#names + capacity * 16 + 63) & ~63;
    const block = new Uint8Array(data + capacity * slotSize);
    this.#headers = block;
    this.#view = new DataView(block.buffer);
    const base = address(block);
    for (let i = 0; i < capacity; i++) {
      const h = i * MMSGHDR;
      const iov = iovs + i * IOVEC;
      const name = this.#names + i * 16;
      const slot = data + i * slotSize;
      this.slots.push(block.subarray(slot, slot + slotSize));
      this.#view.setBigUint64(h, base + BigInt(name), true); // msg_name
      this.#view.setUint32(h + 8, SOCKADDR_NL, true); // msg_namelen
      this.#view.setBigUint64(h + 16, base + BigInt(iov), true); // msg_iov
      this.#view.setBigUint64(h + 24, 1n, true); // msg_iovlen
      this.#view.setBigUint64(iov, base + BigInt(slot), true); // iov_base
      this.#view.setBigUint64(iov + 8, BigInt(slotSize), true); // iov_len
    }
  }

  receive(fd: number): number {
    const n = this.#libc.recvmmsg(
      fd,
      this.#headers,
      this.capacity,
      MSG_DONTWAIT | MSG_TRUNC,
      null,
    );
    if (n < 0) return -this.#errno();
    const v = this.#view;
    const meta = this.meta;
    for (let i = 0; i < n; i++) {
      const h = i * MMSGHDR;
      const name = this.#names + i * 16;
      meta[i * 4] = v.getUint32(h + 56, true); // msg_len
      meta[i * 4 + 1] = v.getInt32(h + 48, true); // msg_flags
      meta[i * 4 + 2] = v.getUint32(name + 4, true); // nl_pid
      meta[i * 4 + 3] = v.getUint32(name + 8, true); // nl_groups
      v.setUint32(h + 8, SOCKADDR_NL, true);
    }
    return n;
  }
}

function load(): Sys {
  const lib = Deno.dlopen("libc.so.6", symbols);
  const libc = lib.symbols;
  const errnoView = new Deno.UnsafePointerView(libc.__errno_location()!);
  const errno = () => errnoView.getInt32();
  const { addr, addrView, int, intView, len, lenView, counter, counterView } = scratchBuffers();
  const ok = (r: number) => (r < 0 ? -errno() : r);

  let lastPort = -1;
  let lastGroups = -1;
  function setAddress(portId: number, groups: number): void {
    if (portId === lastPort && groups === lastGroups) return;
    lastPort = portId;
    lastGroups = groups;
    addrView.setUint16(0, AF_NETLINK, true);
    addrView.setUint32(4, portId, true);
    addrView.setUint32(8, groups, true);
  }

  function openSocket(protocol: number, type: number): number {
    return ok(
      libc.socket(AF_NETLINK, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol),
    );
  }

  return {
    socket(protocol, type, netnsPath) {
      if (netnsPath === undefined) return openSocket(protocol, type);
      const self = ok(
        libc.open(cString("/proc/thread-self/ns/net"), O_RDONLY | O_CLOEXEC),
      );
      if (self < 0) return self;
      const target = ok(libc.open(cString(netnsPath), O_RDONLY | O_CLOEXEC));
      if (target < 0) {
        libc.close(self);
        return target;
      }
      let fd = ok(libc.setns(target, CLONE_NEWNET));
      if (fd === 0) {
        fd = openSocket(protocol, type);
        if (libc.setns(self, CLONE_NEWNET) < 0) {
          // The thread would stay in the wrong namespace: nothing can be
          // trusted after this, so fail loudly rather than go on.
          const e = errno();
          if (fd >= 0) libc.close(fd);
          libc.close(target);
          libc.close(self);
          throw new Error(`setns back to the original netns failed: errno ${e}`);
        }
      }
      libc.close(target);
      libc.close(self);
      return fd;
    },
    bind(fd, groups) {
      setAddress(0, groups);
      return ok(libc.bind(fd, addr, SOCKADDR_NL));
    },
    portId(fd) {
      lenView.setUint32(0, SOCKADDR_NL, true);
      lastPort = -1; // getsockname overwrites the cached address
      const r = ok(libc.getsockname(fd, addr, len));
      return r < 0 ? r : addrView.getUint32(4, true);
    },
    setInt(fd, level, name, value) {
      intView.setInt32(0, value, true);
      return ok(libc.setsockopt(fd, level, name, int, 4));
    },
    getInt(fd, level, name) {
      lenView.setUint32(0, 4, true);
      const r = ok(libc.getsockopt(fd, level, name, int, len));
      return r < 0 ? r : intView.getInt32(0, true);
    },
    sendTo(fd, data, portId, groups) {
      setAddress(portId, groups);
      return ok(
        libc.sendto(fd, data, data.byteLength, MSG_DONTWAIT, addr, SOCKADDR_NL),
      );
    },
    receiver(capacity, slotSize) {
      return new DenoReceiver(libc, errno, capacity, slotSize);
    },
    async wait(fd, wakeFd) {
      // Its own buffer: the poll runs on another thread while JS goes on.
      const fds = new Uint8Array(new ArrayBuffer(16));
      const v = new DataView(fds.buffer);
      v.setInt32(0, fd, true);
      v.setInt16(4, POLLIN, true);
      v.setInt32(8, wakeFd, true);
      v.setInt16(12, POLLIN, true);
      const n = await libc.poll(fds, 2, -1);
      if (n <= 0) return 0;
      const a = v.getInt16(6, true);
      const b = v.getInt16(14, true);
      return ((a & (POLLIN | POLLERR | POLLHUP)) ? 1 : 0) |
        ((b & POLLIN) ? 2 : 0);
    },
    eventfd() {
      return ok(libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    },
    wake(eventFd) {
      counterView.setBigUint64(0, 1n, true);
      return ok(libc.write(eventFd, counter, 8));
    },
    drain(eventFd) {
      return ok(libc.read(eventFd, counter, 8));
    },
    close(fd) {
      return ok(libc.close(fd));
    },
  };
}

let cached: Sys | undefined;

/**
 * The Deno implementation of {@linkcode Sys}, loaded on first use (so that
 * code which only encodes or decodes messages needs no `--allow-ffi`).
 */
export function loadSys(): Sys {
  return cached ??= load();
}
