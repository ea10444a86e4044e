/**
 * `--policy`: the kernel's policy of an operation (CTRL_CMD_GETPOLICY) as
 * the kernel's ynl prints `NlPolicy.to_dict()`: attributes by the spec's
 * names (`attr-N` for one the spec lacks), each with its type and limits,
 * a nested policy under `policy`, loops cut.
 *
 * @example
 * ```ts ignore
 * import { netdev } from "../families/netdev.ts";
 * import { opPolicy } from "./ynl_policy.ts";
 * await opPolicy(netdev, familyId, "dev-get", "do"); // { ifindex: { type: "u32", ... } }
 * ```
 *
 * @module
 */
import { AttributeDecoder } from "../attribute.ts";
import { nlctrl } from "../families/nlctrl.ts";
import { FamilyClient } from "../ynl/family.ts";
import type { FamilySpec } from "../ynl/schema.ts";
import { own } from "../ynl/schema.ts";
import { policyOf } from "./ynl_text.ts";

type Table = Map<number, Map<number, Record<string, unknown>>>;

function toDict(
  f: FamilySpec,
  idx: number | undefined,
  table: Table,
  set: string | undefined,
  props: Record<string, unknown>,
  seen: Set<number>,
): unknown {
  const result: Record<string, unknown> = { ...props };
  delete result["policy-idx"];
  if (idx === undefined || seen.has(idx)) return result;
  const inner = new Set([...seen, idx]);
  const children: Record<string, unknown> = {};
  const attrs = set === undefined ? undefined : own(f.sets, set)?.attrs;
  for (const [id, decoded] of table.get(idx) ?? []) {
    const a = attrs?.find((x) => x.type === id);
    const child = decoded["policy-idx"] as number | undefined;
    children[a ? a.name : `attr-${id}`] = toDict(f, child, table, a?.set, decoded, inner);
  }
  if (Object.keys(props).length) {
    result.policy = children;
    return result;
  }
  return children;
}

/**
 * The policy of `op`'s `mode` (do or dump) in the running kernel, or null
 * when it has none, as ynl's `get_policy(op, mode).to_dict()`.
 */
export async function opPolicy(
  f: FamilySpec,
  familyId: number,
  op: string,
  mode: "do" | "dump",
  netns?: string,
): Promise<unknown> {
  const spec = own(f.ops, op)!;
  const cmd = (spec.do ?? spec.dump)?.request?.value ?? 0;
  await using ctrl = await FamilyClient.open(nlctrl, { netns });
  const modes: Record<string, number> = {};
  const table: Table = new Map();
  const request = { attrs: { familyId, op: cmd } };
  for await (const m of ctrl.dumpMessages("getpolicy", request)) {
    const ad = new AttributeDecoder(m.data, m.offset + m.headerSize + 4, m.offset + m.length);
    while (ad.next()) {
      if (ad.type === 9) {
        const ops = ad.nested();
        while (ops.next()) {
          const o = ops.nested();
          while (o.next()) modes[o.type === 1 ? "do" : "dump"] = o.u32();
        }
      } else if (ad.type === 8) {
        const p = ad.nested();
        while (p.next()) {
          const attrs = p.nested();
          if (!table.has(p.type)) table.set(p.type, new Map());
          while (attrs.next()) table.get(p.type)!.set(attrs.type, policyOf(attrs.value()));
        }
      }
    }
  }
  if (!(mode in modes)) return null;
  return toDict(f, modes[mode], table, spec.set, {}, new Set());
}
