/**
 * {@linkcode genlController}: a fake generic netlink controller (nlctrl)
 * that serves families by name, so `FamilyClient.open(spec, { sys })` and
 * `resolveFamily` work against a {@linkcode FakeKernel}.
 *
 * @module
 */
import { NLM_F } from "../constants.ts";
import { MessageWriter } from "../writer.ts";
import type { FamilySpec } from "../ynl/schema.ts";
import type { FakeRequest, Handler } from "./fake_kernel.ts";
import { dump, error, type Reply, reply } from "./replies.ts";

const GENL_ID_CTRL = 0x10;
const CTRL_CMD_NEWFAMILY = 1;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR = {
  FAMILY_ID: 1,
  FAMILY_NAME: 2,
  VERSION: 3,
  HDRSIZE: 4,
  MAXATTR: 5,
  OPS: 6,
  MCAST_GROUPS: 7,
} as const;
const ENOENT = 2;
const EOPNOTSUPP = 95;
const GENL_CMD_CAP_DO = 2;
const GENL_CMD_CAP_DUMP = 4;

/** A family the controller serves. */
export interface FakeFamily {
  /** Its name, e.g. "netdev". */
  name: string;
  /** Its id (the nlmsg_type of its messages). Default: given out from 0x20 on. */
  id?: number;
  /** Its version. Default 1. */
  version?: number;
  /** Its user header size. Default 0. */
  hdrsize?: number;
  /** Its highest attribute. Default 0. */
  maxattr?: number;
  /** Its commands and their flags (GENL_CMD_CAP_*). */
  ops?: readonly { id: number; flags: number }[];
  /** Its multicast groups: name to id. */
  groups?: Readonly<Record<string, number>>;
}

/**
 * A {@linkcode FakeFamily} from a generated spec: its commands (with do
 * and dump capabilities) and its multicast groups by name, with ids given
 * from `firstGroup` on.
 *
 * @example
 * ```ts
 * import { familyFromSpec } from "./mod.ts";
 * import { netdev } from "../families/netdev.ts";
 * familyFromSpec(netdev, { id: 0x22 }).groups; // { mgmt: 0x40, "page-pool": 0x41 }
 * ```
 */
export function familyFromSpec(
  spec: FamilySpec,
  options: { id?: number; firstGroup?: number } = {},
): FakeFamily {
  const ops = new Map<number, number>();
  for (const op of Object.values(spec.ops)) {
    const cmd = op.do?.request?.value ?? op.dump?.request?.value ?? op.dump?.reply?.value;
    if (cmd === undefined) continue;
    const flags = (op.do ? GENL_CMD_CAP_DO : 0) | (op.dump ? GENL_CMD_CAP_DUMP : 0);
    ops.set(cmd, (ops.get(cmd) ?? 0) | flags);
  }
  let g = options.firstGroup ?? 0x40;
  const groups: Record<string, number> = {};
  for (const name of Object.keys(spec.mcastGroups)) groups[name] = g++;
  return {
    name: spec.name,
    id: options.id,
    version: spec.version ?? 1,
    ops: [...ops].map(([id, flags]) => ({ id, flags })),
    groups,
  };
}

/** The controller's NEWFAMILY message body (genlmsghdr and attributes). */
function describe(f: Required<FakeFamily>): Uint8Array {
  const w = new MessageWriter(512).begin(GENL_ID_CTRL);
  const at = w.fixed(4);
  w.buffer[at] = CTRL_CMD_NEWFAMILY;
  w.buffer[at + 1] = 2;
  w.string(CTRL_ATTR.FAMILY_NAME, f.name);
  w.u16(CTRL_ATTR.FAMILY_ID, f.id);
  w.u32(CTRL_ATTR.VERSION, f.version);
  w.u32(CTRL_ATTR.HDRSIZE, f.hdrsize);
  w.u32(CTRL_ATTR.MAXATTR, f.maxattr);
  if (f.ops.length) {
    const list = w.nestStart(CTRL_ATTR.OPS);
    f.ops.forEach((op, i) => {
      const n = w.nestStart(i + 1);
      w.u32(1, op.id).u32(2, op.flags);
      w.nestEnd(n);
    });
    w.nestEnd(list);
  }
  const groups = Object.entries(f.groups);
  if (groups.length) {
    const list = w.nestStart(CTRL_ATTR.MCAST_GROUPS);
    groups.forEach(([name, id], i) => {
      const n = w.nestStart(i + 1);
      w.u32(2, id).string(1, name);
      w.nestEnd(n);
    });
    w.nestEnd(list);
  }
  return w.finish().subarray(16).slice();
}

/**
 * A handler that answers the controller (family id 0x10) the way the
 * kernel's does: CTRL_CMD_GETFAMILY by name (or id) with the family's id,
 * version, ops and multicast groups, ENOENT for a family it does not
 * serve, and the dump of them all (nlctrl included). Every other request
 * goes to `next` (none: EOPNOTSUPP).
 *
 * @example
 * ```ts
 * import { FamilyClient } from "../../mod.ts";
 * import { netdev } from "../families/netdev.ts";
 * import { FakeKernel, familyFromSpec, genlController } from "./mod.ts";
 * using kernel = new FakeKernel(genlController([familyFromSpec(netdev)]));
 * await using client = await FamilyClient.open(netdev, { sys: kernel });
 * client.familyId; // 0x20
 * ```
 */
export function genlController(families: readonly FakeFamily[], next?: Handler): Handler {
  let nextId = 0x20;
  const all: Required<FakeFamily>[] = [
    {
      name: "nlctrl",
      id: GENL_ID_CTRL,
      version: 2,
      hdrsize: 0,
      maxattr: 10,
      ops: [{ id: CTRL_CMD_GETFAMILY, flags: GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP }],
      groups: { notify: GENL_ID_CTRL },
    },
  ];
  for (const f of families) {
    if (all.some((o) => o.name === f.name)) throw new TypeError(`family ${f.name} given twice`);
    all.push({
      name: f.name,
      id: f.id ?? nextId++,
      version: f.version ?? 1,
      hdrsize: f.hdrsize ?? 0,
      maxattr: f.maxattr ?? 0,
      ops: f.ops ?? [],
      groups: f.groups ?? {},
    });
  }
  return (req: FakeRequest) => {
    const m = req.message;
    if (m.type !== GENL_ID_CTRL) {
      return next ? next(req) : error(req, EOPNOTSUPP, { message: "no handler for this family" });
    }
    const body = m.payload;
    if (body.length < 4 || body[0] !== CTRL_CMD_GETFAMILY) return error(req, EOPNOTSUPP);
    if ((m.flags & NLM_F.DUMP) === NLM_F.DUMP) {
      return dump(req, GENL_ID_CTRL, all.map(describe));
    }
    let name: string | undefined;
    let id: number | undefined;
    const ad = m.attributes(4);
    while (ad.next()) {
      if (ad.type === CTRL_ATTR.FAMILY_NAME) name = ad.string();
      else if (ad.type === CTRL_ATTR.FAMILY_ID) id = ad.u16();
    }
    const f = all.find((o) => o.name === name || (name === undefined && o.id === id));
    if (!f) return error(req, ENOENT);
    return [reply(req, GENL_ID_CTRL, describe(f))] as Reply[];
  };
}
