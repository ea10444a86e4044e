/**
 * Linux constants and 64-bit struct sizes shared by the FFI backends
 * (x86_64 and aarch64 agree on all of them).
 *
 * @module
 */

import type { Sys } from "./sys.ts";

export const AF_NETLINK = 16;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNET = 0x40000000;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

/** `struct sockaddr_nl`. */
export const SOCKADDR_NL = 12;
/** `struct iovec`. */
export const IOVEC = 16;
/** `struct mmsghdr` (`struct msghdr` plus `msg_len`, padded). */
export const MMSGHDR = 64;

/**
 * Views over one 256-byte block for the small arguments of sync calls.
 * The block has its own ArrayBuffer (not an on-heap typed array), so its
 * memory never moves and both runtimes pass it without a copy.
 */
export function scratchBuffers() {
  const scratch = new Uint8Array(new ArrayBuffer(256));
  const b = scratch.buffer;
  return {
    addr: scratch.subarray(0, SOCKADDR_NL),
    addrView: new DataView(b, 0, SOCKADDR_NL),
    int: scratch.subarray(16, 20),
    intView: new DataView(b, 16, 4),
    len: scratch.subarray(32, 36),
    lenView: new DataView(b, 32, 4),
    counter: scratch.subarray(48, 56),
    counterView: new DataView(b, 48, 8),
    pollFds: scratch.subarray(64, 80),
    pollView: new DataView(b, 64, 16),
  };
}

/** The synchronous libc calls {@linkcode buildSys} needs, as a backend binds them. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  getsockname(fd: number, addr: Uint8Array, len: Uint8Array): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint8Array): number;
  sendto(
    fd: number,
    data: Uint8Array,
    len: number,
    flags: number,
    addr: Uint8Array,
    alen: number,
  ): number;
  eventfd(initval: number, flags: number): number;
  read(fd: number, buf: Uint8Array, len: number): number;
  write(fd: number, buf: Uint8Array, len: number): number;
  open(path: string, flags: number): number;
  setns(fd: number, nstype: number): number;
  close(fd: number): number;
}

/**
 * A {@linkcode Sys} from a backend's libc bindings, its errno reader, and
 * the two parts that differ by runtime: the receiver and the wait.
 */
export function buildSys(
  libc: Libc,
  errno: () => number,
  runtime: Pick<Sys, "receiver" | "wait">,
): Sys {
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
    return ok(libc.socket(AF_NETLINK, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  }

  return {
    socket(protocol, type, netnsPath) {
      if (netnsPath === undefined) return openSocket(protocol, type);
      const self = ok(libc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (self < 0) return self;
      const target = ok(libc.open(netnsPath, O_RDONLY | O_CLOEXEC));
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
      return ok(libc.sendto(fd, data, data.byteLength, MSG_DONTWAIT, addr, SOCKADDR_NL));
    },
    receiver: runtime.receiver,
    wait: runtime.wait,
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

/** The wait bits of a `poll([fd, wakeFd])` that returned `n`, read from its pollfds. */
export function pollBits(v: DataView, n: number): number {
  if (n <= 0) return 0;
  const a = v.getInt16(6, true);
  const b = v.getInt16(14, true);
  return ((a & (POLLIN | POLLERR | POLLHUP)) ? 1 : 0) | ((b & POLLIN) ? 2 : 0);
}

/**
 * After `recvmmsg` returned `n`: copies each datagram's length, flags,
 * sender port id and group mask into `meta` (4 entries a slot), and resets
 * each `msg_namelen` for the next call. `names` is the offset of the
 * sockaddr_nl array in the block `v` views.
 */
export function readResults(v: DataView, names: number, n: number, meta: Uint32Array): void {
  for (let i = 0; i < n; i++) {
    const h = i * MMSGHDR;
    const name = names + i * 16;
    meta[i * 4] = v.getUint32(h + 56, true); // msg_len
    meta[i * 4 + 1] = v.getInt32(h + 48, true); // msg_flags
    meta[i * 4 + 2] = v.getUint32(name + 4, true); // nl_pid
    meta[i * 4 + 3] = v.getUint32(name + 8, true); // nl_groups
    v.setUint32(h + 8, SOCKADDR_NL, true); // msg_namelen
  }
}
