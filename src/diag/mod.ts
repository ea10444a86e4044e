/**
 * Socket diagnostics (NETLINK_SOCK_DIAG), what `ss` reads: TCP and UDP
 * sockets over IPv4 and IPv6 with their state, queues, owner, inode,
 * `tcp_info` and memory, unix sockets with their peers, filters run in the
 * kernel, and `destroy()` for a TCP socket.
 *
 * @example
 * ```ts ignore
 * import { SockDiag } from "./mod.ts";
 * await using diag = await SockDiag.open();
 * for (const s of await diag.inet({ protocol: "tcp", states: ["listen"] })) {
 *   console.log(s.src, s.sport, s.uid, s.inode);
 * }
 * ```
 *
 * @module
 */
export {
  DestroyError,
  type InetQuery,
  type InetSocket,
  SockDiag,
  type TcpState,
  type UnixSocket,
} from "./inet.ts";
export type { PortFilter } from "./bytecode.ts";
