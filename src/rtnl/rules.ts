/**
 * Policy routing rules (`ip rule`): add, delete and list, IPv4 and IPv6,
 * on the generated rt-rule family. The rule's attributes, its header and
 * the action names (`fr-act`) are the spec's; only the FIB_RULE_* header
 * flags of `<linux/fib_rules.h>`, which the spec leaves a bare u32, are
 * stated here.
 *
 * @module
 */
import { AF, parsePrefix } from "../address.ts";
import { NLM_F } from "../constants.ts";
import type { DumpOptions, NetlinkSocket, WaitOptions } from "../socket.ts";
import { hint } from "../suggest.ts";
import { type Decoded, FamilyClient } from "../ynl/family.ts";
import {
  type FibRuleAttrs,
  type FibRuleHdr,
  FR_ACT,
  rtRule,
  type RtRuleOps,
} from "../families/rt_rule.ts";
import { integer, named } from "./check.ts";
import { nameOf, type RouteProtocol, RTPROT } from "./routes.ts";

/** FIB_RULE_* flags of a rule's header (`<linux/fib_rules.h>`). */
export const FIB_RULE = {
  permanent: 0x1,
  invert: 0x2,
  unresolved: 0x4,
  iifDetached: 0x8,
  oifDetached: 0x10,
} as const;

/** A rule's action by the spec's `fr-act` names ("to-tbl" is `ip rule`'s `lookup`). */
export type RuleAction = Exclude<keyof typeof FR_ACT, "unspec" | "res3" | "res4">;

/** Routing tables `ip` names (RT_TABLE_* of `<linux/rtnetlink.h>`). */
export const RT_TABLE = { default: 253, main: 254, local: 255 } as const;

/** What {@linkcode addRule} and {@linkcode deleteRule} take. */
export interface RuleSpec {
  /** 4 (the default, as `ip rule`) or 6; implied by `from`/`to`. */
  ipVersion?: 4 | 6;
  /** Priority (`pref`); the kernel picks one below the last when absent. */
  priority?: number;
  /** Source prefix, e.g. "10.0.0.0/8" (`from`). */
  from?: string;
  /** Destination prefix (`to`). */
  to?: string;
  /** Incoming interface name (`iif`). */
  iif?: string;
  /** Outgoing interface name (`oif`). */
  oif?: string;
  /** Firewall mark (`fwmark`). */
  fwmark?: number;
  /** Its mask (`fwmark M/MASK`). */
  fwmask?: number;
  /** TOS (`tos`). */
  tos?: number;
  /** Table id or name; for "to-tbl" (the default action), default main. */
  table?: number | keyof typeof RT_TABLE;
  /** Action; default "to-tbl", or "goto" with `goto`. */
  action?: RuleAction;
  /** The priority a "goto" rule jumps to. */
  goto?: number;
  /** Reject lookups whose route's prefix is this long or shorter (`suppress_prefixlength`). */
  suppressPrefixLength?: number;
  /** Reject lookups whose route's device is in this group (`suppress_ifgroup`). */
  suppressIfgroup?: number;
  /** Invert the selector (`not`). */
  not?: boolean;
  /** Look up the table of the packet's L3 master device, a VRF (`l3mdev`). */
  l3mdev?: boolean;
  /** Protocol that installed it; default "unspec" (as `ip rule add`). */
  protocol?: RouteProtocol;
  /** IP protocol number of the packet (`ipproto`, 6 for TCP). */
  ipProto?: number;
  /** Source port, or a range `[start, end]` (`sport`). */
  sport?: number | readonly [number, number];
  /** Destination port, or a range (`dport`). */
  dport?: number | readonly [number, number];
  /** The sending socket's uid range `[start, end]` (`uidrange`). */
  uidRange?: readonly [number, number];
}

/** A rule, decoded. */
export interface Rule {
  /** AF_INET or AF_INET6. */
  family: number;
  /** Priority. */
  priority: number;
  /** Source prefix address and length (0: all). */
  src?: Uint8Array;
  /** Source prefix length. */
  srcLength: number;
  /** Destination prefix address. */
  dst?: Uint8Array;
  /** Destination prefix length. */
  dstLength: number;
  /** Incoming interface name. */
  iif?: string;
  /** Outgoing interface name. */
  oif?: string;
  /** Firewall mark. */
  fwmark?: number;
  /** Firewall mark mask. */
  fwmask?: number;
  /** TOS. */
  tos: number;
  /** Table id (0 for actions without one). */
  table: number;
  /** Action by the spec's names ("to-tbl", "goto", "nop", "blackhole", ...). */
  action: string;
  /** Goto target priority. */
  goto?: number;
  /** A goto whose target priority has no rule. */
  unresolved: boolean;
  /** suppress_prefixlength, when set. */
  suppressPrefixLength?: number;
  /** suppress_ifgroup, when set. */
  suppressIfgroup?: number;
  /** Inverted (`not`). */
  not: boolean;
  /** An l3mdev rule. */
  l3mdev: boolean;
  /** The iif/oif names no present link carries. */
  iifDetached: boolean;
  /** The oif name no present link carries. */
  oifDetached: boolean;
  /** Protocol by name. */
  protocol: string;
  /** IP protocol number, when set. */
  ipProto?: number;
  /** Source port range, when set. */
  sport?: { start: number; end: number };
  /** Destination port range, when set. */
  dport?: { start: number; end: number };
  /** Uid range, when set. */
  uidRange?: { start: number; end: number };
  /** The fixed header. */
  header: FibRuleHdr;
  /** Every attribute, decoded. */
  attrs: FibRuleAttrs;
}

const KEYS = [
  "ipVersion",
  "priority",
  "from",
  "to",
  "iif",
  "oif",
  "fwmark",
  "fwmask",
  "tos",
  "table",
  "action",
  "goto",
  "suppressPrefixLength",
  "suppressIfgroup",
  "not",
  "l3mdev",
  "protocol",
  "ipProto",
  "sport",
  "dport",
  "uidRange",
];
const ACTIONS = ["to-tbl", "goto", "nop", "blackhole", "unreachable", "prohibit"];
const U32 = 0xffffffff;

function range(what: string, x: unknown, max: number): { start: number; end: number } {
  if (typeof x === "number") {
    const n = integer(what, x, 0, max);
    return { start: n, end: n };
  }
  if (!Array.isArray(x) || x.length !== 2) {
    throw new TypeError(`${what}: takes a number or [start, end], got ${String(x)}`);
  }
  const start = integer(`${what} start`, x[0], 0, max);
  return { start, end: integer(`${what} end`, x[1], start, max) };
}

function ifname(what: string, x: unknown): string {
  if (typeof x === "string" && x.length > 0 && x.length < 16) return x;
  throw new TypeError(`${what}: takes an interface name of 1..15 bytes, got ${String(x)}`);
}

/**
 * The rt-rule request for `spec`; with `forDelete`, fields left out match
 * any (as `ip rule del`), else they get `ip rule add`'s defaults.
 *
 * @example
 * ```ts
 * import { ruleRequest } from "./rules.ts";
 * ruleRequest({ priority: 100, from: "10.0.0.0/8", table: 100 }).header.srcLen; // 8
 * ```
 */
export function ruleRequest(
  spec: RuleSpec,
  forDelete = false,
): { header: FibRuleHdr; attrs: FibRuleAttrs } {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`a rule is { priority?, from?, to?, table?, action?, ... }, got ${spec}`);
  }
  for (const k of Object.keys(spec)) {
    if (!KEYS.includes(k)) throw new TypeError(`a rule has no field ${k}${hint(k, KEYS)}`);
  }
  if (spec.ipVersion !== undefined && spec.ipVersion !== 4 && spec.ipVersion !== 6) {
    throw new RangeError(`rule ipVersion: 4 or 6, not ${spec.ipVersion}`);
  }
  let family: number | undefined = spec.ipVersion === undefined
    ? undefined
    : spec.ipVersion === 4
    ? AF.INET
    : AF.INET6;
  const header: FibRuleHdr = { family: 0, dstLen: 0, srcLen: 0, tos: 0, table: 0, action: 0 };
  const attrs: FibRuleAttrs = {};
  for (const [key, field] of [["from", "src"], ["to", "dst"]] as const) {
    const text = spec[key];
    if (text === undefined || text === "all") continue;
    const p = parsePrefix(text);
    if (family !== undefined && p.family !== family) {
      throw new TypeError(`rule ${key} ${text} is not of the rule's family`);
    }
    family = p.family;
    if (p.length > 0) attrs[field] = p.address;
    header[field === "src" ? "srcLen" : "dstLen"] = p.length;
  }
  header.family = family ?? AF.INET;
  if (spec.priority !== undefined) attrs.priority = integer("rule priority", spec.priority, 0, U32);
  if (spec.iif !== undefined) attrs.iifname = ifname("rule iif", spec.iif);
  if (spec.oif !== undefined) attrs.oifname = ifname("rule oif", spec.oif);
  if (spec.fwmark !== undefined) attrs.fwmark = integer("rule fwmark", spec.fwmark, 0, U32);
  if (spec.fwmask !== undefined) {
    if (spec.fwmark === undefined) throw new TypeError("rule fwmask: needs a fwmark");
    attrs.fwmask = integer("rule fwmask", spec.fwmask, 0, U32);
  }
  if (spec.tos !== undefined) header.tos = integer("rule tos", spec.tos, 0, 255);
  if (spec.goto !== undefined) attrs.goto = integer("rule goto", spec.goto, 0, U32);
  if (spec.suppressPrefixLength !== undefined) {
    attrs.suppressPrefixlen = integer(
      "rule suppressPrefixLength",
      spec.suppressPrefixLength,
      0,
      128,
    );
  }
  if (spec.suppressIfgroup !== undefined) {
    attrs.suppressIfgroup = integer("rule suppressIfgroup", spec.suppressIfgroup, 0, U32 - 1);
  }
  if (spec.not !== undefined && typeof spec.not !== "boolean") {
    throw new TypeError(`rule not: takes a boolean, got ${String(spec.not)}`);
  }
  if (spec.not) header.flags = FIB_RULE.invert;
  if (spec.l3mdev) attrs.l3mdev = 1;
  let action = spec.action;
  if (action !== undefined && !ACTIONS.includes(action)) {
    throw new TypeError(
      `rule action: no ${JSON.stringify(action)}${
        hint(String(action), ACTIONS)
      }; valid: ${ACTIONS}`,
    );
  }
  if (action === undefined && !forDelete) {
    action = spec.goto !== undefined ? "goto" : "to-tbl";
  }
  if (action === "goto" && spec.goto === undefined && !forDelete) {
    throw new TypeError("rule action goto: needs a goto priority");
  }
  if (action !== undefined) header.action = FR_ACT[action];
  let table: number | undefined;
  if (spec.table !== undefined) {
    table = typeof spec.table === "string"
      ? named("rule table", RT_TABLE, spec.table)
      : integer("rule table", spec.table, 1, U32);
  } else if (action === "to-tbl" && !spec.l3mdev && !forDelete) table = RT_TABLE.main;
  if (table !== undefined) {
    header.table = table < 256 ? table : 0;
    attrs.table = table;
  }
  if (spec.ipProto !== undefined) attrs.ipProto = integer("rule ipProto", spec.ipProto, 0, 255);
  if (spec.sport !== undefined) attrs.sportRange = range("rule sport", spec.sport, 0xffff);
  if (spec.dport !== undefined) attrs.dportRange = range("rule dport", spec.dport, 0xffff);
  if (spec.uidRange !== undefined) {
    if (!Array.isArray(spec.uidRange)) throw new TypeError("rule uidRange: takes [start, end]");
    attrs.uidRange = range("rule uidRange", spec.uidRange, U32 - 1);
  }
  if (spec.protocol !== undefined) {
    attrs.protocol = named("rule protocol", RTPROT, spec.protocol);
  } else if (!forDelete) attrs.protocol = RTPROT.unspec;
  return { header, attrs };
}

function pair(r?: { start?: number; end?: number }) {
  return r === undefined ? undefined : { start: r.start ?? 0, end: r.end ?? 0 };
}

/** A decoded rt-rule message as a {@linkcode Rule}. */
export function toRule(d: Decoded<FibRuleHdr, FibRuleAttrs>): Rule {
  const h = d.header, a = d.attrs, flags = h.flags ?? 0;
  const spl = a.suppressPrefixlen;
  const sig = a.suppressIfgroup;
  return {
    family: h.family ?? 0,
    priority: a.priority ?? 0,
    src: a.src,
    srcLength: h.srcLen ?? 0,
    dst: a.dst,
    dstLength: h.dstLen ?? 0,
    iif: a.iifname,
    oif: a.oifname,
    fwmark: a.fwmark,
    fwmask: a.fwmask,
    tos: h.tos ?? 0,
    table: a.table ?? h.table ?? 0,
    action: nameOf(FR_ACT, h.action ?? 0),
    goto: a.goto,
    unresolved: (flags & FIB_RULE.unresolved) !== 0,
    suppressPrefixLength: spl === undefined || spl === U32 ? undefined : spl,
    suppressIfgroup: sig === undefined || sig === U32 ? undefined : sig,
    not: (flags & FIB_RULE.invert) !== 0,
    l3mdev: (a.l3mdev ?? 0) !== 0,
    iifDetached: (flags & FIB_RULE.iifDetached) !== 0,
    oifDetached: (flags & FIB_RULE.oifDetached) !== 0,
    protocol: nameOf(RTPROT, a.protocol ?? 0),
    ipProto: a.ipProto,
    sport: pair(a.sportRange),
    dport: pair(a.dportRange),
    uidRange: pair(a.uidRange),
    header: h,
    attrs: a,
  };
}

function client(socket: NetlinkSocket): FamilyClient<RtRuleOps> {
  return FamilyClient.attach<RtRuleOps>(rtRule, socket);
}

/**
 * Adds a rule (`ip rule add`) on `socket`: fails with EEXIST when the same
 * rule is there.
 *
 * @example
 * ```ts ignore
 * import { addRule } from "./rules.ts";
 * await addRule(rtnl.socket, { priority: 100, from: "10.0.0.0/8", table: 100 });
 * ```
 */
export async function addRule(
  socket: NetlinkSocket,
  spec: RuleSpec,
  options: WaitOptions = {},
): Promise<void> {
  await client(socket).do("newrule", ruleRequest(spec), {
    ...options,
    flags: NLM_F.CREATE | NLM_F.EXCL,
  });
}

/**
 * Deletes the first rule that matches `spec` (`ip rule del`): fields left
 * out match any; ENOENT when none does.
 *
 * @example
 * ```ts ignore
 * import { deleteRule } from "./rules.ts";
 * await deleteRule(rtnl.socket, { priority: 100 });
 * ```
 */
export async function deleteRule(
  socket: NetlinkSocket,
  spec: RuleSpec,
  options: WaitOptions = {},
): Promise<void> {
  await client(socket).do("delrule", ruleRequest(spec, true), options);
}

/**
 * Every IPv4 and IPv6 rule, or those of one version, by priority (`ip rule list`).
 *
 * @example
 * ```ts ignore
 * import { rules } from "./rules.ts";
 * for (const r of await rules(rtnl.socket, { ipVersion: 4 })) console.log(r.priority, r.table);
 * ```
 */
export async function rules(
  socket: NetlinkSocket,
  opts: DumpOptions & { ipVersion?: 4 | 6 } = {},
): Promise<Rule[]> {
  const { ipVersion, ...options } = opts;
  if (ipVersion !== undefined && ipVersion !== 4 && ipVersion !== 6) {
    throw new RangeError(`rules: ipVersion is 4 or 6, not ${ipVersion}`);
  }
  const family = ipVersion === 4 ? AF.INET : ipVersion === 6 ? AF.INET6 : AF.UNSPEC;
  const out: Rule[] = [];
  for await (const d of client(socket).dump("getrule", { header: { family } }, options)) {
    const r = toRule(d);
    // AF_UNSPEC dumps multicast routing's rules too (RTNL_FAMILY_IPMR/IP6MR)
    if (r.family === AF.INET || r.family === AF.INET6) out.push(r);
  }
  return out;
}
