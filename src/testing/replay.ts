/**
 * {@linkcode replay}: a {@linkcode Recording} (made by `RecordingSys`)
 * played back as a {@linkcode FakeKernel}, so a test runs a real
 * conversation without the kernel.
 *
 * @module
 */
import { readU32 } from "../bytes.ts";
import { NLMSG, NLMSG_HDRLEN } from "../constants.ts";
import { FakeKernel, type FakeRequest } from "./fake_kernel.ts";
import { hex, type RecordedMessage, type RecordedSocket, type Recording } from "./record.ts";
import { receiveError, type Reply, type ReplyItem } from "./replies.ts";

function unhex(s: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new TypeError(`not hex bytes: ${s.slice(0, 40)}`);
  return Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** A replayed socket sent what its recording does not hold at that point. */
export class ReplayMismatchError extends Error {
  /** "ReplayMismatchError". */
  override name = "ReplayMismatchError";
}

/** A message's bytes with the live sequence number and port id. */
function rebuild(m: RecordedMessage, seqs: Map<number, number>, from: number, to: number) {
  const payload = unhex(m.payload);
  const b = new Uint8Array(NLMSG_HDRLEN + ((payload.length + 3) & ~3));
  const v = new DataView(b.buffer);
  v.setUint32(0, NLMSG_HDRLEN + payload.length, true);
  v.setUint16(4, m.type, true);
  v.setUint16(6, m.flags, true);
  v.setUint32(8, seqs.get(m.seq) ?? m.seq, true);
  v.setUint32(12, m.portId === from ? to : m.portId, true);
  b.set(payload, NLMSG_HDRLEN);
  if (m.type === NLMSG.ERROR && payload.length >= 20) {
    // The echoed request header, too.
    v.setUint32(28, seqs.get(readU32(b, 28)) ?? readU32(b, 28), true);
    if (readU32(b, 32) === from) v.setUint32(32, to, true);
  }
  return b;
}

/**
 * A {@linkcode FakeKernel} that plays `recording` back: the n-th socket of
 * a protocol opened gets the n-th recorded one's conversation. Each
 * request must match the recorded one (type, flags, payload; the sequence
 * number and port id are mapped), else the request fails with
 * {@linkcode ReplayMismatchError}; what the kernel answered then (up to
 * the next request) is queued, with the live sequence number and port id.
 *
 * @example
 * ```ts ignore
 * import { NETLINK, NetlinkSocket } from "../../mod.ts";
 * import { replay } from "./mod.ts";
 * using kernel = replay(JSON.parse(await Deno.readTextFile("links.json")));
 * await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
 * ```
 */
export function replay(recording: Recording): FakeKernel {
  if (recording?.format !== "netlink-ts recording 1" || !Array.isArray(recording.sockets)) {
    throw new TypeError("not a netlink-ts recording (format 1)");
  }
  const unused = [...recording.sockets];
  const live = new Map<number, { rec: RecordedSocket; step: number; seqs: Map<number, number> }>();
  return new FakeKernel((req: FakeRequest) => {
    let state = live.get(req.socket.fd);
    if (!state) {
      const i = unused.findIndex((s) => s.protocol === req.socket.protocol);
      if (i < 0) {
        throw new ReplayMismatchError("the recording has no more sockets of this protocol");
      }
      state = { rec: unused.splice(i, 1)[0], step: 0, seqs: new Map() };
      live.set(req.socket.fd, state);
    }
    const { rec, seqs } = state;
    const steps = rec.steps;
    while (state.step < steps.length && !("send" in steps[state.step])) state.step++;
    const step = steps[state.step];
    if (!step || !("send" in step)) {
      throw new ReplayMismatchError("the recorded conversation ended: no request left");
    }
    const m = req.message;
    const want = step.send.find((s) => !seqs.has(s.seq));
    const got = hex(m.payload);
    if (!want || want.type !== m.type || want.flags !== m.flags || want.payload !== got) {
      throw new ReplayMismatchError(
        `expected ${JSON.stringify(want && { ...want, decoded: undefined })}, got ` +
          JSON.stringify({ type: m.type, flags: m.flags, payload: got }),
      );
    }
    seqs.set(want.seq, m.seq);
    if (step.send.some((s) => !seqs.has(s.seq))) return [];
    const out: (Reply | ReplyItem)[] = [];
    for (state.step++; state.step < steps.length; state.step++) {
      const s = steps[state.step];
      if ("send" in s) break;
      if ("receiveError" in s) {
        out.push(receiveError(s.errno));
        continue;
      }
      const port = req.socket.portId;
      const bytes = s.truncated
        ? unhex(s.truncated.bytes)
        : concat(s.receive.map((r) => rebuild(r, seqs, rec.portId, port)));
      out.push({
        kind: "datagram",
        bytes: s.truncated ? padTo(bytes, s.truncated.length) : bytes,
        sender: s.sender,
        group: groupNumber(s.group),
        ...(s.truncated ? { truncate: bytes.length } : {}),
      });
    }
    return out;
  }, { autoAck: false });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const b = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (b.set(p, at), at += p.length);
  return b;
}

function padTo(b: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, b.length));
  out.set(b);
  return out;
}

function groupNumber(mask: number): number {
  return mask === 0 ? 0 : 32 - Math.clz32(mask & -mask);
}
