/**
 * Micro-benchmarks of the codec: `deno bench bench/`. No kernel needed.
 */
import { AttributeDecoder, Message, MessageWriter } from "../mod.ts";
import { decodeAttrs, encodeAttrs } from "../src/ynl/mod.ts";
import { familyTables } from "../src/families/mod.ts";
import { RouteView } from "../src/rtnl/mod.ts";

const link = familyTables.rt_link;
const route = new MessageWriter().begin(24 /* RTM_NEWROUTE */);
route.buffer.set([2, 32, 0, 0, 254, 3, 0, 1], route.fixed(12));
route.u32(15, 254).put(1, new Uint8Array([10, 1, 2, 3])).u32(4, 7).u32(6, 100);
const routeBytes = route.finish().slice();
const [routeMsg] = Message.parseAll(routeBytes);

const lw = new MessageWriter().begin(16 /* RTM_NEWLINK */);
lw.fixed(16);
encodeAttrs(link, "link-attrs", lw, {
  ifname: "eth0",
  mtu: 1500,
  txqlen: 1000,
  operstate: 6,
  address: new Uint8Array(6),
  linkinfo: { kind: "veth" },
});
const linkBytes = lw.finish().slice();
const [linkMsg] = Message.parseAll(linkBytes);

const w = new MessageWriter(4096);
Deno.bench("MessageWriter: one RTM_GETROUTE request", { group: "write" }, () => {
  w.reset().begin(26, 0x300);
  w.fixed(12);
  w.finish();
});
Deno.bench("encodeAttrs: an rt-link message from an object", { group: "write" }, () => {
  w.reset().begin(16);
  w.fixed(16);
  encodeAttrs(link, "link-attrs", w, { ifname: "eth0", mtu: 1500, linkinfo: { kind: "veth" } });
  w.finish();
});
Deno.bench("Message.parseAll: one route", { group: "read" }, () => {
  Message.parseAll(routeBytes);
});
Deno.bench("AttributeDecoder: walk a route's attributes", { group: "read" }, () => {
  const ad = new AttributeDecoder(routeBytes, 28);
  let n = 0;
  while (ad.next()) n += ad.type;
  if (n < 0) throw new Error();
});
Deno.bench("RouteView: build and read dst, oif, table", { group: "read", baseline: true }, () => {
  const r = new RouteView(routeMsg);
  if (r.dst === undefined || r.oif === undefined || r.table !== 254) throw new Error();
});
Deno.bench("decodeAttrs: a route, generic and eager", { group: "read" }, () => {
  decodeAttrs(familyTables.rt_route, "route-attrs", routeMsg.attributes(12));
});
Deno.bench("decodeAttrs: a link with a sub-message, generic and eager", { group: "read" }, () => {
  decodeAttrs(link, "link-attrs", linkMsg.attributes(16));
});
