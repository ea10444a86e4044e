/**
 * {@linkcode Tc}: traffic control over rtnetlink: qdiscs, classes and
 * filters with typed options per kind, their statistics as `tc -s` shows
 * them, replace/change/delete, and the tc multicast group's events.
 *
 * @module
 */
import { NETLINK, NLM_F } from "../constants.ts";
import { NetlinkError, Overrun } from "../errors.ts";
import { type DumpOptions, NetlinkSocket, type OpenOptions, type WaitOptions } from "../socket.ts";
import { type Decoded, FamilyClient } from "../ynl/family.ts";
import type { Attrs } from "../ynl/struct.ts";
import { tc, type TcOps } from "../families/tc.ts";
import { rtLink, type RtLinkOps } from "../families/rt_link.ts";
import { actionAttrs } from "./actions.ts";
import { closeFd, openPinned } from "./bpf.ts";
import { classOptions, type ClassSpec } from "./classes.ts";
import { int } from "./check.ts";
import { filterOptions, type FilterOptionsSpec } from "./filters.ts";
import { type Handle, parseHandle, TC_H } from "./handles.ts";
import { qdiscOptions, type QdiscSpec } from "./qdiscs.ts";
import {
  type Filter,
  type FilterRef,
  type FilterSpec,
  htons,
  protocolNumber,
  type Qdisc,
  type QdiscPlace,
  RTNLGRP_TC,
  type TcClass,
  type TcEvent,
  toClass,
  toFilter,
  toQdisc,
} from "./objects.ts";

export {
  ETH_P,
  type Filter,
  filterHandleText,
  type FilterRef,
  type FilterSpec,
  type Qdisc,
  type QdiscPlace,
  RTNLGRP_TC,
  type TcClass,
  type TcEvent,
  type TcObject,
} from "./objects.ts";

/**
 * Traffic control, typed. One socket serves every call; events use their own.
 *
 * @example
 * ```ts ignore
 * import { Tc } from "./mod.ts";
 * await using tc = Tc.open({ netns: "test" });
 * await tc.addQdisc("veth0", { kind: "htb", defaultClass: 0x10 }, { handle: "1:" });
 * await tc.addClass("veth0", "1:10", { kind: "htb", rate: "10mbit" }, { parent: "1:" });
 * for (const q of await tc.qdiscs("veth0")) console.log(q.kind, q.handle, q.stats?.bytes);
 * ```
 */
export class Tc implements AsyncDisposable {
  /** The socket. */
  readonly socket: NetlinkSocket;
  /** The tc family over it (with the corrected structs of ./table.ts). */
  readonly family: FamilyClient<TcOps>;
  readonly #link: FamilyClient<RtLinkOps>;
  readonly #options: OpenOptions;

  private constructor(socket: NetlinkSocket, options: OpenOptions) {
    this.socket = socket;
    this.#options = options;
    this.family = FamilyClient.attach<TcOps>(tc, socket);
    this.#link = FamilyClient.attach<RtLinkOps>(rtLink, socket);
  }

  /** Opens an rtnetlink socket (in `options.netns`, if given). */
  static open(options: OpenOptions = {}): Tc {
    return new Tc(NetlinkSocket.open(NETLINK.ROUTE, { ...options, groups: [] }), options);
  }

  /** A link's index, by name or index; ENODEV when there is none. */
  async ifindex(link: string | number, options: WaitOptions = {}): Promise<number> {
    if (typeof link === "number") return int("link", link, 1, 0x7fffffff);
    if (typeof link !== "string" || link === "" || link.length > 15) {
      throw new TypeError(`link: a name (1..15 bytes) or an index, got ${JSON.stringify(link)}`);
    }
    const [d] = await this.#link.do("getlink", { attrs: { ifname: link } }, options);
    const index = d?.header.ifiIndex;
    if (!index) {
      throw new NetlinkError(19, { message: `no link ${link}` }, { operation: "RTM_GETLINK" });
    }
    return index;
  }

  /** Every link's name, by index (for showing `dev` as tc does). */
  async linkNames(options: DumpOptions = {}): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for await (const d of this.#link.dump("getlink", {}, options)) {
      if (d.header.ifiIndex && d.attrs.ifname) out.set(d.header.ifiIndex, d.attrs.ifname);
    }
    return out;
  }

  // ---- qdiscs

  /** Every qdisc (of one link, when given), with statistics. */
  async qdiscs(link?: string | number, options: DumpOptions = {}): Promise<Qdisc[]> {
    const ifindex = link === undefined ? 0 : await this.ifindex(link);
    const out: Qdisc[] = [];
    for await (const d of this.family.dump("getqdisc", { header: { ifindex } }, options)) {
      const q = toQdisc(d as Decoded);
      if (!ifindex || q.ifindex === ifindex) out.push(q);
    }
    return out;
  }

  async #qdisc(
    op: "newqdisc" | "delqdisc",
    flags: number,
    link: string | number,
    spec: QdiscSpec | undefined,
    place: QdiscPlace,
    options: WaitOptions,
  ): Promise<void> {
    const hook = spec?.kind === "ingress" || spec?.kind === "clsact";
    const parent = place.parent === undefined
      ? (hook ? TC_H.INGRESS : TC_H.ROOT)
      : parseHandle("qdisc parent", place.parent);
    const handle = place.handle === undefined
      ? (hook ? 0xffff0000 : 0)
      : parseHandle("qdisc handle", place.handle);
    const attrs: Attrs = spec ? { kind: spec.kind, options: qdiscOptions(spec) } : {};
    if (spec && place.estimator !== undefined) {
      const e = place.estimator;
      attrs.rate = {
        interval: int("estimator interval", e?.interval, -2, 3),
        ewmaLog: int("estimator ewmaLog", e?.ewmaLog, 1, 31),
      };
    }
    const ifindex = await this.ifindex(link);
    await this.family.do(op, { header: { ifindex, parent, handle }, attrs }, { ...options, flags });
  }

  /** Adds a qdisc (EEXIST when the place is taken). */
  addQdisc(
    link: string | number,
    spec: QdiscSpec,
    place: QdiscPlace = {},
    options: WaitOptions = {},
  ): Promise<void> {
    return this.#qdisc("newqdisc", NLM_F.CREATE | NLM_F.EXCL, link, spec, place, options);
  }

  /** Adds a qdisc, or replaces the one in its place. */
  replaceQdisc(
    link: string | number,
    spec: QdiscSpec,
    place: QdiscPlace = {},
    options: WaitOptions = {},
  ): Promise<void> {
    return this.#qdisc("newqdisc", NLM_F.CREATE | NLM_F.REPLACE, link, spec, place, options);
  }

  /** Changes the options of an existing qdisc of the same kind. */
  changeQdisc(
    link: string | number,
    spec: QdiscSpec,
    place: QdiscPlace = {},
    options: WaitOptions = {},
  ): Promise<void> {
    return this.#qdisc("newqdisc", 0, link, spec, place, options);
  }

  /** Deletes a qdisc (default: the root one; `{ parent: "ingress" }` for ingress/clsact). */
  deleteQdisc(
    link: string | number,
    place: QdiscPlace = {},
    options: WaitOptions = {},
  ): Promise<void> {
    return this.#qdisc("delqdisc", 0, link, undefined, place, options);
  }

  // ---- classes

  /** The classes of a link, with statistics. */
  async classes(link: string | number, options: DumpOptions = {}): Promise<TcClass[]> {
    const ifindex = await this.ifindex(link);
    const out: TcClass[] = [];
    // the spec has no dump for gettclass; the request is a dump all the same
    const bytes = this.family.encode("gettclass", { header: { ifindex } }, "do", NLM_F.DUMP)
      .finish().slice();
    for await (const m of this.socket.dump(bytes, options)) {
      out.push(toClass(this.family.decode(m)));
    }
    return out;
  }

  async #class(
    op: "newtclass" | "deltclass",
    flags: number,
    link: string | number,
    classid: Handle,
    spec: ClassSpec | undefined,
    parent: Handle | undefined,
    options: WaitOptions,
  ): Promise<void> {
    const handle = parseHandle("classid", classid);
    const p = parent === undefined
      ? (handle & 0xffff0000) >>> 0
      : parseHandle("class parent", parent);
    const attrs: Attrs = spec ? { kind: spec.kind, options: classOptions(spec) } : {};
    const ifindex = await this.ifindex(link);
    await this.family.do(op, { header: { ifindex, parent: p, handle }, attrs }, {
      ...options,
      flags,
    });
  }

  /** Adds a class `classid` (`"1:10"`) under `parent` (default: its qdisc, `"1:"`). */
  addClass(
    link: string | number,
    classid: Handle,
    spec: ClassSpec,
    place: { parent?: Handle } = {},
    options: WaitOptions = {},
  ): Promise<void> {
    return this.#class(
      "newtclass",
      NLM_F.CREATE | NLM_F.EXCL,
      link,
      classid,
      spec,
      place.parent,
      options,
    );
  }

  /** Adds a class or replaces the one with its classid. */
  replaceClass(
    link: string | number,
    classid: Handle,
    spec: ClassSpec,
    place: { parent?: Handle } = {},
    options: WaitOptions = {},
  ): Promise<void> {
    return this.#class(
      "newtclass",
      NLM_F.CREATE | NLM_F.REPLACE,
      link,
      classid,
      spec,
      place.parent,
      options,
    );
  }

  /** Changes an existing class. */
  changeClass(
    link: string | number,
    classid: Handle,
    spec: ClassSpec,
    place: { parent?: Handle } = {},
    options: WaitOptions = {},
  ): Promise<void> {
    return this.#class("newtclass", 0, link, classid, spec, place.parent, options);
  }

  /** Deletes a class. */
  deleteClass(link: string | number, classid: Handle, options: WaitOptions = {}): Promise<void> {
    return this.#class("deltclass", 0, link, classid, undefined, undefined, options);
  }

  // ---- filters

  /** The filters of a link under `parent` (default: the root qdisc; `"ingress"`, `"egress"`). */
  async filters(
    link: string | number,
    place: { parent?: Handle; chain?: number } = {},
    options: DumpOptions = {},
  ): Promise<Filter[]> {
    const ifindex = await this.ifindex(link);
    const parent = place.parent === undefined ? 0 : parseHandle("filter parent", place.parent);
    const attrs: Attrs = place.chain === undefined
      ? {}
      : { chain: int("chain", place.chain, 0, 0xffffffff) };
    const out: Filter[] = [];
    for await (
      const d of this.family.dump("gettfilter", { header: { ifindex, parent }, attrs }, options)
    ) {
      out.push(toFilter(d as Decoded));
    }
    return out;
  }

  async #filter(
    flags: number,
    link: string | number,
    spec: FilterSpec,
    options: WaitOptions,
  ): Promise<void> {
    const { parent, prio, protocol, handle, chain, ...kindSpec } = spec;
    const proto = protocolNumber(protocol);
    const p = parent === undefined ? TC_H.ROOT : parseHandle("filter parent", parent);
    const pr = prio === undefined ? 0 : int("filter prio", prio, 1, 0xffff);
    const h = handle === undefined ? 0 : int("filter handle", handle, 0, 0xffffffff);
    const acts = [];
    for (const a of kindSpec.actions ?? []) acts.push(await actionAttrs(a, (n) => this.ifindex(n)));
    const ifindex = await this.ifindex(link);
    let opened: number | undefined;
    let kinded: FilterOptionsSpec = kindSpec;
    if (kindSpec.kind === "bpf" && kindSpec.pinned !== undefined) {
      const { pinned, ...rest } = kindSpec;
      if (rest.fd !== undefined || rest.ops !== undefined) {
        throw new TypeError("bpf: give one of fd, pinned and ops");
      }
      filterOptions({ ...rest, fd: 0 }, acts, proto); // every check before the fd is opened
      opened = openPinned(pinned);
      kinded = {
        ...rest,
        fd: opened,
        name: rest.name ?? pinned.slice(pinned.lastIndexOf("/") + 1),
      };
    }
    try {
      const attrs: Attrs = { kind: kinded.kind, options: filterOptions(kinded, acts, proto) };
      if (chain !== undefined) attrs.chain = int("filter chain", chain, 0, 0xffffffff);
      const header = { ifindex, parent: p, handle: h, info: ((pr << 16) | htons(proto)) >>> 0 };
      await this.family.do("newtfilter", { header, attrs }, { ...options, flags });
    } finally {
      if (opened !== undefined) closeFd(opened);
    }
  }

  /** Adds a filter. */
  addFilter(link: string | number, spec: FilterSpec, options: WaitOptions = {}): Promise<void> {
    return this.#filter(NLM_F.CREATE | NLM_F.EXCL, link, spec, options);
  }

  /** Adds a filter or replaces the one with its priority, protocol and handle. */
  replaceFilter(link: string | number, spec: FilterSpec, options: WaitOptions = {}): Promise<void> {
    return this.#filter(NLM_F.CREATE | NLM_F.REPLACE, link, spec, options);
  }

  /** Deletes filters: one (prio, handle, kind), a priority's, or all of a parent's. */
  async deleteFilter(
    link: string | number,
    ref: FilterRef = {},
    options: WaitOptions = {},
  ): Promise<void> {
    const p = ref.parent === undefined ? TC_H.ROOT : parseHandle("filter parent", ref.parent);
    const pr = ref.prio === undefined ? 0 : int("filter prio", ref.prio, 1, 0xffff);
    const proto = ref.protocol === undefined ? 0 : protocolNumber(ref.protocol);
    const handle = ref.handle === undefined ? 0 : int("filter handle", ref.handle, 0, 0xffffffff);
    const ifindex = await this.ifindex(link);
    const attrs: Attrs = ref.kind === undefined ? {} : { kind: ref.kind };
    const header = { ifindex, parent: p, handle, info: ((pr << 16) | htons(proto)) >>> 0 };
    await this.family.do("deltfilter", { header, attrs }, options);
  }

  // ---- events

  /**
   * Qdisc, class and filter events (the tc multicast group), until the
   * signal aborts. The socket opens at the first `next()`.
   *
   * @example
   * ```ts ignore
   * for await (const e of tc.events({ signal: AbortSignal.timeout(5000) })) {
   *   if (e.kind === "qdisc") console.log(e.action, e.qdisc.kind, e.qdisc.handle);
   * }
   * ```
   */
  events(
    options: { signal?: AbortSignal; receiveBufferSize?: number } = {},
  ): AsyncIterableIterator<TcEvent> {
    const open = () =>
      NetlinkSocket.open(NETLINK.ROUTE, {
        ...this.#options,
        groups: [RTNLGRP_TC],
        receiveBufferSize: options.receiveBufferSize ?? this.#options.receiveBufferSize,
        signal: options.signal,
      });
    return (async function* (): AsyncGenerator<TcEvent> {
      const sock = open();
      const family = FamilyClient.attach<TcOps>(tc, sock);
      try {
        for await (const m of sock.events()) {
          if (m instanceof Overrun) {
            yield m;
            continue;
          }
          const t = m.type;
          if (t === 36 || t === 37) {
            yield {
              kind: "qdisc",
              action: t === 36 ? "new" : "del",
              qdisc: toQdisc(family.decode(m)),
            };
          } else if (t === 40 || t === 41) {
            yield {
              kind: "class",
              action: t === 40 ? "new" : "del",
              class: toClass(family.decode(m)),
            };
          } else if (t === 44 || t === 45) {
            yield {
              kind: "filter",
              action: t === 44 ? "new" : "del",
              filter: toFilter(family.decode(m)),
            };
          }
        }
      } finally {
        await sock.close();
      }
    })();
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.socket.close();
  }

  /** Same as {@linkcode Tc.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
