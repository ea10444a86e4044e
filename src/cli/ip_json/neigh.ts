/**
 * `ip -j neigh` (and `ip -j neigh show proxy`): iproute2's ip/ipneigh.c
 * print_neigh, and its default state filter, which hides NOARP entries.
 *
 * @module
 */
import type { Ndmsg, NeighbourAttrs } from "../../families/rt_neigh.ts";
import { NTF_EXT_FLAGS, NTF_FLAGS, NUD_STATE } from "../../families/rt_neigh.ts";
import { flagBits, lladdr, ntop } from "./format.ts";
import { type LinkIndex, nameOf } from "./link.ts";
import { protocolName } from "./names.ts";

/**
 * A neighbour message, decoded.
 *
 * @example
 * ```ts
 * import type { NeighMessage } from "./neigh.ts";
 * const m: NeighMessage = { header: { ndmFamily: 2, ndmIfindex: 2, ndmState: 128 }, attrs: {} };
 * ```
 */
export interface NeighMessage {
  /** The fixed header. */
  header: Ndmsg;
  /** Its attributes. */
  attrs: NeighbourAttrs;
}

/** ip's order of the NUD states it names (print_neigh_state); bits from the spec. */
const STATE_ORDER = [
  "incomplete",
  "reachable",
  "stale",
  "delay",
  "probe",
  "failed",
  "noarp",
  "permanent",
] as const satisfies readonly (keyof typeof NUD_STATE)[];

/**
 * The default filter of `ip neigh show` (do_show_or_flush): every state but
 * NOARP, proxy and externally learned entries always, and a stateless
 * entry only when the filter has bit 0x100 (it has not).
 *
 * @example
 * ```ts
 * import { neighShown } from "./neigh.ts";
 * neighShown({ header: { ndmState: 64 }, attrs: {} }); // false: NOARP
 * ```
 */
export function neighShown(m: NeighMessage): boolean {
  const filterState = 0xff & ~NUD_STATE.noarp;
  const state = flagBits(m.header.ndmState, NUD_STATE);
  const flags = flagBits(m.header.ndmFlags, NTF_FLAGS);
  return !(
    !(filterState & state) &&
    !(flags & NTF_FLAGS.proxy) &&
    !(flags & NTF_FLAGS["ext-learned"]) &&
    (state || !(filterState & 0x100))
  );
}

/**
 * print_neigh: one entry's JSON object.
 *
 * @example
 * ```ts
 * import { neighJson } from "./neigh.ts";
 * const links = { names: new Map([[2, "eth0"]]), types: new Map([[2, 1]]) };
 * neighJson({
 *   header: { ndmIfindex: 2, ndmState: 128 },
 *   attrs: { dst: new Uint8Array([10, 0, 0, 5]), lladdr: new Uint8Array([2, 0, 0, 0, 0, 5]) },
 * }, links); // { dst: "10.0.0.5", dev: "eth0", lladdr: "02:00:00:00:00:05", state: ["PERMANENT"] }
 * ```
 */
export function neighJson(m: NeighMessage, links: LinkIndex): Record<string, unknown> {
  const h = m.header, a = m.attrs;
  const o: Record<string, unknown> = {};
  const index = h.ndmIfindex ?? 0;
  if (a.dst) o.dst = ntop(a.dst);
  if (index) o.dev = nameOf(links, index);
  if (a.lladdr) o.lladdr = lladdr(a.lladdr, links.types.get(index) ?? 0xffff);
  const flags = flagBits(h.ndmFlags, NTF_FLAGS);
  const ext = flagBits(a.flagsExt, NTF_EXT_FLAGS);
  if (flags & NTF_FLAGS.router) o.router = null;
  if (flags & NTF_FLAGS.proxy) o.proxy = null;
  if (ext & NTF_EXT_FLAGS.managed) o.managed = null;
  if (flags & NTF_FLAGS["ext-learned"]) o.extern_learn = null;
  if (flags & NTF_FLAGS.offloaded) o.offload = null;
  let state = flagBits(h.ndmState, NUD_STATE);
  if (state) {
    const names: string[] = [];
    for (const s of STATE_ORDER) {
      if (state & NUD_STATE[s]) {
        state &= ~NUD_STATE[s];
        names.push(s.toUpperCase());
      }
    }
    o.state = names;
  }
  if (a.protocol) o.protocol = protocolName(a.protocol);
  return o;
}
