/**
 * Routes beyond the basics against the host kernel in a fresh netns,
 * compared with `ip -j route` and `ip -j route get` field by field: types,
 * scope, protocol, prefsrc, metrics, multipath with weights, replace and
 * append, IPv4 and IPv6; what the library creates ip sees, what ip creates
 * the library decodes.
 */
import assert from "node:assert/strict";
import { formatAddress, formatPrefix } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { Link, Route } from "../src/rtnl/client.ts";
import { decodeMultipath, encodeMultipath } from "../src/rtnl/routes.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "./helpers/netns.ts";

loadSys();

interface IpHop {
  gateway?: string;
  dev: string;
  weight: number;
}
interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  metrics?: Record<string, number>[];
  nexthops?: IpHop[];
}

/** Two veth pairs up, with v4 and v6 addresses, in a fresh namespace. */
async function twoLinks(): Promise<Netns> {
  const ns = await makeNetns();
  for (const [a, b, n] of [["ra", "rb", 1], ["rc", "rd", 2]] as const) {
    await ns.ip("link", "add", a, "type", "veth", "peer", "name", b);
    await ns.ip("link", "set", a, "up");
    await ns.ip("link", "set", b, "up");
    await ns.ip("addr", "add", `10.4${n}.0.1/24`, "dev", a);
    await ns.ip("addr", "add", `2001:db8:4${n}::1/64`, "dev", a, "nodad");
  }
  return ns;
}

/** `ip`'s text for a route's destination: "default" or the prefix, bare for a host route. */
function ipDst(r: Route): string {
  if (!r.dst) return "default";
  const full = r.dst.length * 8;
  return r.dstLength === full ? formatAddress(r.dst) : formatPrefix(r.dst, r.dstLength);
}

/** What `ip -j route` prints of a route, from what the library decoded. */
function asIp(r: Route, names: Map<number, string>): IpRoute {
  const out: IpRoute = { dst: ipDst(r) };
  if (r.typeName !== "unicast") out.type = r.typeName;
  if (r.gateway) out.gateway = formatAddress(r.gateway);
  if (r.oif !== undefined) out.dev = names.get(r.oif);
  if (r.table !== 254) out.table = String(r.table);
  if (r.protocolName !== "boot") out.protocol = r.protocolName; // ip -j leaves boot out
  if (r.scopeName !== "universe") out.scope = r.scopeName;
  if (r.prefsrc) out.prefsrc = formatAddress(r.prefsrc);
  if (r.priority !== undefined) out.metric = r.priority;
  if (r.metrics) {
    const m: Record<string, number> = {};
    if (r.metrics.mtu !== undefined) m.mtu = r.metrics.mtu;
    if (r.metrics.advmss !== undefined) m.advmss = r.metrics.advmss;
    if (r.metrics.hoplimit !== undefined) m.hoplimit = r.metrics.hoplimit;
    out.metrics = [m];
  }
  if (r.multipath) {
    out.nexthops = r.multipath.map((h) => {
      const hop: IpHop = { dev: names.get(h.ifindex)!, weight: h.weight };
      if (h.gateway) hop.gateway = formatAddress(h.gateway);
      return hop;
    });
  }
  return out;
}

/** The fields of `ip -j route` that {@linkcode asIp} models, and only those. */
function pick(r: IpRoute): IpRoute {
  const out: IpRoute = { dst: r.dst };
  for (const k of ["type", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric"]) {
    const v = (r as unknown as Record<string, unknown>)[k];
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (r.metrics) out.metrics = r.metrics;
  if (r.nexthops) {
    out.nexthops = r.nexthops.map((h) => {
      const hop: IpHop = { dev: h.dev, weight: h.weight };
      if (h.gateway) hop.gateway = h.gateway;
      return hop;
    });
  }
  return out;
}

function names(links: Link[]): Map<number, string> {
  return new Map(links.map((l) => [l.index, l.name]));
}

const byDst = (a: IpRoute, b: IpRoute) =>
  (a.table ?? "").localeCompare(b.table ?? "") || a.dst.localeCompare(b.dst);

Deno.test({
  name: "routes: what ip creates (types, tables, metrics, multipath) the library decodes as ip -j",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await twoLinks();
    await ns.ip("route", "add", "blackhole", "10.50.0.0/16", "table", "100");
    await ns.ip("route", "add", "unreachable", "10.51.0.0/16", "table", "100", "metric", "5");
    await ns.ip("route", "add", "prohibit", "10.52.0.0/16", "table", "100");
    await ns.ip("route", "add", "local", "10.53.0.1", "dev", "ra", "table", "100");
    await ns.ip(
      ...["route", "add", "10.54.0.0/16", "via", "10.41.0.2", "proto", "static"],
      ...["src", "10.41.0.1", "mtu", "1400", "advmss", "1360", "table", "100"],
    );
    await ns.ip(
      ...["route", "add", "10.55.0.0/16", "table", "100", "nexthop", "via", "10.41.0.2"],
      ...["dev", "ra", "weight", "1", "nexthop", "via", "10.42.0.2", "dev", "rc", "weight", "3"],
    );
    await ns.ip(
      ...["-6", "route", "add", "2001:db8:55::/48", "table", "100", "nexthop", "via"],
      ...["2001:db8:41::2", "dev", "ra", "weight", "2", "nexthop", "via", "2001:db8:42::2"],
      ...["dev", "rc", "weight", "5"],
    );
    const ip4 = await ns.ipJson<IpRoute[]>("-4", "route", "show", "table", "100");
    const ip6 = await ns.ipJson<IpRoute[]>("-6", "route", "show", "table", "100");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const n = names(await rtnl.links());
    const lib4 = (await rtnl.routes({ ipVersion: 4, table: 100 })).map((r) => asIp(r, n));
    const lib6 = (await rtnl.routes({ ipVersion: 6, table: 100 })).map((r) => asIp(r, n));
    assert.equal(ip4.length, 6);
    assert.deepEqual(
      lib4.sort(byDst),
      ip4.map(pick).map((r) => ({ ...r, table: "100" })).sort(byDst),
    );
    const mp6 = ip6.filter((r) => r.nexthops).map(pick);
    assert.equal(mp6.length, 1);
    assert.deepEqual(lib6.filter((r) => r.nexthops), mp6.map((r) => ({ ...r, table: "100" })));
  },
});

Deno.test({
  name: "routes: what the library creates (types, metrics, prefsrc, multipath) ip sees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await twoLinks();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addRoute({ dst: "10.60.0.0/16", type: "blackhole", table: 200 });
    await rtnl.addRoute({ dst: "10.61.0.0/16", type: "unreachable", table: 200, metric: 9 });
    await rtnl.addRoute({ dst: "10.62.0.0/16", type: "prohibit", table: 200 });
    await rtnl.addRoute({ dst: "10.63.0.1/32", type: "local", dev: "ra", table: 200 });
    await rtnl.addRoute({
      dst: "10.64.0.0/16",
      gateway: "10.41.0.2",
      protocol: "static",
      prefsrc: "10.41.0.1",
      metrics: { mtu: 1400, advmss: 1360 },
      table: 200,
    });
    await rtnl.addRoute({
      dst: "10.65.0.0/16",
      table: 200,
      multipath: [
        { gateway: "10.41.0.2", dev: "ra", weight: 1 },
        { gateway: "10.42.0.2", dev: "rc", weight: 4 },
      ],
    });
    await rtnl.addRoute({
      dst: "2001:db8:65::/48",
      table: 200,
      multipath: [
        { gateway: "2001:db8:41::2", dev: "ra", weight: 3 },
        { gateway: "2001:db8:42::2", dev: "rc", weight: 7 },
      ],
    });
    const ip4 = (await ns.ipJson<IpRoute[]>("-4", "route", "show", "table", "200")).map(pick);
    assert.deepEqual(
      ip4.sort(byDst),
      [
        { type: "blackhole", dst: "10.60.0.0/16" },
        { type: "unreachable", dst: "10.61.0.0/16", metric: 9 },
        { type: "prohibit", dst: "10.62.0.0/16" },
        { type: "local", dst: "10.63.0.1", dev: "ra", scope: "host" },
        {
          dst: "10.64.0.0/16",
          gateway: "10.41.0.2",
          dev: "ra",
          protocol: "static",
          prefsrc: "10.41.0.1",
          metrics: [{ mtu: 1400, advmss: 1360 }],
        },
        {
          dst: "10.65.0.0/16",
          nexthops: [
            { gateway: "10.41.0.2", dev: "ra", weight: 1 },
            { gateway: "10.42.0.2", dev: "rc", weight: 4 },
          ],
        },
      ].sort(byDst),
    );
    const ip6 = (await ns.ipJson<IpRoute[]>("-6", "route", "show", "table", "200")).map(pick);
    assert.deepEqual(ip6.find((r) => r.dst === "2001:db8:65::/48")?.nexthops, [
      { gateway: "2001:db8:41::2", dev: "ra", weight: 3 },
      { gateway: "2001:db8:42::2", dev: "rc", weight: 7 },
    ]);
    // and deleted by type, as `ip route del blackhole ...`
    await rtnl.deleteRoute({ dst: "10.60.0.0/16", table: 200 });
    await rtnl.deleteRoute({ dst: "10.65.0.0/16", table: 200 });
    const left = await ns.ipJson<IpRoute[]>("-4", "route", "show", "table", "200");
    assert.deepEqual(left.map((r) => r.dst).sort(), [
      "10.61.0.0/16",
      "10.62.0.0/16",
      "10.63.0.1",
      "10.64.0.0/16",
    ]);
  },
});

Deno.test({
  name: "routes: replace overwrites, append adds, create refuses a duplicate (as ip sees)",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await twoLinks();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addRoute({ dst: "10.70.0.0/16", gateway: "10.41.0.2" });
    await assert.rejects(
      rtnl.addRoute({ dst: "10.70.0.0/16", gateway: "10.42.0.2" }),
      (e: Error) => e.name === "NetlinkError" && /EEXIST/.test(e.message),
    );
    await rtnl.addRoute({ dst: "10.70.0.0/16", gateway: "10.42.0.2" }, { mode: "replace" });
    let ip = await ns.ipJson<IpRoute[]>("route", "show", "10.70.0.0/16");
    assert.deepEqual(ip.map((r) => [r.gateway, r.dev]), [["10.42.0.2", "rc"]]);
    await rtnl.addRoute({ dst: "10.70.0.0/16", type: "blackhole" }, { mode: "append" });
    ip = await ns.ipJson<IpRoute[]>("route", "show", "10.70.0.0/16");
    assert.deepEqual(ip.map((r) => r.type ?? "unicast").sort(), ["blackhole", "unicast"]);
    await assert.rejects(
      rtnl.addRoute({ dst: "10.71.0.0/16", type: "blackhol" as "blackhole" }),
      (e: Error) => e instanceof TypeError && /blackhole/.test(e.message),
    );
    await assert.rejects(
      rtnl.addRoute({ dst: "10.71.0.0/16" }, { mode: "upsert" as "replace" }),
      TypeError,
    );
    await assert.rejects(
      rtnl.addRoute({ dst: "10.71.0.0/16", multipath: [{ dev: "ra", weight: 0 }] }),
      RangeError,
    );
  },
});

Deno.test({
  name: "routes: routeGet answers what ip -j route get does, IPv4 and IPv6",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await twoLinks();
    await ns.ip("route", "add", "10.80.0.0/16", "via", "10.42.0.2", "src", "10.42.0.1");
    await ns.ip("route", "add", "2001:db8:80::/48", "via", "2001:db8:41::2");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const n = names(await rtnl.links());
    for (
      const [dst, extra] of [["10.80.1.2", []], ["10.41.0.7", []], ["2001:db8:80::9", []], [
        "10.80.1.2",
        ["from", "10.41.0.1"],
      ]] as const
    ) {
      const [ip] = await ns.ipJson<IpRoute[]>("route", "get", dst, ...extra);
      const r = await rtnl.routeGet(dst, extra.length ? { from: extra[1] } : {});
      assert.equal(formatAddress(r.dst!), ip.dst, dst);
      assert.equal(r.gateway && formatAddress(r.gateway), ip.gateway, `${dst} gateway`);
      assert.equal(n.get(r.oif!), ip.dev, `${dst} dev`);
      assert.equal(r.prefsrc && formatAddress(r.prefsrc), ip.prefsrc, `${dst} prefsrc`);
      assert.equal(r.typeName, ip.type ?? "unicast", `${dst} type`);
    }
    await assert.rejects(rtnl.routeGet("10.99.0.1", { oif: "nosuch" }), /ENODEV|nosuch/);
  },
});

Deno.test("routes: multipath bytes round-trip and bad lengths are ParseErrors", () => {
  const gw = new Uint8Array([10, 0, 0, 2]);
  const bytes = encodeMultipath([{ ifindex: 3, weight: 2, gateway: gw }, { ifindex: 4 }]);
  const hops = decodeMultipath(bytes);
  assert.deepEqual(
    hops.map((h) => [h.ifindex, h.weight, h.flags, h.gateway && [...h.gateway]]),
    [[3, 2, 0, [10, 0, 0, 2]], [4, 1, 0, undefined]],
  );
  assert.throws(() => decodeMultipath(new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0])), {
    name: "ParseError",
  });
  assert.throws(() => decodeMultipath(bytes.subarray(0, bytes.length - 2)), { name: "ParseError" });
});
