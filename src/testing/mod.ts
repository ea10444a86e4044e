/**
 * A test kit: a fake kernel built from a handler (request in, replies
 * out), helpers for every kind of answer, a fake generic netlink
 * controller, and record/replay of real conversations. Hand the kernel to
 * `NetlinkSocket.open(protocol, { sys })` or `FamilyClient.open(spec, { sys })`:
 * no root, no namespace, no kernel needed.
 *
 * @example
 * ```ts
 * import { MessageWriter, NETLINK, NetlinkSocket } from "../../mod.ts";
 * import { error, FakeKernel } from "./mod.ts";
 * using kernel = new FakeKernel((req) => error(req, 19, { message: "no such device" }));
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
 * const w = new MessageWriter().begin(18);
 * w.fixed(16);
 * await sock.request(w).catch((e) => e.code); // "ENODEV"
 * ```
 *
 * @module
 */
export {
  FakeKernel,
  type FakeKernelOptions,
  type FakeRequest,
  type FakeSocket,
  type Handler,
} from "./fake_kernel.ts";
export {
  ack,
  datagram,
  Deferred,
  dump,
  type DumpReplyOptions,
  error,
  type ExtAckSpec,
  later,
  message,
  multicast,
  overrun,
  receiveError,
  type Reply,
  reply,
  type ReplyItem,
  truncated,
} from "./replies.ts";
export { type FakeFamily, familyFromSpec, genlController } from "./genl_controller.ts";
export {
  type RecordedMessage,
  type RecordedSocket,
  type RecordedStep,
  type Recording,
  RecordingSys,
} from "./record.ts";
export { replay, ReplayMismatchError } from "./replay.ts";
// The transport contract the fake kernel and the recorder implement.
export type { Receiver, Sys } from "../sys.ts";
