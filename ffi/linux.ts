/**
 * Linux constants and 64-bit struct sizes shared by the FFI backends
 * (x86_64 and aarch64 agree on all of them).
 *
 * @module
 */

import type { Receiver, Sys } from "./sys.ts";

export const AF_NETLINK = 16;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNET = 0x40000000;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const MS_BIND = 4096;
export const MNT_DETACH = 2;
export const EEXIST = 17;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
export const POLLIN = 0x1;
export const O_RDWR = 2;
/** `_IOW('T', 202, int)` and its neighbours of `<linux/if_tun.h>`. */
export const TUNSETIFF = 0x400454ca;
export const TUNSETPERSIST = 0x400454cb;
export const TUNSETOWNER = 0x400454cc;
export const TUNSETGROUP = 0x400454ce;
/** `struct ifreq`: a 16-byte name, then the union (here `short ifr_flags`). */
export const IFREQ = 40;
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
  connect(fd: number, addr: Uint8Array, len: number): number;
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
  /** `sendto` with no address: to the socket's peer, the kernel. */
  send(fd: number, data: Uint8Array, len: number, flags: number): number;
  recvfrom(
    fd: number,
    buf: Uint8Array,
    len: number,
    flags: number,
    addr: Uint8Array,
    alen: Uint8Array,
  ): number;
  /** `recvfrom` without the source address. */
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number;
  /**
   * `recvfrom(2)` and `recv(2)` given addresses, not buffers: optional, for
   * a backend that passes a number for less than a buffer (koffi inspects
   * and unwraps every typed-array argument, ~75 ns a call on this
   * machine). The receiver then passes addresses inside its own block,
   * which never moves.
   */
  recvfromAt?(
    fd: number,
    buf: number,
    len: number,
    flags: number,
    addr: number,
    alen: number,
  ): number;
  /** See {@linkcode Libc.recvfromAt}. */
  recvAt?(fd: number, buf: number, len: number, flags: number): number;
  /** `timeout` is always null. */
  recvmmsg(fd: number, headers: Uint8Array, n: number, flags: number, timeout: null): number;
  eventfd(initval: number, flags: number): number;
  read(fd: number, buf: Uint8Array, len: number): number;
  write(fd: number, buf: Uint8Array, len: number): number;
  open(path: string, flags: number): number;
  setns(fd: number, nstype: number): number;
  close(fd: number): number;
  /** `open` with a mode (O_CREAT). */
  openMode(path: string, flags: number, mode: number): number;
  unshare(flags: number): number;
  /** `data` is always null. */
  mount(source: string, target: string, fstype: string, flags: number, data: null): number;
  umount2(target: string, flags: number): number;
  mkdir(path: string, mode: number): number;
  unlink(path: string): number;
  /** `ioctl(fd, request, buffer)`. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  /** `ioctl(fd, request, value)`: an integer argument, not a pointer. */
  ioctlValue(fd: number, request: number, value: number): number;
  /** `syscall(SYS_bpf, cmd, attr, size)`; the backend knows the architecture's number. */
  bpf?(cmd: number, attr: Uint8Array, size: number): number;
}

/** BPF_OBJ_GET (include/uapi/linux/bpf.h). */
const BPF_OBJ_GET = 7;
/** The part of `union bpf_attr` BPF_OBJ_GET reads: pathname (u64), bpf_fd, file_flags. */
const BPF_OBJ_ATTR = 16;

/**
 * A {@linkcode Sys} from a backend's libc bindings, its errno reader, and
 * the two parts that differ by runtime: the receiver and the wait.
 */
export function buildSys(
  libc: Libc,
  errno: () => number,
  runtime: Pick<Sys, "receiver" | "wait" | "listDir"> & {
    address?: (bytes: Uint8Array) => bigint;
  },
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

  /**
   * `body` run by the thread inside the namespace at `netnsPath`, then the
   * thread back home. When it cannot get back, nothing can be trusted after
   * this: it throws (closing `body`'s result when that is a descriptor).
   */
  function inNetns(netnsPath: string, body: () => number, resultIsFd = false): number {
    const self = ok(libc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (self < 0) return self;
    const target = ok(libc.open(netnsPath, O_RDONLY | O_CLOEXEC));
    if (target < 0) {
      libc.close(self);
      return target;
    }
    let r = ok(libc.setns(target, CLONE_NEWNET));
    if (r === 0) {
      r = body();
      if (libc.setns(self, CLONE_NEWNET) < 0) {
        const e = errno();
        if (resultIsFd && r >= 0) libc.close(r);
        libc.close(target);
        libc.close(self);
        throw new Error(`setns back to the original netns failed: errno ${e}`);
      }
    }
    libc.close(target);
    libc.close(self);
    return r;
  }

  function tun(name: string, flags: number, owner: number, group: number, persist: boolean) {
    const fd = ok(libc.open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (fd < 0) return fd;
    const ifr = new Uint8Array(new ArrayBuffer(IFREQ));
    const bytes = new TextEncoder().encode(name);
    if (bytes.length === 0 || bytes.length > 15) {
      libc.close(fd);
      return -22; // EINVAL: what the kernel says of a bad name
    }
    ifr.set(bytes);
    new DataView(ifr.buffer).setInt16(16, flags, true);
    let r = ok(libc.ioctl(fd, TUNSETIFF, ifr));
    if (r >= 0 && owner >= 0) r = ok(libc.ioctlValue(fd, TUNSETOWNER, owner));
    if (r >= 0 && group >= 0) r = ok(libc.ioctlValue(fd, TUNSETGROUP, group));
    if (r >= 0) r = ok(libc.ioctlValue(fd, TUNSETPERSIST, persist ? 1 : 0));
    libc.close(fd);
    return r < 0 ? r : 0;
  }

  function openSocket(protocol: number, type: number): number {
    return ok(libc.socket(AF_NETLINK, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  }

  return {
    listDir: runtime.listDir,
    socket(protocol, type, netnsPath) {
      if (netnsPath === undefined) return openSocket(protocol, type);
      // the thread opens the socket inside the namespace and comes back home
      return inNetns(netnsPath, () => openSocket(protocol, type), true);
    },
    ...(libc.bpf && runtime.address
      ? {
        bpfObjGet(path: string) {
          const name = new TextEncoder().encode(path + "\0");
          const attr = new Uint8Array(BPF_OBJ_ATTR);
          // the path's address: `name` stays referenced until the call returns
          new DataView(attr.buffer).setBigUint64(0, runtime.address!(name), true);
          const r = libc.bpf!(BPF_OBJ_GET, attr, BPF_OBJ_ATTR);
          void name.length;
          return ok(r);
        },
      }
      : {}),
    openNamespace(path) {
      return ok(libc.open(path, O_RDONLY | O_CLOEXEC));
    },
    createNetns(path) {
      // as `ip netns add`: an empty file, then a new netns bind-mounted on it
      const dir = path.slice(0, path.lastIndexOf("/"));
      const made = dir ? ok(libc.mkdir(dir, 0o755)) : 0;
      if (made < 0 && made !== -EEXIST) return made;
      const file = ok(libc.openMode(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444));
      if (file < 0) return file;
      libc.close(file);
      const self = ok(libc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (self < 0) {
        libc.unlink(path);
        return self;
      }
      let r = ok(libc.unshare(CLONE_NEWNET));
      if (r === 0) {
        r = ok(libc.mount("/proc/thread-self/ns/net", path, "none", MS_BIND, null));
        if (libc.setns(self, CLONE_NEWNET) < 0) {
          // The thread would stay in the new namespace: fail loudly.
          const e = errno();
          libc.close(self);
          throw new Error(`setns back to the original netns failed: errno ${e}`);
        }
      }
      libc.close(self);
      if (r < 0) libc.unlink(path);
      return r;
    },
    tunSetup(name, flags, owner, group, persist, netnsPath) {
      const body = () => tun(name, flags, owner, group, persist);
      return netnsPath === undefined ? body() : inNetns(netnsPath, body);
    },
    deleteNetns(path) {
      const r = ok(libc.umount2(path, MNT_DETACH));
      if (r < 0) return r;
      return ok(libc.unlink(path));
    },
    bind(fd, groups) {
      setAddress(0, groups);
      return ok(libc.bind(fd, addr, SOCKADDR_NL));
    },
    connect(fd) {
      setAddress(0, 0);
      return ok(libc.connect(fd, addr, SOCKADDR_NL));
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
      // To the kernel, no address: the kernel is a netlink socket's peer
      // (connected to it or not), and it skips copying and checking an
      // address it does not get (~2% of a request's round trip).
      if (portId === 0 && groups === 0) {
        return ok(libc.send(fd, data, data.byteLength, MSG_DONTWAIT));
      }
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
 * The {@linkcode Receiver} both backends use: one block holding
 * `[mmsghdr x n][iovec x n][sockaddr_nl x n][socklen_t]` and then the
 * slots. The block has its own ArrayBuffer, so its memory never moves and
 * the addresses written into the headers stay valid for its lifetime.
 *
 * One datagram is read with `recvfrom(2)` (`recv(2)` when its source
 * address is known), several with `recvmmsg(2)`: for one, the kernel's
 * recvfrom costs less (no `msghdr` to copy in, and no extra pass that
 * ends in EAGAIN), which is most of a request's round trip; for a queue
 * of events, one call for many is cheaper. A backend with
 * {@linkcode Libc.recvfromAt} gets addresses inside the block instead of
 * buffers.
 */
export class BlockReceiver implements Receiver {
  readonly slots: Uint8Array[] = [];
  readonly meta: Uint32Array;
  readonly capacity: number;
  readonly slotSize: number;
  readonly #libc: Pick<Libc, "recvfrom" | "recv" | "recvmmsg">;
  readonly #recvfromAt: Libc["recvfromAt"];
  readonly #recvAt: Libc["recvAt"];
  // Addresses of slot 0, the first sockaddr_nl and recvfrom's addrlen.
  readonly #slotAddress: number;
  readonly #nameAddress: number;
  readonly #nameLenAddress: number;
  readonly #errno: () => number;
  readonly #headers: Uint8Array;
  readonly #view: DataView;
  readonly #names: number;
  readonly #name: Uint8Array;
  readonly #nameLenAt: number;
  readonly #nameLen: Uint8Array;

  /** `address` gives the memory address of a Uint8Array's first byte. */
  constructor(
    libc: Pick<Libc, "recvfrom" | "recvfromAt" | "recv" | "recvAt" | "recvmmsg">,
    errno: () => number,
    address: (bytes: Uint8Array) => bigint,
    capacity: number,
    slotSize: number,
  ) {
    this.capacity = capacity;
    this.slotSize = slotSize;
    this.#libc = libc;
    this.#errno = errno;
    this.meta = new Uint32Array(capacity * 4);
    const iovs = capacity * MMSGHDR;
    const names = this.#names = iovs + capacity * IOVEC;
    const nameLen = this.#nameLenAt = names + capacity * 16;
    const data = (nameLen + 4 + 63) & ~63;
    const block = new Uint8Array(new ArrayBuffer(data + capacity * slotSize));
    const v = this.#view = new DataView(block.buffer);
    this.#headers = block;
    this.#name = block.subarray(names, names + SOCKADDR_NL);
    this.#nameLen = block.subarray(nameLen, nameLen + 4);
    const base = address(block);
    this.#recvfromAt = libc.recvfromAt;
    this.#recvAt = libc.recvAt;
    // User-space addresses are below 2^47: exact as numbers.
    this.#slotAddress = Number(base) + data;
    this.#nameAddress = Number(base) + names;
    this.#nameLenAddress = Number(base) + nameLen;
    for (let i = 0; i < capacity; i++) {
      const h = i * MMSGHDR;
      const iov = iovs + i * IOVEC;
      const name = names + i * 16;
      const slot = data + i * slotSize;
      this.slots.push(block.subarray(slot, slot + slotSize));
      v.setBigUint64(h, base + BigInt(name), true); // msg_name
      v.setUint32(h + 8, SOCKADDR_NL, true); // msg_namelen
      v.setBigUint64(h + 16, base + BigInt(iov), true); // msg_iov
      v.setBigUint64(h + 24, 1n, true); // msg_iovlen
      v.setBigUint64(iov, base + BigInt(slot), true); // iov_base
      v.setBigUint64(iov + 8, BigInt(slotSize), true); // iov_len
    }
  }

  receive(fd: number, max: number = this.capacity, fromKernel = false): number {
    const v = this.#view;
    const meta = this.meta;
    if (max === 1) {
      // With MSG_TRUNC, the datagram's full length even when it was cut.
      const len = fromKernel ? this.#receiveOne(fd) : this.#receiveOneFrom(fd);
      if (len < 0) return -this.#errno();
      meta[0] = len;
      meta[1] = len > this.slotSize ? MSG_TRUNC : 0;
      meta[2] = fromKernel ? 0 : v.getUint32(this.#names + 4, true); // nl_pid
      meta[3] = fromKernel ? 0 : v.getUint32(this.#names + 8, true); // nl_groups
      return 1;
    }
    const n = this.#libc.recvmmsg(
      fd,
      this.#headers,
      Math.min(max, this.capacity),
      MSG_DONTWAIT | MSG_TRUNC,
      null,
    );
    if (n < 0) return -this.#errno();
    for (let i = 0; i < n; i++) {
      const h = i * MMSGHDR;
      const name = this.#names + i * 16;
      meta[i * 4] = v.getUint32(h + 56, true); // msg_len
      meta[i * 4 + 1] = v.getInt32(h + 48, true); // msg_flags
      meta[i * 4 + 2] = v.getUint32(name + 4, true); // nl_pid
      meta[i * 4 + 3] = v.getUint32(name + 8, true); // nl_groups
      v.setUint32(h + 8, SOCKADDR_NL, true); // msg_namelen, for the next call
    }
    return n;
  }

  /** One datagram into slot 0, without its source address. */
  #receiveOne(fd: number): number {
    const flags = MSG_DONTWAIT | MSG_TRUNC;
    const at = this.#recvAt;
    return at
      ? at(fd, this.#slotAddress, this.slotSize, flags)
      : this.#libc.recv(fd, this.slots[0], this.slotSize, flags);
  }

  /** One datagram into slot 0, its source address into the first sockaddr_nl. */
  #receiveOneFrom(fd: number): number {
    const flags = MSG_DONTWAIT | MSG_TRUNC;
    this.#view.setUint32(this.#nameLenAt, SOCKADDR_NL, true); // addrlen, in and out
    const at = this.#recvfromAt;
    return at
      ? at(fd, this.#slotAddress, this.slotSize, flags, this.#nameAddress, this.#nameLenAddress)
      : this.#libc.recvfrom(fd, this.slots[0], this.slotSize, flags, this.#name, this.#nameLen);
  }
}
