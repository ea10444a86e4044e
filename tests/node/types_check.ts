// Compiled (never run) against the installed npm package by package.sh:
// the package's declarations resolve, and they type what they should.
import {
  type Message,
  MessageWriter,
  NETLINK,
  NetlinkError,
  NetlinkSocket,
  Overrun,
} from "@netlink-ts/netlink";
import { Rtnl } from "@netlink-ts/netlink/rtnl";
import type { FamilySpec } from "@netlink-ts/netlink/genl";
import { rtLink } from "@netlink-ts/netlink/families/rt_link";

export async function check(): Promise<void> {
  await using sock: NetlinkSocket = NetlinkSocket.open(NETLINK.ROUTE, { groups: [1] });
  const w = new MessageWriter().begin(18);
  w.view.setInt32(w.fixed(16) + 4, 1, true);
  const replies: Message[] = await sock.request(w);
  const types: number[] = await sock.request(w, { map: (m) => m.type });
  for await (const ev of sock.events({ signal: AbortSignal.timeout(10) })) {
    if (!(ev instanceof Overrun)) ev.payload.byteLength;
  }
  await using rtnl = Rtnl.open();
  const names: string[] = (await rtnl.links()).map((l) => l.name);
  const spec: FamilySpec = rtLink;
  try {
    await sock.request(w);
  } catch (e) {
    if (e instanceof NetlinkError) e.code.toLowerCase();
  }
  // @ts-expect-error: a protocol is a number
  NetlinkSocket.open("route");
  // @ts-expect-error: replies are Messages, not strings
  const wrong: string[] = await sock.request(w);
  void [replies, types, names, spec, wrong];
}
