/**
 * Filter kinds with typed options: u32 (IPv4 prefixes, protocol, ports),
 * flower (ethernet type, IP protocol, addresses, ports), matchall and bpf
 * (a program's fd, or classic BPF instructions), each with a class and
 * actions, turned into the tc spec's option attributes; and a dumped
 * filter's options turned back.
 *
 * @module
 */
import { AF, formatAddress, formatMac, parseMac, parsePrefix } from "../address.ts";
import type { Attrs } from "../ynl/struct.ts";
import type { FlowerAttrs } from "../families/tc.ts";
import { type Action, type ActionSpec, readAction } from "./actions.ts";
import { int, onlyKeys } from "./check.ts";
import { formatHandle, type Handle, parseHandle } from "./handles.ts";
import {
  readU32Selector,
  TC_U32_TERMINAL,
  type U32Key,
  u32Keys,
  type U32Match,
  u32MatchOf,
  u32Selector,
} from "./u32.ts";

/** What every filter kind takes: a class, actions, where it may run. */
export interface FilterBase {
  /** The class matching packets go to (`"1:10"`). */
  classid?: Handle;
  /** Actions run on matching packets, in order. */
  actions?: ActionSpec[];
  /** Not in hardware (`skip_hw`) or only in hardware (`skip_sw`). */
  skip?: "hw" | "sw";
}

/** u32: 32-bit words of the packet. */
export interface U32Filter extends FilterBase {
  /** `"u32"`. */
  kind: "u32";
  /** What to match (nothing: every packet). */
  match?: U32Match;
}

/** flower: the flow dissector's keys. */
export interface FlowerFilter extends FilterBase {
  /** `"flower"`. */
  kind: "flower";
  /** IP protocol: a number or `"tcp"`, `"udp"`, `"icmp"`, `"icmpv6"`, `"sctp"`. */
  ipProto?: number | "tcp" | "udp" | "icmp" | "icmpv6" | "sctp";
  /** Source prefix (IPv4 or IPv6, as the filter's protocol). */
  src?: string;
  /** Destination prefix. */
  dst?: string;
  /** Source port (needs `ipProto` tcp, udp or sctp). */
  sport?: number;
  /** Destination port. */
  dport?: number;
  /** Source MAC address. */
  srcMac?: string;
  /** Destination MAC address. */
  dstMac?: string;
}

/** matchall: every packet. */
export interface MatchallFilter extends FilterBase {
  /** `"matchall"`. */
  kind: "matchall";
}

/** bpf: a BPF program decides. */
export interface BpfFilter extends FilterBase {
  /** `"bpf"`. */
  kind: "bpf";
  /** An eBPF program's file descriptor. */
  fd?: number;
  /** A program pinned on a bpf filesystem (`/sys/fs/bpf/prog`): opened, sent, closed. */
  pinned?: string;
  /** The program's name, as tc shows it. */
  name?: string;
  /** The program's return value is the verdict (`direct-action`). */
  directAction?: boolean;
  /** Classic BPF instructions instead of a program: `{ code, jt, jf, k }`. */
  ops?: readonly BpfInsn[];
}

/** A classic BPF instruction (`struct sock_filter`). */
export interface BpfInsn {
  /** Opcode. */
  code: number;
  /** Jump if true. */
  jt: number;
  /** Jump if false. */
  jf: number;
  /** The constant. */
  k: number;
}

/** A filter kind and its options. */
export type FilterOptionsSpec = U32Filter | FlowerFilter | MatchallFilter | BpfFilter;

/** The kinds {@linkcode FilterOptionsSpec} covers. */
export const FILTER_KINDS = ["u32", "flower", "matchall", "bpf"] as const;

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
/** TCA_CLS_FLAGS_SKIP_HW / SKIP_SW. */
const SKIP = { hw: 1, sw: 2 } as const;
/** TCA_BPF_FLAG_ACT_DIRECT. */
const BPF_DIRECT = 1;

const COMMON = ["kind", "classid", "actions", "skip"];

function be32(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
}

/**
 * The option attributes of a filter, its actions encoded with
 * `actions` (already turned into `act-attrs`). `ethType` is the filter's
 * protocol (flower's `key-eth-type` must equal it).
 *
 * @example
 * ```ts
 * import { filterOptions } from "./filters.ts";
 * filterOptions({ kind: "matchall", classid: "1:1" }, [], 0x0800); // { classid: 0x10001 }
 * ```
 */
export function filterOptions(spec: FilterOptionsSpec, actions: Attrs[], ethType: number): Attrs {
  const o: Attrs = {};
  if (spec.classid !== undefined) o.classid = parseHandle(`${spec.kind} classid`, spec.classid);
  if (actions.length) o.act = actions;
  const flags = spec.skip === undefined ? undefined : SKIP[spec.skip];
  if (spec.skip !== undefined && flags === undefined) {
    throw new TypeError(`${spec.kind} skip: "hw" or "sw", got ${JSON.stringify(spec.skip)}`);
  }
  switch (spec.kind) {
    case "u32": {
      onlyKeys("u32", spec, [...COMMON, "match"]);
      const keys = u32Keys(spec.match ?? {});
      const terminal = spec.classid !== undefined || actions.length ? TC_U32_TERMINAL : 0;
      // an empty match is one key that matches every packet, as tc's "match u32 0 0"
      o.sel = u32Selector(terminal, keys.length ? keys : [{ mask: 0, val: 0, off: 0, offmask: 0 }]);
      if (flags) o.flags = flags;
      return o;
    }
    case "flower": {
      onlyKeys("flower", spec, [
        ...COMMON,
        "ipProto",
        "src",
        "dst",
        "sport",
        "dport",
        "srcMac",
        "dstMac",
      ]);
      const f: FlowerAttrs = {};
      if (ethType !== 0 && ethType !== 0x0003) f.keyEthType = ethType;
      let proto: number | undefined;
      if (spec.ipProto !== undefined) {
        proto = typeof spec.ipProto === "string"
          ? PROTOS[spec.ipProto] ?? int("flower ipProto", NaN, 0, 255)
          : int("flower ipProto", spec.ipProto, 0, 255);
        f.keyIpProto = proto;
      }
      for (const side of ["src", "dst"] as const) {
        const text = spec[side];
        if (text === undefined) continue;
        const p = parsePrefix(text);
        const v4 = p.family === AF.INET;
        if ((v4 && ethType !== 0x0800) || (!v4 && ethType !== 0x86dd)) {
          throw new TypeError(`flower ${side}: ${text} needs protocol ${v4 ? "ip" : "ipv6"}`);
        }
        const mask = new Uint8Array(p.address.length);
        for (let i = 0; i < p.length; i++) mask[i >> 3] |= 0x80 >> (i & 7);
        const addr = p.address.map((b, i) => b & mask[i]);
        const k = side === "src" ? "Src" : "Dst";
        if (v4) {
          (f as Attrs)[`keyIpv4${k}`] = be32(addr);
          (f as Attrs)[`keyIpv4${k}Mask`] = be32(mask);
        } else {
          (f as Attrs)[`keyIpv6${k}`] = addr;
          (f as Attrs)[`keyIpv6${k}Mask`] = mask;
        }
      }
      for (const side of ["sport", "dport"] as const) {
        const port = spec[side];
        if (port === undefined) continue;
        const l4 = proto === 6 ? "Tcp" : proto === 17 ? "Udp" : proto === 132 ? "Sctp" : undefined;
        if (!l4) throw new TypeError(`flower ${side}: needs ipProto tcp, udp or sctp`);
        const k = `key${l4}${side === "sport" ? "Src" : "Dst"}`;
        (f as Attrs)[k] = int(`flower ${side}`, port, 0, 65535);
        (f as Attrs)[`${k}Mask`] = 0xffff;
      }
      for (const side of ["srcMac", "dstMac"] as const) {
        if (spec[side] === undefined) continue;
        const k = side === "srcMac" ? "keyEthSrc" : "keyEthDst";
        (f as Attrs)[k] = parseMac(spec[side]!);
        (f as Attrs)[`${k}Mask`] = new Uint8Array(6).fill(0xff);
      }
      if (flags) f.flags = flags;
      return { ...o, ...f };
    }
    case "matchall":
      onlyKeys("matchall", spec, COMMON);
      if (flags) o.flags = flags;
      return o;
    case "bpf": {
      onlyKeys("bpf", spec, [...COMMON, "fd", "name", "directAction", "ops"]);
      if ((spec.fd === undefined) === (spec.ops === undefined)) {
        throw new TypeError("bpf: give one of fd, pinned and ops");
      }
      if (spec.fd !== undefined) {
        o.fd = int("bpf fd", spec.fd, 0, 0x7fffffff);
        o.name = spec.name ?? `fd${spec.fd}`;
      } else {
        const ops = spec.ops!;
        if (!Array.isArray(ops) || ops.length === 0 || ops.length > 4096) {
          throw new RangeError("bpf ops: 1 to 4096 instructions");
        }
        const b = new Uint8Array(ops.length * 8);
        const v = new DataView(b.buffer);
        ops.forEach((x, i) => {
          v.setUint16(i * 8, int(`bpf ops[${i}].code`, x.code, 0, 0xffff), true);
          v.setUint8(i * 8 + 2, int(`bpf ops[${i}].jt`, x.jt, 0, 255));
          v.setUint8(i * 8 + 3, int(`bpf ops[${i}].jf`, x.jf, 0, 255));
          v.setUint32(i * 8 + 4, int(`bpf ops[${i}].k`, x.k, 0, 0xffffffff), true);
        });
        o.opsLen = ops.length;
        o.ops = b;
      }
      if (spec.directAction) o.flags = BPF_DIRECT;
      if (flags) o.flagsGen = flags;
      return o;
    }
    default:
      throw new TypeError(
        `filter: kind ${
          JSON.stringify((spec as { kind?: unknown })?.kind)
        } has no typed options here; valid: ${FILTER_KINDS.join(", ")}`,
      );
  }
}

/** A dumped filter's options, typed by kind (with `raw`, the spec's decoding). */
export interface FilterOptions {
  /** The filter's kind. */
  kind: string;
  /** The class it sends to, as tc prints it (`"1:10"`). */
  classid?: string;
  /** Its actions. */
  actions: Action[];
  /** Not in hardware (the kernel's `not_in_hw`). */
  notInHw?: boolean;
  /** u32: the selector's keys. */
  keys?: U32Key[];
  /** u32: the match the keys stand for (see {@linkcode u32MatchOf}). */
  match?: U32Match;
  /** u32: TC_U32_TERMINAL set. */
  terminal?: boolean;
  /** flower: the keys it matches on. */
  flower?: Omit<FlowerFilter, "kind" | "classid" | "actions" | "skip"> & { ethType?: number };
  /** bpf: the program's name, id and tag; direct-action. */
  bpf?: { name?: string; id?: number; tag?: string; directAction: boolean; ops?: BpfInsn[] };
  /** matchall/u32: packets that hit. */
  hits?: bigint;
  /** The options as the tc spec decodes them. */
  raw: Attrs;
}

const NOT_IN_HW = 8;
const NAMES = Object.fromEntries(Object.entries(PROTOS).map(([k, v]) => [v, k]));

/**
 * A dumped filter's options.
 *
 * @example
 * ```ts
 * import { readFilterOptions } from "./filters.ts";
 * readFilterOptions("matchall", { classid: 0x10001 }).classid; // "1:1"
 * ```
 */
export function readFilterOptions(kind: string, o: unknown): FilterOptions {
  const a = (o instanceof Uint8Array || typeof o !== "object" || o === null ? {} : o) as Attrs;
  const out: FilterOptions = {
    kind,
    actions: ((a.act ?? []) as Attrs[]).map(readAction),
    raw: a,
  };
  if (a.classid !== undefined) out.classid = formatHandle(a.classid as number);
  const flags = (kind === "bpf" ? a.flagsGen : a.flags) as number | undefined;
  if (flags !== undefined) out.notInHw = (flags & NOT_IN_HW) !== 0;
  switch (kind) {
    case "u32": {
      if (a.sel instanceof Uint8Array) {
        const sel = readU32Selector(a.sel);
        out.keys = sel.keys;
        out.match = u32MatchOf(sel.keys);
        out.terminal = (sel.flags & TC_U32_TERMINAL) !== 0;
      }
      const pcnt = a.pcnt as { rhit?: bigint } | undefined;
      if (pcnt?.rhit !== undefined) out.hits = pcnt.rhit;
      break;
    }
    case "matchall": {
      const pcnt = a.pcnt as { rhit?: bigint } | undefined;
      if (pcnt?.rhit !== undefined) out.hits = pcnt.rhit;
      break;
    }
    case "flower": {
      const f = a as FlowerAttrs & Attrs;
      const fl: NonNullable<FilterOptions["flower"]> = {};
      if (f.keyEthType !== undefined) fl.ethType = f.keyEthType;
      if (f.keyIpProto !== undefined) {
        fl.ipProto = (NAMES[f.keyIpProto] ?? f.keyIpProto) as FlowerFilter["ipProto"];
      }
      const v4 = (x: number) => {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, x);
        return b;
      };
      const bits = (m: Uint8Array) =>
        m.reduce((n, b) => n + (b.toString(2).match(/1/g)?.length ?? 0), 0);
      for (const [side, k] of [["src", "Src"], ["dst", "Dst"]] as const) {
        const a4 = f[`keyIpv4${k}`] as number | undefined;
        const a6 = f[`keyIpv6${k}`] as Uint8Array | undefined;
        if (a4 !== undefined) {
          const m = v4((f[`keyIpv4${k}Mask`] as number | undefined) ?? 0xffffffff);
          fl[side] = `${formatAddress(v4(a4))}/${bits(m)}`;
        } else if (a6 !== undefined) {
          const m = (f[`keyIpv6${k}Mask`] as Uint8Array | undefined) ??
            new Uint8Array(16).fill(255);
          fl[side] = `${formatAddress(a6)}/${bits(m)}`;
        }
      }
      for (const l4 of ["Tcp", "Udp", "Sctp"]) {
        if (f[`key${l4}Src`] !== undefined) fl.sport = f[`key${l4}Src`] as number;
        if (f[`key${l4}Dst`] !== undefined) fl.dport = f[`key${l4}Dst`] as number;
      }
      if (f.keyEthSrc) fl.srcMac = formatMac(f.keyEthSrc as Uint8Array);
      if (f.keyEthDst) fl.dstMac = formatMac(f.keyEthDst as Uint8Array);
      out.flower = fl;
      break;
    }
    case "bpf": {
      const tag = a.tag instanceof Uint8Array
        ? [...a.tag].map((b) => b.toString(16).padStart(2, "0")).join("")
        : undefined;
      out.bpf = {
        directAction: (((a.flags as number) ?? 0) & BPF_DIRECT) !== 0,
        ...(a.name !== undefined ? { name: a.name as string } : {}),
        ...(a.id !== undefined ? { id: a.id as number } : {}),
        ...(tag ? { tag } : {}),
      };
      if (a.ops instanceof Uint8Array) {
        const v = new DataView(a.ops.buffer, a.ops.byteOffset, a.ops.length);
        out.bpf.ops = [];
        for (let i = 0; i + 8 <= a.ops.length; i += 8) {
          out.bpf.ops.push({
            code: v.getUint16(i, true),
            jt: v.getUint8(i + 2),
            jf: v.getUint8(i + 3),
            k: v.getUint32(i + 4, true),
          });
        }
      }
      break;
    }
  }
  return out;
}
