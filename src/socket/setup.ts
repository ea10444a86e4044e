/**
 * The socket options a `NetlinkSocket` is opened with and changes later:
 * creating it (in a network namespace), its eventfd, the receive buffer,
 * the netlink options, bind, connect, group membership.
 *
 * @module
 */
import { NETLINK_OPT, SOL_NETLINK } from "../constants.ts";
import { SyscallError } from "../errors.ts";
import type { Sys } from "../sys.ts";
import type { OpenOptions } from "./options.ts";

const SOCK_RAW = 3;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SO_SNDBUF = 7;
const SO_SNDBUFFORCE = 32;
const DEFAULT_EVENT_BUFFER = 32 << 20;

/** The descriptors of a socket set up by {@linkcode setUp}. */
export interface Descriptors {
  /** The netlink socket. */
  fd: number;
  /** The eventfd that ends its poll. */
  wakeFd: number;
  /** The port id the kernel assigned. */
  portId: number;
}

/**
 * Creates, configures and binds a netlink socket for `protocol` and its
 * eventfd; throws {@linkcode SyscallError} (closing what it made) when a
 * step fails.
 *
 * @example
 * ```ts
 * import { setUp } from "./setup.ts";
 * import { FakeKernel } from "../testing/mod.ts";
 * using sys = new FakeKernel(() => []);
 * setUp(sys, 0, {}).portId > 0; // true
 * ```
 */
export function setUp(sys: Sys, protocol: number, options: OpenOptions): Descriptors {
  const ns = options.netns;
  const path = ns === undefined || ns.includes("/") ? ns : `/var/run/netns/${ns}`;
  const fd = sys.socket(protocol, SOCK_RAW, path);
  if (fd < 0) throw new SyscallError("socket", fd, path);
  let wakeFd = -1;
  try {
    wakeFd = sys.eventfd();
    if (wakeFd < 0) throw new SyscallError("eventfd", wakeFd);
    const rcvbuf = options.receiveBufferSize ??
      (options.groups?.length ? DEFAULT_EVENT_BUFFER : undefined);
    if (rcvbuf !== undefined) setReceiveBuffer(sys, fd, rcvbuf);
    if (options.sendBufferSize !== undefined) {
      if (sys.setInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, options.sendBufferSize) < 0) {
        check(
          "setsockopt",
          sys.setInt(fd, SOL_SOCKET, SO_SNDBUF, options.sendBufferSize),
          "SO_SNDBUF",
        );
      }
    }
    // Best effort: older kernels lack some of these, and they only refine errors.
    if (options.extAck ?? true) sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.EXT_ACK, 1);
    if (options.capAck ?? true) sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.CAP_ACK, 1);
    if (options.strict ?? true) sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.GET_STRICT_CHK, 1);
    if (options.noEnobufs) {
      check("setsockopt", sys.setInt(fd, SOL_NETLINK, NETLINK_OPT.NO_ENOBUFS, 1));
    }
    check("bind", sys.bind(fd, 0));
    // Connected to the kernel, the socket gets unicast from nobody else:
    // the kernel refuses it at the sender (ECONNREFUSED), so another
    // process can neither spoof a reply nor fill the queue.
    if (!options.acceptForeign) check("connect", sys.connect(fd));
    for (const g of options.groups ?? []) membership(sys, fd, g, true);
    const portId = sys.portId(fd);
    check("getsockname", portId);
    return { fd, wakeFd, portId };
  } catch (e) {
    sys.close(fd);
    if (wakeFd >= 0) sys.close(wakeFd);
    throw e;
  }
}

/**
 * Joins (`join`) or leaves multicast group `group` of socket `fd`.
 *
 * @example
 * ```ts
 * import { membership, setUp } from "./setup.ts";
 * import { FakeKernel } from "../testing/mod.ts";
 * using sys = new FakeKernel(() => []);
 * membership(sys, setUp(sys, 0, {}).fd, 1, true);
 * ```
 */
export function membership(sys: Sys, fd: number, group: number, join: boolean): void {
  const opt = join ? NETLINK_OPT.ADD_MEMBERSHIP : NETLINK_OPT.DROP_MEMBERSHIP;
  check(
    "setsockopt",
    sys.setInt(fd, SOL_NETLINK, opt, group),
    `${join ? "join" : "leave"} group ${group}`,
  );
}

/**
 * The receive buffer the kernel granted socket `fd` (`SO_RCVBUF`), in bytes.
 *
 * @example
 * ```ts
 * import { receiveBufferSize, setUp } from "./setup.ts";
 * import { FakeKernel } from "../testing/mod.ts";
 * using sys = new FakeKernel(() => []);
 * receiveBufferSize(sys, setUp(sys, 0, {}).fd);
 * ```
 */
export function receiveBufferSize(sys: Sys, fd: number): number {
  const n = sys.getInt(fd, SOL_SOCKET, SO_RCVBUF);
  check("getsockopt", n);
  return n;
}

/**
 * Throws {@linkcode SyscallError} for a negative `result` of `syscall`.
 *
 * @example
 * ```ts
 * import { check } from "./setup.ts";
 * check("send", 0); // fine
 * ```
 */
export function check(syscall: string, result: number, detail?: string): void {
  if (result < 0) throw new SyscallError(syscall, result, detail);
}

function setReceiveBuffer(sys: Sys, fd: number, size: number): void {
  if (sys.setInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size) >= 0) return;
  check("setsockopt", sys.setInt(fd, SOL_SOCKET, SO_RCVBUF, size), "SO_RCVBUF");
}
