/**
 * The dump's hot path: a {@linkcode ConntrackEntry} read straight from a
 * message, with its `attrs` (the generic decode of everything the kernel
 * sent) decoded only when read. Decoding every attribute into the
 * generated family's objects first, then reading the entry from them, was
 * most of a dump's time in JavaScript (50k entries: ~130 ms of ~200 ms).
 *
 * The attribute numbers and encodings come from the generated family
 * (src/families/conntrack.ts); if it ever disagrees with what this reader
 * expects, the reader is off and every entry goes the generic way. An
 * entry with a part only the generic way reads (a master tuple, counters,
 * a helper, labels, timestamps) goes that way too.
 *
 * @module
 */
import { AF, formatAddress } from "../address.ts";
import { AttributeCursor } from "../cursor.ts";
import { conntrack, type ConntrackAttrs } from "../families/conntrack.ts";
import type { Message } from "../message.ts";
import { own } from "../ynl/schema.ts";
import { type ConntrackEntry, statusNames, TCP_STATE_NAMES } from "./entry.ts";
import type { Tuple } from "./tuple.ts";

let ok = true;

/** The type numbers of `keys` in the generated set, each checked to be of `kind`. */
function types(set: string, keys: [string, string, boolean][]): number[] {
  const attrs = own(conntrack.sets, set)?.attrs ?? [];
  return keys.map(([key, kind, be]) => {
    const a = attrs.find((x) => x.key === key);
    if (!a || a.kind !== kind || !!a.bigEndian !== be) ok = false;
    return a?.type ?? -1;
  });
}

const [ORIG, REPLY, STATUS, PROTOINFO, TIMEOUT, MARK, USE, ID, ZONE] = types("conntrack-attrs", [
  ["tupleOrig", "nest", false],
  ["tupleReply", "nest", false],
  ["status", "u32", true],
  ["protoinfo", "nest", false],
  ["timeout", "u32", true],
  ["mark", "u32", true],
  ["use", "u32", true],
  ["id", "u32", true],
  ["zone", "u16", true],
]);
/** What only the generic way reads into an entry. */
const GENERIC = new Set(
  types("conntrack-attrs", [
    ["tupleMaster", "nest", false],
    ["countersOrig", "nest", false],
    ["countersReply", "nest", false],
    ["help", "nest", false],
    ["labels", "binary", false],
    ["timestamp", "nest", false],
  ]),
);
const [TUPLE_IP, TUPLE_PROTO, TUPLE_ZONE] = types("tuple-attrs", [
  ["tupleIp", "nest", false],
  ["tupleProto", "nest", false],
  ["tupleZone", "u16", true],
]);
const [V4_SRC, V4_DST, V6_SRC, V6_DST] = types("tuple-ip-attrs", [
  ["ipV4Src", "u32", true],
  ["ipV4Dst", "u32", true],
  ["ipV6Src", "binary", true],
  ["ipV6Dst", "binary", true],
]);
const [NUM, SPORT, DPORT, ICMP_ID, ICMP_TYPE, ICMP_CODE, ICMP6_ID, ICMP6_TYPE, ICMP6_CODE] = types(
  "tuple-proto-attrs",
  [
    ["protoNum", "u8", false],
    ["protoSrcPort", "u16", true],
    ["protoDstPort", "u16", true],
    ["protoIcmpId", "u16", true],
    ["protoIcmpType", "u8", false],
    ["protoIcmpCode", "u8", false],
    ["protoIcmpv6Id", "u16", true],
    ["protoIcmpv6Type", "u8", false],
    ["protoIcmpv6Code", "u8", false],
  ],
);
const [PROTOINFO_TCP] = types("protoinfo-attrs", [["protoinfoTcp", "nest", false]]);
const [TCP_STATE] = types("protoinfo-tcp-attrs", [["tcpState", "u8", false]]);
const REPLY_TYPE = own(conntrack.ops, "get")?.dump?.reply?.value ?? -1;
if (REPLY_TYPE < 0) ok = false;

function v4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** One reader per nesting depth: the message, a tuple or protoinfo, their nests. */
const [TOP, MID, LOW] = [new AttributeCursor(), new AttributeCursor(), new AttributeCursor()];

/** A tuple as decodeTuple reads it from the generic decode. */
function tuple(ad: AttributeCursor): Tuple {
  let v4s: number | undefined, v4d: number | undefined;
  let v6s: Uint8Array | undefined, v6d: Uint8Array | undefined;
  let protocol = 0, zone: number | undefined;
  let sport: number | undefined, dport: number | undefined;
  let id: number | undefined, type: number | undefined, code: number | undefined;
  let id6: number | undefined, type6: number | undefined, code6: number | undefined;
  while (ad.next()) {
    const t = ad.type;
    if (t === TUPLE_IP) {
      const ip = ad.into(LOW);
      while (ip.next()) {
        const u = ip.type;
        if (u === V4_SRC) v4s = ip.u32be();
        else if (u === V4_DST) v4d = ip.u32be();
        else if (u === V6_SRC) v6s = ip.value();
        else if (u === V6_DST) v6d = ip.value();
      }
    } else if (t === TUPLE_PROTO) {
      const p = ad.into(LOW);
      while (p.next()) {
        const u = p.type;
        if (u === NUM) protocol = p.u8();
        else if (u === SPORT) sport = p.u16be();
        else if (u === DPORT) dport = p.u16be();
        else if (u === ICMP_ID) id = p.u16be();
        else if (u === ICMP_TYPE) type = p.u8();
        else if (u === ICMP_CODE) code = p.u8();
        else if (u === ICMP6_ID) id6 = p.u16be();
        else if (u === ICMP6_TYPE) type6 = p.u8();
        else if (u === ICMP6_CODE) code6 = p.u8();
      }
    } else if (t === TUPLE_ZONE) zone = ad.u16be();
  }
  const out: Tuple = {
    src: v4s !== undefined ? v4Text(v4s) : v6s ? formatAddress(v6s) : "",
    dst: v4d !== undefined ? v4Text(v4d) : v6d ? formatAddress(v6d) : "",
    protocol,
  };
  if (sport !== undefined) out.sport = sport;
  if (dport !== undefined) out.dport = dport;
  id ??= id6, type ??= type6, code ??= code6;
  if (id !== undefined) out.icmpId = id;
  if (type !== undefined) out.icmpType = type;
  if (code !== undefined) out.icmpCode = code;
  if (zone !== undefined) out.zone = zone;
  return out;
}

/**
 * A dump's entry: the fields of {@linkcode ConntrackEntry} as own
 * properties, and `attrs` a getter of the class that decodes the message
 * at its first read. (A getter made per entry, or defined on each, gives
 * each entry a hidden class of its own, which cost more than decoding the
 * attributes.)
 */
class DumpEntry {
  family: 4 | 6;
  orig: Tuple;
  reply: Tuple;
  status: number;
  statusNames: ConntrackEntry["statusNames"];
  declare timeout?: number;
  declare mark?: number;
  declare zone?: number;
  declare id?: number;
  declare use?: number;
  declare tcpState?: ConntrackEntry["tcpState"];
  #m: Message | undefined;
  #decode: ((m: Message) => ConntrackAttrs) | undefined;
  #attrs: ConntrackAttrs | undefined;

  constructor(
    family: 4 | 6,
    orig: Tuple,
    reply: Tuple,
    status: number,
    m: Message,
    decode: (m: Message) => ConntrackAttrs,
  ) {
    this.family = family;
    this.orig = orig;
    this.reply = reply;
    this.status = status;
    this.statusNames = statusNames(status);
    this.#m = m;
    this.#decode = decode;
  }

  /** Everything the kernel sent, decoded by the generated family (at the first read). */
  get attrs(): ConntrackAttrs {
    if (this.#attrs === undefined) {
      this.#attrs = this.#decode!(this.#m!);
      this.#m = this.#decode = undefined;
    }
    return this.#attrs;
  }

  set attrs(a: ConntrackAttrs) {
    this.#attrs = a;
    this.#m = this.#decode = undefined;
  }

  /** The entry with its attrs, as JSON shows a plain entry. */
  toJSON(): ConntrackEntry {
    return { ...this, attrs: this.attrs };
  }
}

const NO_TUPLE: Tuple = { src: "", dst: "", protocol: 0 };

/**
 * The entry of a dump reply, or undefined when it has a part only the
 * generic decode reads (then: `toEntry(client.decode(m))`). `decode` gives
 * the generic attributes when `attrs` is first read; `m` must be owned
 * (a dump's message, not one in the receive buffer).
 *
 * @example
 * ```ts ignore
 * import { fastEntry } from "./fast.ts";
 * declare const m: import("../message.ts").Message;
 * declare const decode: (m: import("../message.ts").Message) => import("../families/conntrack.ts").ConntrackAttrs;
 * console.log(fastEntry(m, decode)?.orig.src);
 * ```
 */
export function fastEntry(
  m: Message,
  decode: (m: Message) => ConntrackAttrs,
): ConntrackEntry | undefined {
  if (!ok || m.type !== REPLY_TYPE || m.length - m.headerSize < 4) return undefined;
  const at = m.offset + m.headerSize + 4;
  const ad = TOP.reset(m.data, at, m.offset + m.length);
  let orig: Tuple | undefined, reply: Tuple | undefined;
  let status = 0, timeout: number | undefined, mark: number | undefined;
  let zone: number | undefined, id: number | undefined, use: number | undefined;
  let tcp: number | undefined;
  while (ad.next()) {
    const t = ad.type;
    if (t === ORIG) orig = tuple(ad.into(MID));
    else if (t === REPLY) reply = tuple(ad.into(MID));
    else if (t === STATUS) status = ad.u32be();
    else if (t === TIMEOUT) timeout = ad.u32be();
    else if (t === MARK) mark = ad.u32be();
    else if (t === USE) use = ad.u32be();
    else if (t === ID) id = ad.u32be();
    else if (t === ZONE) zone = ad.u16be();
    else if (t === PROTOINFO) {
      const p = ad.into(MID);
      while (p.next()) {
        if (p.type !== PROTOINFO_TCP) continue;
        const s = p.into(LOW);
        while (s.next()) if (s.type === TCP_STATE) tcp = s.u8();
      }
    } else if (GENERIC.has(t)) return undefined;
  }
  const e: ConntrackEntry = new DumpEntry(
    m.data[m.offset + m.headerSize] === AF.INET6 ? 6 : 4,
    orig ?? { ...NO_TUPLE },
    reply ?? { ...NO_TUPLE },
    status,
    m,
    decode,
  );
  if (timeout !== undefined) e.timeout = timeout;
  if (mark !== undefined) e.mark = mark;
  if (zone !== undefined) e.zone = zone;
  if (id !== undefined) e.id = id;
  if (use !== undefined) e.use = use;
  if (tcp !== undefined) e.tcpState = TCP_STATE_NAMES.get(tcp);
  return e;
}
