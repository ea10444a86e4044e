/**
 * Netlink for Deno and Node: AF_NETLINK sockets through FFI, with requests,
 * dumps and event streams as promises and async iterators, a zero-copy
 * codec, and typed errors that carry the kernel's extended ACK.
 *
 * @example
 * ```ts ignore
 * import { MessageWriter, NETLINK, NetlinkSocket, NLM_F } from "./mod.ts";
 * const RTM_GETLINK = 18;
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE);
 * const w = new MessageWriter().begin(RTM_GETLINK, NLM_F.DUMP);
 * w.fixed(16); // struct ifinfomsg
 * for await (const link of sock.dump(w)) console.log(link.type, link.length);
 * ```
 *
 * The rest lives in rooms of its own, imported by subpath: `./rtnl`
 * (links, addresses, routes, neighbours), `./genl` (generic netlink and the
 * client for every family with a spec), `./families/<name>` (one generated
 * family each), `./uevent`, `./nlrtable` (the kernel module's client) and
 * the command-line tools under `./cli/`.
 *
 * @module
 */
export * from "./src/constants.ts";
export * from "./src/errors.ts";
export { Message } from "./src/message.ts";
export { AttributeDecoder, MAX_NEST_DEPTH } from "./src/attribute.ts";
export { MessageWriter } from "./src/writer.ts";
export type { MessageInit, MessageInput } from "./src/message_init.ts";
export { type Ack, errorOf, parseAck, parseDone } from "./src/ack.ts";
export {
  type DumpOptions,
  type MappedDumpOptions,
  type MappedRequestOptions,
  NetlinkSocket,
  type OpenOptions,
  type ReplyMapper,
  type RequestOptions,
  type SocketStats,
  type WaitOptions,
} from "./src/socket.ts";
export type { Receiver, Sys } from "./src/sys.ts";
export {
  AF,
  formatAddress,
  formatMac,
  formatPrefix,
  parseAddress,
  parseMac,
  parsePrefix,
  type Prefix,
} from "./src/address.ts";
