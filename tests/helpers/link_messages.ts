/**
 * RTM_*LINK requests and a reply reader shared by the socket tests that
 * run on the real kernel and those that run on the fake one.
 */
import { type Message, MessageWriter, NLM_F, Overrun } from "../../mod.ts";

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
/** IFLA_IFNAME. */
export const IFLA_IFNAME = 3;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;

/** RTM_GETLINK for one index (0 with NLM_F.DUMP for all). */
export function getLink(index: number, flags = 0): MessageWriter {
  const w = new MessageWriter().begin(RTM_GETLINK, flags);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  return w;
}

/**
 * An event stream's item as a message: a test that provokes no overrun
 * fails on one.
 */
export function noOverrun(item: Message | Overrun): Message {
  if (item instanceof Overrun) throw new Error(`unexpected overrun (${item.cause})`);
  return item;
}

/** The index and name of an RTM_NEWLINK message. */
export function linkName(m: Message): { index: number; name: string } {
  const index = new DataView(m.data.buffer, m.data.byteOffset).getInt32(m.offset + 20, true);
  const ad = m.attributes(16);
  let name = "";
  while (ad.next()) if (ad.type === IFLA_IFNAME) name = ad.string();
  return { index, name };
}

/** RTM_NEWLINK of a veth pair `name` and `peer`. */
export function newVeth(name: string, peer: string): MessageWriter {
  const w = new MessageWriter().begin(RTM_NEWLINK, NLM_F.CREATE | NLM_F.EXCL);
  w.fixed(16);
  w.string(IFLA_IFNAME, name);
  const info = w.nestStart(IFLA_LINKINFO);
  w.string(IFLA_INFO_KIND, "veth");
  const data = w.nestStart(IFLA_INFO_DATA);
  const p = w.nestStart(VETH_INFO_PEER);
  w.fixed(16);
  w.string(IFLA_IFNAME, peer);
  w.nestEnd(p);
  w.nestEnd(data);
  w.nestEnd(info);
  return w;
}
