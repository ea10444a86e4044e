/**
 * Neighbour entries (`ip neigh`): add, replace, delete and flush, and
 * proxy entries (`ip neigh add proxy`), on the generated rt-neigh family
 * (its `nud-state` and `ntf-flags` names).
 *
 * @module
 */
import { AF, parseAddress, parseMac } from "../address.ts";
import { NLM_F } from "../constants.ts";
import { NetlinkError } from "../errors.ts";
import type { DumpOptions, WaitOptions } from "../socket.ts";
import { hint } from "../suggest.ts";
import type { FamilyClient } from "../ynl/family.ts";
import {
  type Ndmsg,
  type NeighbourAttrs,
  NTF_FLAGS,
  NUD_STATE,
  type RtNeighOps,
} from "../families/rt_neigh.ts";
import { named } from "./check.ts";
import { type Neighbour, toNeighbour } from "./decoded.ts";
import type { LinkRef } from "./links.ts";

/** A neighbour state by the spec's `nud-state` names ("permanent", "reachable", ...). */
export type NeighbourState = keyof typeof NUD_STATE;

/** Resolves a link name or index to its index. */
export type IndexOf = (link: LinkRef, what: string) => Promise<number>;

/** What `Rtnl.addNeighbour` and `Rtnl.deleteNeighbour` take. */
export interface NeighbourSpec {
  /** The link. */
  dev: LinkRef;
  /** The neighbour's IP address. */
  dst: string;
  /** Its link-layer address (not for a proxy entry). */
  lladdr?: string;
  /** State; default "permanent" (as `ip neigh add`). */
  state?: NeighbourState;
  /** The neighbour is a router (`router`, IPv6). */
  router?: boolean;
  /** A proxy entry: answer for `dst` on `dev` (`ip neigh add proxy`). */
  proxy?: boolean;
}

const KEYS = ["dev", "dst", "lladdr", "state", "router", "proxy"];

/**
 * The rt-neigh request for `spec`, checked before anything is sent.
 *
 * @example
 * ```ts ignore
 * import { neighbourRequest } from "./neighbours.ts";
 * await neighbourRequest({ dev: "eth0", dst: "10.0.0.9", lladdr: "02:00:00:00:00:09" }, ix);
 * ```
 */
export async function neighbourRequest(
  spec: NeighbourSpec,
  index: IndexOf,
): Promise<{ header: Ndmsg; attrs: NeighbourAttrs }> {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`a neighbour is { dev, dst, lladdr?, state?, proxy? }, got ${spec}`);
  }
  for (const k of Object.keys(spec)) {
    if (!KEYS.includes(k)) throw new TypeError(`a neighbour has no field ${k}${hint(k, KEYS)}`);
  }
  const dst = parseAddress(spec.dst);
  const attrs: NeighbourAttrs = { dst };
  if (spec.lladdr !== undefined) {
    if (spec.proxy) throw new TypeError("neighbour lladdr: a proxy entry has none");
    attrs.lladdr = parseMac(spec.lladdr);
  }
  let flags = 0;
  if (spec.proxy) flags |= NTF_FLAGS.proxy;
  if (spec.router) flags |= NTF_FLAGS.router;
  return {
    header: {
      ndmFamily: dst.length === 4 ? AF.INET : AF.INET6,
      ndmIfindex: await index(spec.dev, "neighbour dev"),
      ndmState: named("neighbour state", NUD_STATE, spec.state ?? "permanent"),
      ndmFlags: flags,
    },
    attrs,
  };
}

/**
 * Adds (`mode` "create", EEXIST if there is one) or replaces a neighbour entry.
 *
 * @example
 * ```ts ignore
 * import { addNeighbour } from "./neighbours.ts";
 * await addNeighbour(rtnl.neigh, ix, { dev: "eth0", dst: "10.0.0.9", lladdr: "02:00:00:00:00:09" });
 * ```
 */
export async function addNeighbour(
  neigh: FamilyClient<RtNeighOps>,
  index: IndexOf,
  spec: NeighbourSpec,
  options: WaitOptions & { mode?: "create" | "replace" } = {},
): Promise<void> {
  const { mode = "create", ...rest } = options;
  if (mode !== "create" && mode !== "replace") {
    throw new TypeError(`neighbour mode: "create" or "replace", got ${String(mode)}`);
  }
  await neigh.do("newneigh", await neighbourRequest(spec, index), {
    ...rest,
    flags: NLM_F.CREATE | (mode === "create" ? NLM_F.EXCL : NLM_F.REPLACE),
  });
}

/**
 * Every neighbour entry, or those of one IP version, or the proxy entries.
 *
 * @example
 * ```ts ignore
 * import { listNeighbours } from "./neighbours.ts";
 * const proxies = await listNeighbours(rtnl.neigh, { proxy: true });
 * ```
 */
export async function listNeighbours(
  neigh: FamilyClient<RtNeighOps>,
  opts: DumpOptions & { ipVersion?: 4 | 6; proxy?: boolean } = {},
): Promise<Neighbour[]> {
  const { ipVersion, proxy, ...options } = opts;
  if (ipVersion !== undefined && ipVersion !== 4 && ipVersion !== 6) {
    throw new RangeError(`neighbours: ipVersion is 4 or 6, not ${ipVersion}`);
  }
  const family = ipVersion === 4 ? AF.INET : ipVersion === 6 ? AF.INET6 : AF.UNSPEC;
  // ndm_flags == NTF_PROXY asks for the proxy table instead
  const request = { header: { ndmFamily: family, ndmFlags: proxy ? NTF_FLAGS.proxy : 0 } };
  const out: Neighbour[] = [];
  for await (const d of neigh.dump("getneigh", request, options)) out.push(toNeighbour(d));
  return out;
}

/**
 * Deletes the entries `ip neigh flush` would: of every link or `dev`, of
 * both IP versions or one, in any state but "permanent" and "noarp"
 * unless `states` says which (`proxy`: the proxy entries instead).
 * Returns how many went.
 *
 * @example
 * ```ts ignore
 * import { flushNeighbours } from "./neighbours.ts";
 * await flushNeighbours(rtnl.neigh, ix, { dev: "eth0" }); // 3
 * ```
 */
export async function flushNeighbours(
  neigh: FamilyClient<RtNeighOps>,
  index: IndexOf,
  opts: WaitOptions & {
    dev?: LinkRef;
    ipVersion?: 4 | 6;
    states?: readonly NeighbourState[];
    proxy?: boolean;
  } = {},
): Promise<number> {
  const { dev, ipVersion, states, proxy, ...options } = opts;
  const ifindex = dev === undefined ? undefined : await index(dev, "flush dev");
  let mask = 0xff & ~(NUD_STATE.permanent | NUD_STATE.noarp);
  if (states !== undefined) {
    if (!Array.isArray(states)) throw new TypeError("flush states: takes an array of names");
    mask = 0;
    for (const s of states) mask |= named("flush state", NUD_STATE, s);
  }
  let n = 0;
  for (const e of await listNeighbours(neigh, { ipVersion, proxy, signal: options.signal })) {
    if (e.family !== AF.INET && e.family !== AF.INET6) continue;
    if (ifindex !== undefined && e.index !== ifindex) continue;
    if (!proxy && (e.state & mask) === 0) continue;
    try {
      await neigh.do("delneigh", {
        header: {
          ndmFamily: e.family,
          ndmIfindex: e.index,
          ndmFlags: proxy ? NTF_FLAGS.proxy : 0,
        },
        attrs: { dst: e.dst },
      }, options);
      n++;
    } catch (err) {
      // gone meanwhile (expired, or its link went): not an error of the flush
      if (!(err instanceof NetlinkError && err.errno === 2)) throw err;
    }
  }
  return n;
}
