/**
 * A tiny rtnetlink for the fake kernel: links by index and name, answered
 * as the kernel answers RTM_GETLINK (by index, or a dump), RTM_NEWLINK
 * (a veth pair: two links and their RTNLGRP_LINK events) and RTM_DELLINK.
 * Enough for socket-logic tests; what the kernel proves stays in
 * socket.test.ts.
 */
import { AttributeDecoder, type Message, MessageWriter, NLM_F } from "../../mod.ts";
import {
  dump,
  type DumpReplyOptions,
  error,
  type FakeRequest,
  message,
  multicast,
  type Reply,
  reply,
} from "../../src/testing/mod.ts";

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const ENODEV = 19;
const EEXIST = 17;
const RTNLGRP_LINK = 1;

/** An RTM_NEWLINK payload: ifinfomsg (index) and IFLA_IFNAME. */
export function linkPayload(index: number, name: string): Uint8Array {
  const w = new MessageWriter().begin(0);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  w.string(IFLA_IFNAME, name);
  return w.finish().subarray(16).slice();
}

function ifname(m: Message, fixed = 16): string | undefined {
  const ad = m.attributes(fixed);
  while (ad.next()) if (ad.type === IFLA_IFNAME) return ad.string();
  return undefined;
}

function peerName(m: Message): string | undefined {
  const ad = m.attributes(16);
  while (ad.next()) {
    if (ad.type !== IFLA_LINKINFO) continue;
    const info = ad.nested();
    while (info.next()) {
      if (info.type !== IFLA_INFO_DATA) continue;
      const data = info.nested();
      while (data.next()) {
        if (data.type !== VETH_INFO_PEER) continue;
        const v = data.value(); // ifinfomsg, then the peer's attributes
        const ad2 = new AttributeDecoder(v, 16, v.length);
        while (ad2.next()) if (ad2.type === IFLA_IFNAME) return ad2.string();
      }
    }
  }
  return undefined;
}

/** The links of a fake namespace, and a handler serving them. */
export class FakeLinks {
  readonly links = new Map<number, string>([[1, "lo"]]);
  #next = 2;
  /** How dumps are packed. */
  dumpOptions: DumpReplyOptions = {};

  add(name: string): number {
    const index = this.#next++;
    this.links.set(index, name);
    return index;
  }

  readonly handler = (req: FakeRequest): Reply[] | Reply | undefined => {
    const m = req.message;
    const index = new DataView(m.data.buffer, m.data.byteOffset).getInt32(m.offset + 20, true);
    if (m.type === RTM_GETLINK) {
      if ((m.flags & NLM_F.DUMP) === NLM_F.DUMP) {
        const all = [...this.links].map(([i, n]) => linkPayload(i, n));
        return dump(req, RTM_NEWLINK, all, this.dumpOptions);
      }
      const name = this.links.get(index);
      if (name === undefined) return error(req, ENODEV, { message: "no such device" });
      return reply(req, RTM_NEWLINK, linkPayload(index, name));
    }
    if (m.type === RTM_NEWLINK) {
      const name = ifname(m)!;
      const peer = peerName(m) ?? `${name}-peer`;
      if ([...this.links.values()].includes(name)) return error(req, EEXIST);
      const a = this.add(name);
      const b = this.add(peer);
      return [
        multicast(RTNLGRP_LINK, message(RTM_NEWLINK, linkPayload(a, name))),
        multicast(RTNLGRP_LINK, message(RTM_NEWLINK, linkPayload(b, peer))),
      ];
    }
    if (m.type === RTM_DELLINK) {
      const name = ifname(m);
      const found = [...this.links].find(([, n]) => n === name);
      if (!found) return error(req, ENODEV);
      this.links.delete(found[0]);
      return multicast(RTNLGRP_LINK, message(RTM_DELLINK, linkPayload(found[0], name!)));
    }
    return error(req, 95 /* EOPNOTSUPP */);
  };
}
