/**
 * Linux constants and 64-bit struct sizes shared by the FFI backends
 * (x86_64 and aarch64 agree on all of them).
 *
 * @module
 */

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
