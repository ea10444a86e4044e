/**
 * The typed errors of the library. Each carries what a caller needs to
 * decide: an errno name and text, the operation, the kernel's extended-ACK
 * text and the offending attribute. This module imports nothing: every
 * other module may import it.
 *
 * @module
 */

// errno, name and text (as the C library's strerror gives it), one a line
const ERRNO_TABLE = `
1 EPERM Operation not permitted
2 ENOENT No such file or directory
3 ESRCH No such process
4 EINTR Interrupted system call
5 EIO Input/output error
6 ENXIO No such device or address
7 E2BIG Argument list too long
8 ENOEXEC Exec format error
9 EBADF Bad file descriptor
10 ECHILD No child processes
11 EAGAIN Resource temporarily unavailable
12 ENOMEM Cannot allocate memory
13 EACCES Permission denied
14 EFAULT Bad address
15 ENOTBLK Block device required
16 EBUSY Device or resource busy
17 EEXIST File exists
18 EXDEV Invalid cross-device link
19 ENODEV No such device
20 ENOTDIR Not a directory
21 EISDIR Is a directory
22 EINVAL Invalid argument
23 ENFILE Too many open files in system
24 EMFILE Too many open files
25 ENOTTY Inappropriate ioctl for device
26 ETXTBSY Text file busy
27 EFBIG File too large
28 ENOSPC No space left on device
29 ESPIPE Illegal seek
30 EROFS Read-only file system
31 EMLINK Too many links
32 EPIPE Broken pipe
33 EDOM Numerical argument out of domain
34 ERANGE Numerical result out of range
35 EDEADLK Resource deadlock avoided
36 ENAMETOOLONG File name too long
37 ENOLCK No locks available
38 ENOSYS Function not implemented
39 ENOTEMPTY Directory not empty
40 ELOOP Too many levels of symbolic links
42 ENOMSG No message of desired type
43 EIDRM Identifier removed
44 ECHRNG Channel number out of range
45 EL2NSYNC Level 2 not synchronized
46 EL3HLT Level 3 halted
47 EL3RST Level 3 reset
48 ELNRNG Link number out of range
49 EUNATCH Protocol driver not attached
50 ENOCSI No CSI structure available
51 EL2HLT Level 2 halted
52 EBADE Invalid exchange
53 EBADR Invalid request descriptor
54 EXFULL Exchange full
55 ENOANO No anode
56 EBADRQC Invalid request code
57 EBADSLT Invalid slot
59 EBFONT Bad font file format
60 ENOSTR Device not a stream
61 ENODATA No data available
62 ETIME Timer expired
63 ENOSR Out of streams resources
64 ENONET Machine is not on the network
65 ENOPKG Package not installed
66 EREMOTE Object is remote
67 ENOLINK Link has been severed
68 EADV Advertise error
69 ESRMNT Srmount error
70 ECOMM Communication error on send
71 EPROTO Protocol error
72 EMULTIHOP Multihop attempted
73 EDOTDOT RFS specific error
74 EBADMSG Bad message
75 EOVERFLOW Value too large for defined data type
76 ENOTUNIQ Name not unique on network
77 EBADFD File descriptor in bad state
78 EREMCHG Remote address changed
79 ELIBACC Can not access a needed shared library
80 ELIBBAD Accessing a corrupted shared library
81 ELIBSCN .lib section in a.out corrupted
82 ELIBMAX Attempting to link in too many shared libraries
83 ELIBEXEC Cannot exec a shared library directly
84 EILSEQ Invalid or incomplete multibyte or wide character
85 ERESTART Interrupted system call should be restarted
86 ESTRPIPE Streams pipe error
87 EUSERS Too many users
88 ENOTSOCK Socket operation on non-socket
89 EDESTADDRREQ Destination address required
90 EMSGSIZE Message too long
91 EPROTOTYPE Protocol wrong type for socket
92 ENOPROTOOPT Protocol not available
93 EPROTONOSUPPORT Protocol not supported
94 ESOCKTNOSUPPORT Socket type not supported
95 EOPNOTSUPP Operation not supported
96 EPFNOSUPPORT Protocol family not supported
97 EAFNOSUPPORT Address family not supported by protocol
98 EADDRINUSE Address already in use
99 EADDRNOTAVAIL Cannot assign requested address
100 ENETDOWN Network is down
101 ENETUNREACH Network is unreachable
102 ENETRESET Network dropped connection on reset
103 ECONNABORTED Software caused connection abort
104 ECONNRESET Connection reset by peer
105 ENOBUFS No buffer space available
106 EISCONN Transport endpoint is already connected
107 ENOTCONN Transport endpoint is not connected
108 ESHUTDOWN Cannot send after transport endpoint shutdown
109 ETOOMANYREFS Too many references: cannot splice
110 ETIMEDOUT Connection timed out
111 ECONNREFUSED Connection refused
112 EHOSTDOWN Host is down
113 EHOSTUNREACH No route to host
114 EALREADY Operation already in progress
115 EINPROGRESS Operation now in progress
116 ESTALE Stale file handle
117 EUCLEAN Structure needs cleaning
118 ENOTNAM Not a XENIX named type file
119 ENAVAIL No XENIX semaphores available
120 EISNAM Is a named type file
121 EREMOTEIO Remote I/O error
122 EDQUOT Disk quota exceeded
123 ENOMEDIUM No medium found
124 EMEDIUMTYPE Wrong medium type
125 ECANCELED Operation canceled
126 ENOKEY Required key not available
127 EKEYEXPIRED Key has expired
128 EKEYREVOKED Key has been revoked
129 EKEYREJECTED Key was rejected by service
130 EOWNERDEAD Owner died
131 ENOTRECOVERABLE State not recoverable
132 ERFKILL Operation not possible due to RF-kill
512 ERESTARTSYS Interrupted system call should be restarted
524 ENOTSUPP Operation is not supported
`;

let errnoTable: Map<number, readonly [string, string]> | undefined;

function errnoEntry(errno: number): readonly [string, string] | undefined {
  if (!errnoTable) {
    errnoTable = new Map();
    for (const line of ERRNO_TABLE.trim().split("\n")) {
      const [n, name, ...text] = line.split(" ");
      errnoTable.set(Number(n), [name, text.join(" ")]);
    }
  }
  return errnoTable.get(Math.abs(errno));
}

/**
 * The symbolic name of a Linux errno value (sign ignored), e.g. `"ENODEV"`
 * for 19, or `"E<n>"` for a number without a name.
 *
 * @example
 * ```ts
 * import { errnoName } from "./errors.ts";
 * errnoName(19); // "ENODEV"
 * errnoName(-1); // "EPERM"
 * ```
 */
export function errnoName(errno: number): string {
  return errnoEntry(errno)?.[0] ?? `E${Math.abs(errno)}`;
}

/**
 * What an errno value means, as `strerror` says it, e.g. `"File exists"`
 * for 17 (sign ignored).
 *
 * @example
 * ```ts
 * import { errnoText } from "./errors.ts";
 * errnoText(-17); // "File exists"
 * ```
 */
export function errnoText(errno: number): string {
  return errnoEntry(errno)?.[1] ?? `Unknown error ${Math.abs(errno)}`;
}

/**
 * What an extended ACK said about a failed (or warned) request.
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
 * An error that carries an errno: the kernel's answer to a request
 * ({@linkcode NetlinkError}) or a failed system call
 * ({@linkcode SyscallError}). Catch this to handle both by `code`.
 *
 * @example
 * ```ts
 * import { ErrnoError, SyscallError } from "./errors.ts";
 * const e: ErrnoError = new SyscallError("bind", -1);
 * [e.code, e.operation]; // ["EPERM", "bind"]
 * ```
 */
export class ErrnoError extends Error {
  /** The positive errno value. */
  readonly errno: number;
  /** The errno's symbolic name, e.g. `"ENODEV"`. */
  readonly code: string;
  /** What the errno means, e.g. `"No such device"`. */
  readonly text: string;
  /** What failed: the request (e.g. `"RTM_NEWROUTE"`) or the system call (`"bind"`). */
  readonly operation: string | undefined;
  /** The request's sequence number, when it was a netlink request. */
  readonly seq: number | undefined;

  /** Builds the error; `message` is the whole message. */
  constructor(
    errno: number,
    message: string,
    operation?: string,
    seq?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ErrnoError";
    this.errno = Math.abs(errno);
    this.code = errnoName(errno);
    this.text = errnoText(errno);
    this.operation = operation;
    this.seq = seq;
  }
}

/** What is known about the request an error answers, beyond its errno. */
export interface RequestContext {
  /** Its name, e.g. `"RTM_NEWROUTE"` or `"ethtool linkinfo-get"`. */
  operation?: string;
  /** Its message type. */
  type?: number;
  /** Its sequence number. */
  seq?: number;
  /** The attribute the extended ACK's offset points at, named, e.g. `"dst"`. */
  attribute?: string;
  /** Its path in the request as ynl prints it, e.g. `".linkinfo.data(bridge).mcast-igmp-version"`. */
  attrPath?: string;
  /** The kernel's policy for it, decoded by the spec, e.g. `{ type: "u8", minValueS: 2n }`. */
  policy?: Record<string, unknown>;
}

function describeReply(errno: number, extAck: ExtAck, ctx: RequestContext): string {
  const what = ctx.operation ?? (ctx.type !== undefined ? `message type ${ctx.type}` : undefined);
  let out = `${errnoName(errno)} (${extAck.message ?? errnoText(errno)})`;
  if (what !== undefined) out = `${what}: ${out}`;
  if (ctx.attribute !== undefined) out += ` at attribute ${ctx.attribute}`;
  else if (extAck.offset !== undefined) out += ` at byte ${extAck.offset} of the request`;
  if (extAck.missingType !== undefined) out += `; missing attribute type ${extAck.missingType}`;
  return out;
}

/**
 * The kernel answered a request with an error (`NLMSG_ERROR`, errno != 0).
 * Its message reads like the kernel's tools: the operation, the errno name,
 * and the extended-ACK text (else the errno's), and the attribute it
 * pointed at.
 *
 * @example
 * ```ts
 * import { NetlinkError } from "./errors.ts";
 * const e = new NetlinkError(17, {}, { operation: "RTM_NEWROUTE" });
 * e.message; // "RTM_NEWROUTE: EEXIST (File exists)"
 * const f = new NetlinkError(22, { message: "Invalid prefix length" }, { operation: "RTM_NEWADDR" });
 * f.message; // "RTM_NEWADDR: EINVAL (Invalid prefix length)"
 * f.code; // "EINVAL"
 * ```
 */
export class NetlinkError extends ErrnoError {
  /** What the kernel's extended ACK said, when it said anything. */
  readonly extAck: ExtAck;
  /** The request's message type, when known. */
  readonly type: number | undefined;
  /** The attribute the extended ACK pointed at, when it could be named. */
  readonly attribute: string | undefined;
  /** Its path in the request as ynl prints it (`bad-attr`), e.g. `".linkinfo.data(bridge).mcast-igmp-version"`. */
  readonly attrPath: string | undefined;
  /** The kernel's policy for it (`NLMSGERR_ATTR_POLICY`), decoded by the nlctrl spec. */
  readonly policy: Record<string, unknown> | undefined;

  /** Builds the error from a (positive or negative) errno. */
  constructor(errno: number, extAck: ExtAck = {}, context: RequestContext = {}) {
    super(errno, describeReply(errno, extAck, context), context.operation, context.seq);
    this.name = "NetlinkError";
    this.extAck = extAck;
    this.type = context.type;
    this.attribute = context.attribute;
    this.attrPath = context.attrPath;
    this.policy = context.policy;
  }

  /**
   * The same error with more said about its request (its name, the
   * attribute named): what a family client knows and the socket does not.
   *
   * @example
   * ```ts
   * import { NetlinkError } from "./errors.ts";
   * const e = new NetlinkError(19, {}, { type: 0x15 }).withContext({ operation: "ethtool linkinfo-get" });
   * e.message; // "ethtool linkinfo-get: ENODEV (No such device)"
   * ```
   */
  withContext(context: RequestContext): NetlinkError {
    const e = new NetlinkError(this.errno, this.extAck, {
      operation: this.operation,
      type: this.type,
      seq: this.seq,
      attribute: this.attribute,
      attrPath: this.attrPath,
      policy: this.policy,
      ...context,
    });
    e.stack = this.stack;
    return e;
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
 * e.message; // "bind: EPERM (Operation not permitted)"
 * ```
 */
export class SyscallError extends ErrnoError {
  /** Which call failed, e.g. `"bind"` (the same as `operation`). */
  readonly syscall: string;

  /** Builds the error from the call's name and its (negated) errno. */
  constructor(syscall: string, errno: number, detail?: string) {
    super(
      errno,
      `${syscall}: ${errnoName(errno)} (${errnoText(errno)}${detail ? `: ${detail}` : ""})`,
      syscall,
    );
    this.name = "SyscallError";
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
export class DumpInterruptedError<T = unknown> extends Error {
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
 * The one shape of "events were lost here", in every event stream: a
 * socket's `events()`, `Rtnl.events`, a family client's `events`,
 * `uevents`, `ProcEvents`, `NlrTable.changes`. It is an item, not an
 * error: the stream goes on after it, and whoever keeps state in step with
 * the events should re-read it (dump again, rescan). Test for it with
 * `item instanceof Overrun` (or {@linkcode isOverrun}) on any stream;
 * where a stream's items are told apart by `kind`, `kind === "overrun"`
 * says the same. A request whose reply was lost in an overrun rejects with
 * {@linkcode OverrunError} instead.
 *
 * @example
 * ```ts
 * import { Overrun } from "./errors.ts";
 * const item: unknown = new Overrun("kernel");
 * if (item instanceof Overrun) console.log(`lost events (${item.cause}): re-dump`);
 * ```
 */
export class Overrun {
  /** Always `"overrun"`, for streams whose items have a `kind`. */
  readonly kind = "overrun" as const;
  /**
   * Who dropped the events: `"kernel"`, the socket's receive queue was full
   * (ENOBUFS); `"queue"`, the socket dropped events nobody read (past
   * `maxQueuedEvents`).
   */
  readonly cause: "kernel" | "queue";

  /** An overrun by `cause`. */
  constructor(cause: "kernel" | "queue") {
    this.cause = cause;
  }
}

/**
 * True when `item` is an {@linkcode Overrun}.
 *
 * @example
 * ```ts
 * import { isOverrun, Overrun } from "./errors.ts";
 * isOverrun(new Overrun("queue")); // true
 * isOverrun({ kind: "link" }); // false
 * ```
 */
export function isOverrun(item: unknown): item is Overrun {
  return item instanceof Overrun;
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
