/**
 * Decoding `NLMSG_ERROR` (ACKs and errors, `struct nlmsgerr`) and the error
 * code a `NLMSG_DONE` may carry, with their extended-ACK attributes.
 *
 * @module
 */
import { align4, readS32, readU16, readU32 } from "./bytes.ts";
import { NLM_F, NLMSG, NLMSG_HDRLEN, NLMSGERR_ATTR } from "./constants.ts";
import { type ExtAck, NetlinkError, ParseError } from "./errors.ts";
import type { Message } from "./message.ts";
import { AttributeDecoder } from "./attribute.ts";

/** What an ACK, error or DONE said. */
export interface Ack {
  /** 0 for success, else the positive errno. */
  errno: number;
  /** The extended-ACK attributes (a warning when `errno` is 0). */
  extAck: ExtAck;
}

const NO_EXT_ACK: ExtAck = Object.freeze({});
const ACKED: Ack = Object.freeze({ errno: 0, extAck: NO_EXT_ACK });

function readExtAck(msg: Message, start: number): ExtAck {
  if (!(msg.flags & NLM_F.ACK_TLVS)) return NO_EXT_ACK;
  const ext: ExtAck = {};
  const ad = new AttributeDecoder(msg.data, start, msg.offset + msg.length);
  while (ad.next()) {
    switch (ad.type) {
      case NLMSGERR_ATTR.MSG:
        ext.message = ad.string();
        break;
      case NLMSGERR_ATTR.OFFS:
        ext.offset = ad.u32();
        break;
      case NLMSGERR_ATTR.COOKIE:
        ext.cookie = ad.value().slice();
        break;
      case NLMSGERR_ATTR.POLICY:
        ext.policy = ad.value().slice();
        break;
      case NLMSGERR_ATTR.MISS_TYPE:
        ext.missingType = ad.u32();
        break;
      case NLMSGERR_ATTR.MISS_NEST:
        ext.missingNest = ad.u32();
        break;
    }
  }
  return ext;
}

/**
 * Decodes an `NLMSG_ERROR` message: the error code (0 is an ACK) and any
 * extended-ACK attributes. Throws {@linkcode ParseError} when the payload
 * is shorter than `struct nlmsgerr` says.
 *
 * @example
 * ```ts
 * import { parseAck } from "./ack.ts";
 * import { Message } from "./message.ts";
 * const b = new Uint8Array(36);
 * const v = new DataView(b.buffer);
 * v.setUint32(0, 36, true); // nlmsg_len
 * v.setUint16(4, 2, true); // NLMSG_ERROR
 * v.setUint16(6, 0x100, true); // NLM_F_CAPPED
 * v.setInt32(16, -19, true); // -ENODEV
 * v.setUint32(20, 16, true); // the request's nlmsg_len
 * parseAck(new Message(b, 0, 36)).errno; // 19
 * ```
 */
export function parseAck(msg: Message): Ack {
  const b = msg.data;
  const start = msg.offset + NLMSG_HDRLEN;
  const end = msg.offset + msg.length;
  if (end - start < 4 + NLMSG_HDRLEN) {
    throw new ParseError("NLMSG_ERROR shorter than struct nlmsgerr", msg.offset);
  }
  const errno = -readS32(b, start);
  // The common case, a bare ACK: nothing to decode, nothing to allocate.
  if (errno === 0 && !(msg.flags & NLM_F.ACK_TLVS)) return ACKED;
  let tlvs = start + 4 + NLMSG_HDRLEN;
  if (!(msg.flags & NLM_F.CAPPED)) {
    const origLen = readU32(b, start + 4);
    tlvs = start + 4 + align4(Math.max(origLen, NLMSG_HDRLEN));
    if (tlvs > end) {
      if (msg.flags & NLM_F.ACK_TLVS) {
        throw new ParseError("NLMSG_ERROR echo runs past the message", msg.offset);
      }
      tlvs = end;
    }
  }
  return { errno, extAck: readExtAck(msg, tlvs) };
}

/**
 * Decodes an `NLMSG_DONE` message: the dump's final error code (0 when it
 * carries none) and any extended-ACK attributes.
 *
 * @example
 * ```ts
 * import { parseDone } from "./ack.ts";
 * import { Message } from "./message.ts";
 * const b = new Uint8Array(20);
 * const v = new DataView(b.buffer);
 * v.setUint32(0, 20, true);
 * v.setUint16(4, 3, true); // NLMSG_DONE
 * parseDone(new Message(b, 0, 20)).errno; // 0
 * ```
 */
export function parseDone(msg: Message): Ack {
  const start = msg.offset + NLMSG_HDRLEN;
  if (msg.length - NLMSG_HDRLEN < 4) return { errno: 0, extAck: {} };
  return {
    errno: -readS32(msg.data, start),
    extAck: readExtAck(msg, start + 4),
  };
}

/**
 * The {@linkcode NetlinkError} an error reply (`NLMSG_ERROR`, or a DONE
 * with an errno) stands for, with the request's message type (from the
 * header the kernel echoes) and sequence number.
 *
 * @example
 * ```ts
 * import { errorOf } from "./ack.ts";
 * import { Message } from "./message.ts";
 * const b = new Uint8Array(36);
 * const v = new DataView(b.buffer);
 * v.setUint32(0, 36, true); // nlmsg_len
 * v.setUint16(4, 2, true); // NLMSG_ERROR
 * v.setUint32(8, 7, true); // seq
 * v.setInt32(16, -17, true); // -EEXIST
 * v.setUint16(24, 24, true); // the request's type: RTM_NEWROUTE
 * errorOf(new Message(b, 0, 36), 17, {}).message; // "message type 24: EEXIST (File exists)"
 * ```
 */
export function errorOf(msg: Message, errno: number, extAck: ExtAck): NetlinkError {
  const echo = msg.offset + NLMSG_HDRLEN + 4; // the request's nlmsghdr
  const type = msg.type === NLMSG.ERROR && msg.length >= NLMSG_HDRLEN + 4 + NLMSG_HDRLEN
    ? readU16(msg.data, echo + 4)
    : undefined;
  return new NetlinkError(errno, extAck, { type, seq: msg.seq });
}
