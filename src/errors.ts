/**
 * The typed errors of the library. Each carries what a caller needs to
 * decide: an errno name, the kernel's extended-ACK text, an offset.
 *
 * @module
 */
import { errnoName } from "./errno.ts";

/**
 * What the kernel's extended ACK said about a failed (or warned) request.
 */
export interface ExtAck {
  /** The kernel's human-readable message (`NLMSGERR_ATTR_MSG`). */
  message?: string;
  /** Byte offset of the offending attribute in the request (`NLMSGERR_ATTR_OFFS`). */
  offset?: number;
  /** The raw `NLMSGERR_ATTR_POLICY` nest describing the expected attribute. */
  policy?: Uint8Array;
  /** A missing attribute's type (`NLMSGERR_ATTR_MISS_TYPE`). */
  missingType?: number;
  /** Offset of the nest the missing attribute belongs to (`NLMSGERR_ATTR_MISS_NEST`). */
  missingNest?: number;
  /** `NLMSGERR_ATTR_COOKIE` bytes. */
  cookie?: Uint8Array;
}

/**
 * The kernel answered a request with an error (`NLMSG_ERROR`, errno != 0).
 *
 * @example
 * ```ts
 * import { NetlinkError } from "./errors.ts";
 * const e = new NetlinkError(19, { message: "Device not found" });
 * e.code; // "ENODEV"
 * e.message; // "ENODEV: Device not found"
 * ```
 */
export class NetlinkError extends Error {
  /** The positive errno value. */
  readonly errno: number;
  /** The errno's symbolic name, e.g. `"ENODEV"`. */
  readonly code: string;
  /** What the kernel's extended ACK said, when it said anything. */
  readonly extAck: ExtAck;

  /** Builds the error from a (positive or negative) errno. */
  constructor(errno: number, extAck: ExtAck = {}) {
    const code = errnoName(errno);
    super(extAck.message ? `${code}: ${extAck.message}` : code);
    this.name = "NetlinkError";
    this.errno = Math.abs(errno);
    this.code = code;
    this.extAck = extAck;
  }
}

/**
 * A system call failed.
 *
 * @example
 * ```ts
 * import { SyscallError } from "./errors.ts";
 * const e = new SyscallError("bind", -1);
 * e.code; // "EPERM"
 * ```
 */
export class SyscallError extends Error {
  /** The positive errno value. */
  readonly errno: number;
  /** The errno's symbolic name. */
  readonly code: string;
  /** Which call failed, e.g. `"bind"`. */
  readonly syscall: string;

  /** Builds the error from the call's name and its (negated) errno. */
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}: ${code}${detail ? ` (${detail})` : ""}`);
    this.name = "SyscallError";
    this.errno = Math.abs(errno);
    this.code = code;
    this.syscall = syscall;
  }
}

/**
 * Bytes that are not a well-formed netlink message or attribute.
 *
 * @example
 * ```ts
 * import { ParseError } from "./errors.ts";
 * const e = new ParseError("length below header", 0);
 * e.offset; // 0
 * ```
 */
export class ParseError extends Error {
  /** Where in the parsed bytes the problem starts. */
  readonly offset: number;

  /** Builds the error with what is wrong and where. */
  constructor(reason: string, offset: number) {
    super(`malformed netlink data at offset ${offset}: ${reason}`);
    this.name = "ParseError";
    this.offset = offset;
  }
}

/**
 * A dump raced a change in the kernel (`NLM_F_DUMP_INTR`): its contents may
 * be inconsistent. `messages` holds what was received, when the dump was
 * buffered (`retries` given); a streaming dump has already handed them out.
 *
 * @example
 * ```ts
 * import { DumpInterruptedError } from "./errors.ts";
 * const e = new DumpInterruptedError([], 3);
 * e.attempts; // 3
 * ```
 */
export class DumpInterruptedError<T = import("./message.ts").Message> extends Error {
  /**
   * What the last attempt received (owned copies, or what the dump's `map`
   * made of them; empty when streamed).
   */
  readonly messages: readonly T[];
  /** How many times the dump was tried. */
  readonly attempts: number;

  /** Builds the error with what the last attempt received. */
  constructor(messages: readonly T[], attempts: number) {
    super(`dump interrupted by a concurrent change (${attempts} attempt(s))`);
    this.name = "DumpInterruptedError";
    this.messages = messages;
    this.attempts = attempts;
  }
}

/**
 * The socket's receive queue overflowed (ENOBUFS) while a request waited:
 * its reply may be lost. Retry the request, and re-dump any state kept in
 * step with events.
 *
 * @example
 * ```ts
 * import { OverrunError } from "./errors.ts";
 * new OverrunError().code; // "ENOBUFS"
 * ```
 */
export class OverrunError extends Error {
  /** Always `"ENOBUFS"`. */
  readonly code = "ENOBUFS";

  /** Builds the error. */
  constructor() {
    super("netlink receive queue overrun (ENOBUFS): messages were lost");
    this.name = "OverrunError";
  }
}

/**
 * A datagram was larger than the receive slot and was cut (MSG_TRUNC). The
 * slot size grows for the next receive; the request or dump must be retried.
 *
 * @example
 * ```ts
 * import { TruncatedError } from "./errors.ts";
 * new TruncatedError(70000, 32768).length; // 70000
 * ```
 */
export class TruncatedError extends Error {
  /** The datagram's real length. */
  readonly length: number;

  /** Builds the error from the real length and the slot size. */
  constructor(length: number, slotSize: number) {
    super(`datagram of ${length} bytes truncated to ${slotSize} (MSG_TRUNC)`);
    this.name = "TruncatedError";
    this.length = length;
  }
}

/**
 * The socket was closed while the operation was pending, or before it.
 *
 * @example
 * ```ts
 * import { ClosedError } from "./errors.ts";
 * new ClosedError().name; // "ClosedError"
 * ```
 */
export class ClosedError extends Error {
  /** Builds the error. */
  constructor() {
    super("netlink socket is closed");
    this.name = "ClosedError";
  }
}
