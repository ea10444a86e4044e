// A plain Node (or Bun) script against the installed npm package, in the
// netns named by argv[2]: lists links, an error reply, events, cancellation.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { MessageWriter, NETLINK, NetlinkError, NetlinkSocket, NLM_F } from "@netlink-ts/netlink";
import { Rtnl } from "@netlink-ts/netlink/rtnl";
import { FamilyClient } from "@netlink-ts/netlink/genl";
import { rtLink } from "@netlink-ts/netlink/families/rt_link";

const ns = process.argv[2];
const RTM_NEWLINK = 16, RTM_GETLINK = 18, IFLA_IFNAME = 3, RTNLGRP_LINK = 1;
const ip = (...a) => execFileSync("ip", ["-n", ns, ...a]).toString();
const nameOf = (m) => {
  const ad = m.attributes(16);
  while (ad.next()) if (ad.type === IFLA_IFNAME) return ad.string();
};
const getLink = (index, flags = 0) => {
  const w = new MessageWriter().begin(RTM_GETLINK, flags);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  return w;
};

const events = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns, groups: [RTNLGRP_LINK] });
const sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns });
ip("link", "add", "na", "type", "veth", "peer", "name", "nb");

const names = [];
for await (const m of sock.dump(getLink(0, NLM_F.DUMP))) names.push(nameOf(m));
const want = JSON.parse(ip("-j", "link")).map((l) => l.ifname);
assert.deepEqual(names, want);
console.log("PASS dump links:", names.join(" "));

await assert.rejects(sock.request(getLink(424242)), (e) => e instanceof NetlinkError && e.code === "ENODEV");
console.log("PASS error reply: ENODEV");

// The subpaths share the root's modules: ./rtnl's errors are the root's NetlinkError.
{
  const rtnl = Rtnl.open({ netns: ns });
  const link = await FamilyClient.open(rtLink, { netns: ns });
  try {
    assert.deepEqual((await rtnl.links()).map((l) => l.name), want);
    await assert.rejects(rtnl.deleteLink("no-such-link0"), (e) => e instanceof NetlinkError);
    const viaSpec = [];
    for await (const l of link.dump("getlink")) viaSpec.push(l.attrs.ifname);
    assert.deepEqual(viaSpec, want);
  } finally {
    await rtnl.close();
    await link.close();
  }
}
console.log("PASS subpaths: ./rtnl, ./genl, ./families/rt_link");

const seen = new Set();
for await (const ev of events.events({ signal: AbortSignal.timeout(5000) })) {
  if (ev.type === RTM_NEWLINK) seen.add(nameOf(ev));
  if (seen.has("na") && seen.has("nb")) break;
}
console.log("PASS events:", [...seen].join(" "));

const ac = new AbortController();
const pending = events.events({ signal: ac.signal }).next();
const t0 = performance.now();
setTimeout(() => ac.abort(), 20);
await assert.rejects(pending, { name: "AbortError" });
console.log(`PASS cancellation after ${(performance.now() - t0).toFixed(1)} ms`);

ip("link", "del", "na");
await sock.close();
await events.close();
console.log("PASS closed; the process must now exit by itself");
