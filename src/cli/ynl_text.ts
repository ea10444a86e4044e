/**
 * The texts of the ynl CLI that are not replies: an operation's modes
 * (`--list-ops`), its attributes (`--list-attrs`) and a netlink error as
 * cli.py prints it (`Netlink error: msg: strerror {extack}`).
 *
 * @example
 * ```ts
 * import { rtLink } from "../families/rt_link.ts";
 * import { opModes } from "./ynl_text.ts";
 * opModes(rtLink.ops.getlink); // ["do", "dump"]
 * ```
 *
 * @module
 */
import { AttributeDecoder } from "../attribute.ts";
import { errnoText, type ExtAck, type NetlinkError } from "../errors.ts";
import type { Message } from "../message.ts";
import type { AttrSetSpec, AttrSpec, FamilySpec, OpSpec } from "../ynl/schema.ts";
import { own } from "../ynl/schema.ts";
import { pyRepr } from "../ynl/pyvalue.ts";

/**
 * An operation's modes as cli.py lists them (do, dump, event, notify).
 * cli.py prints them in its set's hash order, which changes from run to
 * run; these are in that fixed order.
 */
export function opModes(op: OpSpec): string[] {
  const modes: string[] = [];
  if (op.do) modes.push("do");
  if (op.dump) modes.push("dump");
  if (op.notify !== undefined) modes.push("notify");
  else if (op.event !== undefined) modes.push("event");
  return modes;
}

const POLICY_TYPES = [
  "",
  "flag",
  "u8",
  "u16",
  "u32",
  "u64",
  "s8",
  "s16",
  "s32",
  "s64",
  "binary",
  "string",
  "nul-string",
  "nested",
  "nested-array",
  "bitfield32",
  "sint",
  "uint",
];

/**
 * A policy's attributes (an extended ACK's, or one of CTRL_CMD_GETPOLICY's)
 * as ynl's `_genl_decode_policy` gives them: `type` by name, `min-value`,
 * `max-value`, lengths, `policy-idx`, masks.
 *
 * @example
 * ```ts ignore
 * policyOf(extAck.policy); // { type: "u32", "max-value": 5 }
 * ```
 */
export function policyOf(raw: Uint8Array): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  const ad = new AttributeDecoder(raw);
  const names = [
    "",
    "type",
    "min-value",
    "max-value",
    "min-value",
    "max-value",
    "min-length",
    "max-length",
    "policy-idx",
    "",
    "bitfield32-mask",
    "",
    "mask",
  ];
  while (ad.next()) {
    const t = ad.type;
    if (t === 1) p.type = POLICY_TYPES[ad.u32()] ?? ad.u32();
    else if (t === 2 || t === 3) p[names[t]] = ad.s64();
    else if (t === 4 || t === 5 || t === 12) p[names[t]] = ad.u64();
    else if (t >= 6 && t <= 10 && t !== 9) p[names[t]] = ad.u32();
  }
  return p;
}

/**
 * A NetlinkError as cli.py prints it: `Netlink error: ` then the kernel's
 * message and `: `, the errno's text, and what else the extended ACK said
 * as a Python dict (the attribute's path as `bad-attr`, a missing
 * attribute by its name).
 *
 * @example
 * ```ts
 * import { NetlinkError } from "../errors.ts";
 * import { netlinkErrorText } from "./ynl_text.ts";
 * netlinkErrorText(new NetlinkError(-95)); // "Netlink error: Operation not supported"
 * ```
 */
export function netlinkErrorText(e: NetlinkError, set?: AttrSetSpec): string {
  const x = e.extAck;
  let msg = "Netlink error: ";
  if (x.message !== undefined) msg += `${x.message}: `;
  msg += errnoText(e.errno);
  const extack: Record<string, unknown> = {};
  if (x.offset !== undefined && e.attrPath === undefined) extack["bad-attr-offs"] = x.offset;
  if (x.missingType !== undefined) {
    const a = x.missingNest === undefined
      ? set?.attrs.find((y) => y.type === x.missingType)
      : undefined;
    extack["miss-type"] = a ? a.name : x.missingType;
  }
  if (x.missingNest !== undefined) extack["miss-nest"] = x.missingNest;
  if (x.policy) extack.policy = policyOf(x.policy);
  if (x.offset !== undefined && e.attrPath !== undefined) extack["bad-attr"] = e.attrPath;
  if (Object.keys(extack).length) msg += ` ${pyRepr(extack)}`;
  return msg;
}

/**
 * The "Netlink warning:" cli.py prints when a dump's NLMSG_DONE carries an
 * extended ACK: the message's header as its `NlMsg` repr, then the ACK.
 *
 * @example
 * ```ts ignore
 * console.log(warningText({ message: "failed to retrieve link settings" }, done));
 * ```
 */
export function warningText(x: ExtAck, m: Message): string {
  const extack: Record<string, unknown> = {};
  if (x.message !== undefined) extack.msg = x.message;
  if (x.missingType !== undefined) extack["miss-type"] = x.missingType;
  if (x.missingNest !== undefined) extack["miss-nest"] = x.missingNest;
  if (x.offset !== undefined) extack["bad-attr-offs"] = x.offset;
  if (x.policy) extack.policy = policyOf(x.policy);
  return `Netlink warning:\nnl_len = ${m.length} (${m.length - 16}) nl_flags = 0x${
    m.flags.toString(16)
  } nl_type = ${m.type}\n\textack: ${pyRepr(extack)}`;
}

function attrLine(f: FamilySpec, a: AttrSpec, indent: number, seen: Set<string>): void {
  const prefix = " ".repeat(indent);
  let line = `${prefix}- ${a.name}: ${a.kind}`;
  if (a.enum) {
    line += ` (enum: ${a.enum})`;
    const e = own(f.enums, a.enum);
    if (e) {
      line += `\n${prefix}  ${e.type[0].toUpperCase()}${e.type.slice(1)}: ${
        Object.keys(e.entries).join(", ")
      }`;
    }
  }
  if (a.kind === "nest" && a.set) line += ` -> ${a.set}`;
  console.log(line);
  if (a.kind === "nest" && a.set && !seen.has(a.set)) {
    const s = own(f.sets, a.set);
    for (const b of s?.attrs ?? []) attrLine(f, b, indent + 4, new Set([...seen, a.set]));
  }
}

function attrList(f: FamilySpec, op: OpSpec, names: readonly string[]): void {
  const s = own(f.sets, op.set);
  for (const n of names) {
    const a = s?.attrs.find((x) => x.name === n);
    if (a) attrLine(f, a, 2, new Set([op.set]));
  }
}

/**
 * `--list-attrs`: an operation's request and reply attributes with their
 * types, enums and nests as cli.py lists them, without the spec's doc
 * texts (the tables do not keep them).
 */
export function printAttrs(f: FamilySpec, op: OpSpec): void {
  console.log(`Operation: ${op.name}`);
  const same = op.do?.reply && op.dump?.reply &&
    op.do.reply.attributes.join() === op.dump.reply.attributes.join();
  for (const mode of ["do", "dump"] as const) {
    const m = op[mode];
    if (!m) continue;
    const title = mode === "do" ? "Do" : "Dump";
    if (m.request?.attributes.length) {
      console.log(`\n${title} request attributes:`);
      attrList(f, op, m.request.attributes);
    }
    if (m.reply) {
      if (same && mode === "do") continue;
      console.log(`\n${same ? "Do and Dump" : title} reply attributes:`);
      attrList(f, op, m.reply.attributes);
    }
  }
  if (op.mcgrp) console.log(`\nMulticast group: ${op.mcgrp}`);
}
