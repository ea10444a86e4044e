/**
 * The contract between the pure TypeScript layer (`src/`) and a runtime's
 * foreign-function backend (`ffi/deno.ts` for Deno, `ffi/node.ts` for Node
 * and Bun). It is the only thing `src/` knows about system calls.
 *
 * Conventions, shared by every implementation:
 * - Every call is synchronous except {@linkcode Sys.wait}.
 * - A call that can fail returns a number: non-negative on success, or the
 *   negated `errno` (e.g. `-11` for EAGAIN). errno is read on the calling
 *   thread right after the call, which is the only place it is valid.
 * - Sockets are always `SOCK_NONBLOCK | SOCK_CLOEXEC`.
 * - No pointer ever crosses this interface: only numbers, strings and
 *   `Uint8Array`s.
 *
 * @module
 */

/**
 * A preallocated set of receive slots, filled by one `recvmmsg(2)` call, or
 * by `recvfrom(2)` (`recv(2)` when the sender is known) when one datagram
 * is asked for.
 *
 * After {@linkcode Receiver.receive} returns `n > 0`, datagram `i < n` is in
 * `slots[i]`, and `meta[i * 4 + k]` holds:
 * - `k = 0`: the datagram's full length as the kernel had it (MSG_TRUNC
 *   semantics: it may exceed `slotSize`, and then the datagram was cut);
 * - `k = 1`: the `msg_flags` the kernel returned (MSG_TRUNC = 0x20 when the
 *   datagram was cut);
 * - `k = 2`: the sender's port id (`nl_pid` of the source address; 0 is the
 *   kernel);
 * - `k = 3`: the destination group mask (`nl_groups` of the source address).
 *
 * Nothing is allocated by `receive`: the slots are reused by the next call.
 */
export interface Receiver {
  /** How many datagrams one call can return. */
  readonly capacity: number;
  /** Size in bytes of each slot. */
  readonly slotSize: number;
  /** One view per slot, each `slotSize` bytes long. */
  readonly slots: readonly Uint8Array[];
  /** Four numbers per slot, as described on the interface. */
  readonly meta: Uint32Array;
  /**
   * Reads up to `max` datagrams (default and limit: `capacity`) with
   * `MSG_DONTWAIT | MSG_TRUNC`: `recvfrom` (or `recv`) for one, `recvmmsg`
   * for more.
   * Returns how many were received, or a negated errno (`-EAGAIN` when the
   * queue is empty, `-ENOBUFS` after an overrun).
   *
   * `fromKernel` says every datagram is the kernel's unicast (the socket is
   * connected to the kernel and never joined a group): one datagram is then
   * read without asking for its source address, which costs the kernel
   * less, and its meta gives sender 0 and group 0.
   */
  receive(fd: number, max?: number, fromKernel?: boolean): number;
}

/** The system calls a netlink socket needs, as one runtime provides them. */
export interface Sys {
  /**
   * `socket(AF_NETLINK, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)`.
   *
   * With `netnsPath`, the socket is created inside the network namespace at
   * that path (e.g. `/var/run/netns/NAME`) and the calling thread returns to
   * its own namespace before this returns. Returns the fd or a negated errno.
   */
  socket(protocol: number, type: number, netnsPath?: string): number;
  /** `bind` to port id 0 (the kernel picks one) and the group mask `groups`. */
  bind(fd: number, groups: number): number;
  /**
   * `connect` to the kernel (port id 0, no groups): the kernel then refuses
   * unicast from other sockets (their send fails with ECONNREFUSED).
   * Returns 0 or a negated errno.
   */
  connect(fd: number): number;
  /** The port id the kernel assigned (`getsockname`), or a negated errno. */
  portId(fd: number): number;
  /** `setsockopt` with an `int` value. */
  setInt(fd: number, level: number, name: number, value: number): number;
  /** `getsockopt` of an `int` value: the value (>= 0) or a negated errno. */
  getInt(fd: number, level: number, name: number): number;
  /**
   * `sendto(fd, data, len, MSG_DONTWAIT, {nl_pid: portId, nl_groups: groups})`:
   * bytes sent or a negated errno. Port id 0 and groups 0 address the kernel.
   */
  sendTo(fd: number, data: Uint8Array, portId: number, groups: number): number;
  /** A receiver with `capacity` slots of `slotSize` bytes each. */
  receiver(capacity: number, slotSize: number): Receiver;
  /**
   * The one asynchronous call: `poll([fd: POLLIN, wakeFd: POLLIN], -1)` on a
   * helper thread. Resolves with a bit set: 1 when `fd` is readable (or has
   * an error pending), 2 when `wakeFd` is readable; 0 when interrupted.
   */
  wait(fd: number, wakeFd: number): Promise<number>;
  /** `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`: the fd or a negated errno. */
  eventfd(): number;
  /** Adds 1 to an eventfd, waking any {@linkcode Sys.wait} on it. */
  wake(eventFd: number): number;
  /** Reads (and so resets) an eventfd's counter. */
  drain(eventFd: number): number;
  /** `close(fd)`. */
  close(fd: number): number;
  /**
   * `open(path, O_RDONLY | O_CLOEXEC)` of a namespace file (e.g.
   * `/var/run/netns/NAME`), for requests that name a namespace by fd
   * (IFLA_NET_NS_FD): the fd or a negated errno. Optional: a backend
   * without it cannot move links between namespaces.
   */
  openNamespace?(path: string): number;
  /**
   * Creates a network namespace bound at `path` (as `ip netns add` does:
   * an empty file, `unshare(CLONE_NEWNET)`, a bind mount of the new
   * namespace on it), and returns the calling thread to its own namespace
   * before it returns (throws if it cannot). 0 or a negated errno (EEXIST
   * when `path` exists); nothing is left behind on failure. Optional.
   */
  createNetns?(path: string): number;
  /** Unmounts (MNT_DETACH) and removes a namespace made by `createNetns`. Optional. */
  deleteNetns?(path: string): number;
  /**
   * The names in directory `path` (not "." or ".."), for listing named
   * namespaces; a negated errno (ENOENT) when it cannot be read. Optional.
   */
  listDir?(path: string): string[] | number;
  /**
   * Sets up a tun/tap device as `ip tuntap add/del` does: opens
   * `/dev/net/tun` (inside the namespace at `netnsPath`, if given, the
   * calling thread returning to its own before this returns), TUNSETIFF
   * with `name` and `flags` (IFF_TUN 1 or IFF_TAP 2, IFF_NO_PI 0x1000,
   * IFF_MULTI_QUEUE 0x100, IFF_VNET_HDR 0x4000), TUNSETOWNER `owner` and
   * TUNSETGROUP `group` when not negative, TUNSETPERSIST `persist`, and
   * closes it: with `persist` false a device made persistent before goes
   * away. 0 or a negated errno. Optional.
   */
  tunSetup?(
    name: string,
    flags: number,
    owner: number,
    group: number,
    persist: boolean,
    netnsPath?: string,
  ): number;
  /**
   * `bpf(BPF_OBJ_GET)`: a new fd for the BPF object (a program, say)
   * pinned at `path` on a bpf filesystem, or a negated errno (ENOENT when
   * nothing is there, EACCES when it is not a BPF object). The caller
   * closes it. Optional: a backend without it cannot open pinned programs.
   */
  bpfObjGet?(path: string): number;
}
