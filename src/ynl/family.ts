/**
 * {@linkcode FamilyClient}: requests, dumps and events of any family
 * described by a generated spec table, over one {@linkcode NetlinkSocket}.
 * Generic netlink families are resolved by name through the controller
 * (ids differ between kernels: never hard-coded), and their multicast
 * groups joined by name.
 *
 * @module
 */
import { NETLINK, NLM_F } from "../constants.ts";
import { AttributeDecoder } from "../attribute.ts";
import { DumpInterruptedError, NetlinkError, Overrun, ParseError } from "../errors.ts";
import type { Message } from "../message.ts";
import {
  type DumpOptions,
  NetlinkSocket,
  type OpenOptions,
  type RequestOptions,
} from "../socket.ts";
import { hint } from "../suggest.ts";
import { type MappedStream, mapStream } from "../stream_map.ts";
import { MessageWriter } from "../writer.ts";
import { type Attrs, decodeAttrs, decodeStruct, encodeAttrs, encodeStruct } from "./codec.ts";
import { type FamilySpec, type OpSpec, own } from "./schema.ts";

/** The generic netlink controller's fixed family id (GENL_ID_CTRL). */
export const GENL_ID_CTRL = 0x10;
/** Size of `struct genlmsghdr`. */
export const GENL_HDRLEN = 4;

/** What a request carries: its fixed header's fields and its attributes. */
export interface OpRequest<H = Attrs, A = Attrs> {
  /** Fixed header fields (e.g. `rtmFamily`); missing ones are zero. */
  header?: Partial<H>;
  /** Attributes, keyed as in the generated interface. */
  attrs?: A;
}

/** A decoded message of the family. */
export interface Decoded<H = Attrs, A = Attrs> {
  /** The operation it belongs to, when the family defines one for its type. */
  op: string | undefined;
  /** The generic netlink command (0 for raw families). */
  cmd: number;
  /** The fixed header, decoded. */
  header: H;
  /** The attributes, decoded. */
  attrs: A;
  /** The message itself. */
  message: Message;
}

/** Options of {@linkcode FamilyClient.do}. */
export interface DoOptions extends RequestOptions {
  /** Extra nlmsg flags, e.g. `NLM_F.CREATE | NLM_F.EXCL` for a new object. */
  flags?: number;
}

/** The shape of a generated `...Ops` type: each operation's header and attributes. */
export type OpsOf = Record<string, { header: unknown; attrs: unknown }>;

/** The operations of a family used without its generated types. */
export type AnyOps = Record<string, { header: Attrs; attrs: Attrs }>;

/**
 * A client for one family.
 *
 * Where names apply: the decoded objects it returns hold raw values, as
 * the generated interfaces type them (an enum or flag set is its number,
 * an address its bytes, a binary without a struct a view of the
 * message), so the decoding, the zero-copy `map` paths and RouteView pay
 * nothing for names. `named(spec, set, attrs)` / `namedStruct()` (from
 * src/ynl/names.ts) give the same object with ynl's names and display
 * hints; `ynlReply()` (src/ynl/ynl_view.ts) re-reads a message exactly as
 * the kernel's ynl library shows it. Requests take either: a number or a
 * name for an enum, a mask or an array of names for flags, bytes or the
 * hinted text (address, MAC, hex) for a hinted value.
 *
 * @example
 * ```ts ignore
 * import { FamilyClient } from "./mod.ts";
 * import { rtLink, type RtLinkOps } from "../families/rt_link.ts";
 * await using link = await FamilyClient.open<RtLinkOps>(rtLink);
 * for await (const l of link.dump("getlink")) console.log(l.attrs.ifname);
 * ```
 */
export class FamilyClient<Ops extends OpsOf = AnyOps> implements AsyncDisposable {
  /** The family's tables. */
  readonly spec: FamilySpec;
  /** The socket it speaks over. */
  readonly socket: NetlinkSocket;
  /** The message type: the resolved family id (generic) or 0 (raw). */
  readonly familyId: number;
  /** The family version to send (generic netlink). */
  readonly version: number;
  /** Multicast groups by name: their numbers, resolved. */
  readonly groups: Readonly<Record<string, number>>;
  readonly #genl: boolean;
  readonly #byReply = new Map<number, OpSpec>();
  readonly #w = new MessageWriter(512);

  private constructor(
    spec: FamilySpec,
    socket: NetlinkSocket,
    familyId: number,
    version: number,
    groups: Record<string, number>,
  ) {
    this.spec = spec;
    this.socket = socket;
    this.familyId = familyId;
    this.version = version;
    this.groups = groups;
    this.#genl = spec.protocol !== "netlink-raw";
    // replies first: 7.2's rt-link lists newlink-ntf (an event of type 16)
    // before getlink, whose replies are type 16 too
    for (const op of Object.values(spec.ops)) {
      for (const v of [op.do?.reply?.value, op.dump?.reply?.value]) {
        if (v !== undefined && !this.#byReply.has(v)) this.#byReply.set(v, op);
      }
    }
    for (const op of Object.values(spec.ops)) {
      const v = op.event;
      if (v !== undefined && !this.#byReply.has(v)) this.#byReply.set(v, op);
    }
    // then requests: rtnetlink's deletion events (RTM_DELLINK, ...) are
    // requests' types, in the same format
    for (const op of Object.values(spec.ops)) {
      const v = op.do?.request?.value;
      if (v !== undefined && !this.#byReply.has(v)) this.#byReply.set(v, op);
    }
  }

  /**
   * A client of a raw family (rtnetlink's, say) over a socket the caller
   * owns and may share with other families of the same protocol.
   */
  static attach<O extends OpsOf = AnyOps>(
    spec: FamilySpec,
    socket: NetlinkSocket,
  ): FamilyClient<O> {
    if (spec.protocol !== "netlink-raw") {
      throw new TypeError(`${spec.name} is generic netlink: use FamilyClient.open`);
    }
    return new FamilyClient<O>(spec, socket, 0, 0, { ...spec.mcastGroups });
  }

  /**
   * Opens a socket for the family: its netlink protocol (raw families) or
   * generic netlink, resolving the family id, version and groups by name.
   * A family the kernel lacks rejects with {@linkcode FamilyUnavailableError}
   * (a `NetlinkError`, `ENOENT`).
   */
  static async open<O extends OpsOf = AnyOps>(
    spec: FamilySpec,
    options: OpenOptions = {},
  ): Promise<FamilyClient<O>> {
    if (spec.protocol === "netlink-raw") {
      const socket = NetlinkSocket.open(spec.protonum ?? 0, options);
      const groups: Record<string, number> = {};
      for (const [name, n] of Object.entries(spec.mcastGroups)) groups[name] = n;
      return new FamilyClient<O>(spec, socket, 0, 0, groups);
    }
    const socket = NetlinkSocket.open(NETLINK.GENERIC, options);
    try {
      const found = await resolveFamily(socket, spec.name);
      return new FamilyClient<O>(spec, socket, found.id, found.version, found.groups);
    } catch (e) {
      await socket.close();
      if (e instanceof NetlinkError && e.code === "ENOENT") {
        throw new FamilyUnavailableError(spec.name, e);
      }
      throw e;
    }
  }

  /** Builds the request of `op` (its do, or with `dump` its dump). */
  encode<K extends keyof Ops & string>(
    op: K,
    request: OpRequest<Ops[K]["header"], Ops[K]["attrs"]> = {},
    kind: "do" | "dump" = "do",
    flags = 0,
  ): MessageWriter {
    const spec = own(this.spec.ops, op);
    if (!spec) throw new TypeError(`${this.spec.name} has no operation ${op}`);
    // ynl sends a do or dump of any operation with its request type: the kernel decides
    const msg = spec[kind]?.request ?? spec.do?.request ?? spec.dump?.request;
    if (!msg) throw new TypeError(`${this.spec.name} ${op} is a notification: it has no request`);
    for (const key of Object.keys(request ?? {})) {
      if (key !== "header" && key !== "attrs") {
        throw new TypeError(
          `${this.spec.name} ${op}: a request is { header?, attrs? }, not ${key}${
            hint(key, ["header", "attrs"])
          }`,
        );
      }
    }
    if (request.header !== undefined && !spec.fixedHeader) {
      throw new TypeError(`${this.spec.name} ${op} has no fixed header to take header fields`);
    }
    const w = this.#w.reset();
    w.begin(this.#genl ? this.familyId : msg.value, flags);
    if (this.#genl) {
      const at = w.fixed(GENL_HDRLEN);
      w.buffer[at] = msg.value;
      w.buffer[at + 1] = this.version;
    }
    if (spec.fixedHeader) {
      encodeStruct(this.spec, spec.fixedHeader, w, (request.header ?? {}) as Attrs);
    }
    encodeAttrs(this.spec, spec.set, w, (request.attrs ?? {}) as Attrs);
    return w;
  }

  /** Decodes a message of the family (a reply or an event). */
  decode(m: Message): Decoded {
    let at = m.offset + m.headerSize;
    const end = m.offset + m.length;
    let cmd = 0;
    let value = m.type;
    if (this.#genl) {
      if (end - at < GENL_HDRLEN) throw new ParseError("shorter than genlmsghdr", m.offset);
      cmd = m.data[at];
      value = cmd;
      at += GENL_HDRLEN;
    }
    const op = this.#byReply.get(value);
    const fixed = op?.fixedHeader ?? this.spec.fixedHeader;
    let header: Attrs = {};
    if (fixed) {
      const size = own(this.spec.structs, fixed)?.size ?? 0;
      if (end - at < size) throw new ParseError(`shorter than struct ${fixed}`, m.offset);
      header = decodeStruct(this.spec, fixed, m.data, at, size);
      at += (size + 3) & ~3;
    }
    const attrs = op?.set
      ? decodeAttrs(this.spec, op.set, m.attributes(at - m.offset - m.headerSize))
      : {};
    return { op: op?.name, cmd, header, attrs, message: m };
  }

  /**
   * Runs the do of `op` and resolves with its decoded replies (none for
   * most changes; the ACK is awaited). Decoded objects hold raw numbers
   * (enums, flags, addresses as bytes), as the generated interfaces type
   * them; `named()` from src/ynl/names.ts shows them as ynl names them.
   */
  async do<K extends keyof Ops & string>(
    op: K,
    request: OpRequest<Ops[K]["header"], Ops[K]["attrs"]> = {},
    options: DoOptions = {},
  ): Promise<Decoded<Ops[K]["header"], Ops[K]["attrs"]>[]> {
    const replies = await this.doMessages(op, request, options);
    return replies.map((m) => this.decode(m) as Decoded<Ops[K]["header"], Ops[K]["attrs"]>);
  }

  /**
   * The do of `op`, its replies undecoded (for a decoder of one's own,
   * such as ynl's view in src/ynl/ynl_view.ts). An op the spec gives no do
   * is sent with its dump's request type, as ynl sends it.
   */
  async doMessages<K extends keyof Ops & string>(
    op: K,
    request: OpRequest<Ops[K]["header"], Ops[K]["attrs"]> = {},
    options: DoOptions = {},
  ): Promise<Message[]> {
    // a copy: the writer is shared, and the bytes name the attribute an error points at
    const bytes = this.encode(op, request, "do", options.flags ?? 0).finish().slice();
    try {
      return await this.socket.request(bytes, options);
    } catch (e) {
      throw await this.#named(e, op, bytes);
    }
  }

  /** Runs the dump of `op`: its decoded replies as they come. */
  dump<K extends keyof Ops & string>(
    op: K,
    request: OpRequest<Ops[K]["header"], Ops[K]["attrs"]> = {},
    options: DumpOptions = {},
  ): MappedStream<Decoded<Ops[K]["header"], Ops[K]["attrs"]>> {
    return this.#stream(
      op,
      request,
      options,
      (m) => this.decode(m) as Decoded<Ops[K]["header"], Ops[K]["attrs"]>,
    );
  }

  /**
   * Runs the dump of `op` and resolves with all its replies, decoded: what
   * collecting {@linkcode FamilyClient.dump} gives, with one promise for the
   * whole reply rather than one per message (`retries` and `onWarning` take
   * the streaming path).
   *
   * @example
   * ```ts ignore
   * const links = await rtnl.link.dumpAll("getlink");
   * ```
   */
  async dumpAll<K extends keyof Ops & string>(
    op: K,
    request: OpRequest<Ops[K]["header"], Ops[K]["attrs"]> = {},
    options: DumpOptions = {},
  ): Promise<Decoded<Ops[K]["header"], Ops[K]["attrs"]>[]> {
    type D = Decoded<Ops[K]["header"], Ops[K]["attrs"]>;
    if (options.retries !== undefined || options.onWarning) {
      const out: D[] = [];
      for await (const d of this.dump(op, request, options)) out.push(d);
      return out;
    }
    const bytes = this.encode(op, request, "dump", NLM_F.ACK | NLM_F.DUMP).finish().slice();
    let replies: Message[];
    try {
      replies = await this.socket.request(bytes, {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      });
    } catch (e) {
      // as the stream throws it: what was received is not kept
      if (e instanceof DumpInterruptedError) throw new DumpInterruptedError([], e.attempts);
      throw await this.#named(e, op, bytes);
    }
    const out: D[] = new Array(replies.length);
    for (let i = 0; i < replies.length; i++) out[i] = this.decode(replies[i]) as D;
    return out;
  }

  /**
   * The dump of `op`, its replies undecoded as they come (each valid until
   * the next). An op the spec gives no dump is sent with its do's request
   * type and `NLM_F_DUMP`, as ynl sends it.
   */
  dumpMessages<K extends keyof Ops & string>(
    op: K,
    request: OpRequest<Ops[K]["header"], Ops[K]["attrs"]> = {},
    options: DumpOptions = {},
  ): MappedStream<Message> {
    return this.#stream(op, request, options, (m) => m);
  }

  /**
   * The dump of `op`, sent at the first `next()`, each reply through
   * `map`, a kernel's error named with its operation and attribute. Not a
   * generator: see {@linkcode mapStream}.
   */
  #stream<K extends keyof Ops & string, T>(
    op: K,
    request: OpRequest<Ops[K]["header"], Ops[K]["attrs"]>,
    options: DumpOptions,
    map: (m: Message) => T,
  ): MappedStream<T> {
    let bytes: Uint8Array;
    return mapStream(
      () => {
        // NLM_F_ACK as ynl sends it: a kernel that answers a dump-less op as a
        // do then ends it with its ACK instead of leaving the dump waiting
        bytes = this.encode(op, request, "dump", NLM_F.ACK).finish().slice();
        return this.socket.dump(bytes, options);
      },
      map,
      (e) => this.#named(e, op, bytes),
    );
  }

  /**
   * A NetlinkError with its operation named (`RTM_NEWROUTE` for
   * rtnetlink, `ethtool linkinfo-get` for another family) and the attribute
   * its extended ACK points at, by the spec's name; anything else as is.
   * The policy's reader (ynl names, the nlctrl spec) is loaded only here:
   * a call that never fails never loads it (issue 20's start-up).
   */
  async #named(e: unknown, op: string, request: Uint8Array): Promise<unknown> {
    if (!(e instanceof NetlinkError)) return e;
    const operation = this.spec.protocol === "netlink-raw" && this.spec.protonum === 0
      ? `RTM_${op.toUpperCase()}`
      : `${this.spec.name} ${op}`;
    const spec = own(this.spec.ops, op);
    let attribute: string | undefined;
    let attrPath: string | undefined;
    const at = e.extAck.offset;
    if (spec && at !== undefined) {
      let start = 16 + (this.#genl ? GENL_HDRLEN : 0);
      const fixed = spec.fixedHeader ?? this.spec.fixedHeader;
      if (fixed) start += ((own(this.spec.structs, fixed)?.size ?? 0) + 3) & ~3;
      try {
        attribute = attributeAt(this.spec, spec.set, request, start, at);
        attrPath = attrPathAt(this.spec, spec.set, request, start, request.length, at);
      } catch {
        // a request the kernel could not parse either: the offset stays a number
      }
    }
    let policy: Record<string, unknown> | undefined;
    if (e.extAck.policy) {
      try {
        const [{ named }, { nlctrl }] = await Promise.all([
          import("./names.ts"),
          import("../families/nlctrl.ts"),
        ]);
        const ad = new AttributeDecoder(e.extAck.policy, 0);
        policy = named(nlctrl, "policy-attrs", decodeAttrs(nlctrl, "policy-attrs", ad));
      } catch {
        // a policy this spec cannot read stays raw in extAck.policy
      }
    }
    return e.withContext({ operation, attribute, attrPath, policy });
  }

  /** Joins a multicast group by its name in the spec. */
  join(group: string): void {
    const n = own(this.groups, group);
    if (n === undefined || n < 0) {
      throw new TypeError(
        `${this.spec.name} has no multicast group ${group}${hint(group, Object.keys(this.groups))}`,
      );
    }
    this.socket.join(n);
  }

  /**
   * The decoded event stream of the groups joined. An overrun arrives as
   * an {@linkcode Overrun} item and the stream goes on.
   */
  events(
    options: { signal?: AbortSignal } = {},
  ): MappedStream<Decoded | Overrun> {
    return mapStream(
      () => this.socket.events(options),
      (m) => m instanceof Overrun ? m : this.decode(m),
    );
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.socket.close();
  }

  /** Same as {@linkcode FamilyClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The attribute (by the spec's names, nests joined by ".") that starts at `offset`. */
function attributeAt(
  f: FamilySpec,
  set: string | undefined,
  bytes: Uint8Array,
  start: number,
  offset: number,
): string | undefined {
  const ad = new AttributeDecoder(bytes, Math.min(start, bytes.length));
  const attrs = set === undefined ? undefined : own(f.sets, set)?.attrs;
  while (ad.next()) {
    const begin = ad.offset - 4, end = ad.offset + ad.length;
    if (offset < begin || offset >= end) continue;
    const a = attrs?.find((x) => x.type === ad.type);
    const name = a?.name ?? `type ${ad.type}`;
    if (offset === begin || !a?.set || a.kind !== "nest") return name;
    const inner = attributeAt(f, a.set, bytes.subarray(0, end), ad.offset, offset);
    return inner === undefined ? name : `${name}.${inner}`;
  }
  return undefined;
}

/**
 * The path of the attribute at `offset` as ynl prints it (`bad-attr`):
 * `.linkinfo.data(bridge).mcast-igmp-version`, a sub-message named with the
 * value of its selector.
 */
function attrPathAt(
  f: FamilySpec,
  set: string | undefined,
  bytes: Uint8Array,
  start: number,
  end: number,
  offset: number,
): string | undefined {
  const ad = new AttributeDecoder(bytes.subarray(0, end), Math.min(start, end));
  const attrs = set === undefined ? undefined : own(f.sets, set)?.attrs;
  const seen = new Map<string, string>();
  while (ad.next()) {
    const begin = ad.offset - 4, stop = ad.offset + ad.length;
    const a = attrs?.find((x) => x.type === ad.type);
    if (a?.kind === "string") seen.set(a.name, ad.string());
    if (offset < begin || offset >= stop) continue;
    const name = a?.name ?? `type ${ad.type}`;
    if (offset === begin) return `.${name}`;
    let inner: string | undefined, label = name, from = ad.offset;
    if (a?.kind === "nest" && a.set) inner = a.set;
    else if (a?.kind === "sub-message" && a.subMessage && a.selector) {
      const value = seen.get(a.selector);
      const format = value === undefined ? undefined : own(f.subMessages, a.subMessage)?.[value];
      if (!format?.set) return undefined;
      inner = format.set;
      label = `${name}(${value})`;
      if (format.fixedHeader) {
        from += ((own(f.structs, format.fixedHeader)?.size ?? 0) + 3) & ~3;
      }
    } else return undefined;
    const sub = attrPathAt(f, inner, bytes, from, stop, offset);
    return sub === undefined ? undefined : `.${label}${sub}`;
  }
  return undefined;
}

/** What the controller says about a family. */
export interface GenlFamily {
  /** Its id: the nlmsg_type of its messages. */
  id: number;
  /** Its name. */
  name: string;
  /** Its version. */
  version: number;
  /** Its multicast groups, name to id. */
  groups: Record<string, number>;
  /** Its operations: command number to flags. */
  ops: { id: number; flags: number }[];
}

const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR = { FAMILY_ID: 1, FAMILY_NAME: 2, VERSION: 3, OPS: 6, MCAST_GROUPS: 7 } as const;

/** Decodes a controller reply (CTRL_CMD_NEWFAMILY). */
export function readGenlFamily(m: Message): GenlFamily {
  const out: GenlFamily = { id: 0, name: "", version: 0, groups: {}, ops: [] };
  const ad = m.attributes(GENL_HDRLEN);
  while (ad.next()) {
    switch (ad.type) {
      case CTRL_ATTR.FAMILY_ID:
        out.id = ad.u16();
        break;
      case CTRL_ATTR.FAMILY_NAME:
        out.name = ad.string();
        break;
      case CTRL_ATTR.VERSION:
        out.version = ad.u32();
        break;
      case CTRL_ATTR.OPS: {
        const list = ad.nested();
        while (list.next()) {
          const op = { id: 0, flags: 0 };
          const o = list.nested();
          while (o.next()) {
            if (o.type === 1) op.id = o.u32();
            else if (o.type === 2) op.flags = o.u32();
          }
          out.ops.push(op);
        }
        break;
      }
      case CTRL_ATTR.MCAST_GROUPS: {
        const list = ad.nested();
        while (list.next()) {
          let name = "", id = 0;
          const g = list.nested();
          while (g.next()) {
            if (g.type === 1) name = g.string();
            else if (g.type === 2) id = g.u32();
          }
          out.groups[name] = id;
        }
        break;
      }
    }
  }
  return out;
}

function getFamily(name?: string): MessageWriter {
  const w = new MessageWriter(64).begin(GENL_ID_CTRL);
  const at = w.fixed(GENL_HDRLEN);
  w.buffer[at] = CTRL_CMD_GETFAMILY;
  w.buffer[at + 1] = 1;
  if (name !== undefined) w.string(CTRL_ATTR.FAMILY_NAME, name);
  return w;
}

/**
 * Asks the controller about one generic netlink family, by name. Rejects
 * with `NetlinkError` (`ENOENT`) when the kernel does not have it.
 *
 * @example
 * ```ts ignore
 * import { NETLINK, NetlinkSocket } from "../../mod.ts";
 * import { resolveFamily } from "./mod.ts";
 * await using sock = NetlinkSocket.open(NETLINK.GENERIC);
 * const nlctrl = await resolveFamily(sock, "nlctrl"); // { id: 16, ... }
 * ```
 */
export async function resolveFamily(sock: NetlinkSocket, name: string): Promise<GenlFamily> {
  const [reply] = await sock.request(getFamily(name)).catch((e) => {
    throw e instanceof NetlinkError
      ? e.withContext({ operation: `CTRL_CMD_GETFAMILY ${JSON.stringify(name)}` })
      : e;
  });
  if (!reply) throw new ParseError(`no reply about family ${name}`, 0);
  return readGenlFamily(reply);
}

/**
 * The running kernel has no generic netlink family of that name: it is not
 * built in, or its module is not loaded. A `NetlinkError` (`ENOENT`) whose
 * message says so; `family` names it and `cause` is the controller's answer.
 *
 * @example
 * ```ts
 * import { FamilyUnavailableError, NetlinkError } from "../../mod.ts";
 * const e = new FamilyUnavailableError("dpll", new NetlinkError(2));
 * e.message; // "family dpll is not available in this kernel (is its module loaded?)"
 * e.code; // "ENOENT"
 * ```
 */
export class FamilyUnavailableError extends NetlinkError {
  /** The family's name, e.g. `"dpll"`. */
  readonly family: string;

  /** Builds the error from the controller's ENOENT. */
  constructor(family: string, cause: NetlinkError) {
    super(cause.errno, cause.extAck, {
      operation: cause.operation,
      type: cause.type,
      seq: cause.seq,
    });
    this.name = "FamilyUnavailableError";
    this.message = `family ${family} is not available in this kernel (is its module loaded?)`;
    this.family = family;
    this.cause = cause;
  }
}

/**
 * Every generic netlink family the kernel has, as `genl-ctrl-list` shows.
 *
 * @example
 * ```ts ignore
 * import { NETLINK, NetlinkSocket } from "../../mod.ts";
 * import { listFamilies } from "./mod.ts";
 * await using sock = NetlinkSocket.open(NETLINK.GENERIC);
 * for await (const f of listFamilies(sock)) console.log(f.id, f.name);
 * ```
 */
export async function* listFamilies(sock: NetlinkSocket): AsyncGenerator<GenlFamily> {
  for await (const m of sock.dump(getFamily())) yield readGenlFamily(m);
}
