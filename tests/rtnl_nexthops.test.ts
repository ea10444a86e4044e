/**
 * Nexthop objects and groups against the host kernel in a fresh netns,
 * compared with `ip -j nexthop` field by field, and a route over a group
 * with `ip -j route` and `ip -j route get`: what the library creates ip
 * sees, what ip creates the library decodes.
 */
import assert from "node:assert/strict";
import { formatAddress } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { Nexthop } from "../src/rtnl/nexthops.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "./helpers/netns.ts";

loadSys();

interface IpNexthop {
  id: number;
  gateway?: string;
  dev?: string;
  blackhole?: null | boolean;
  group?: { id: number; weight?: number }[];
  type?: string;
}

async function oneLink(): Promise<Netns> {
  const ns = await makeNetns();
  await ns.ip("link", "add", "ra", "type", "veth", "peer", "name", "rb");
  await ns.ip("link", "set", "ra", "up");
  await ns.ip("link", "set", "rb", "up");
  await ns.ip("addr", "add", "10.41.0.1/24", "dev", "ra");
  await ns.ip("addr", "add", "2001:db8:41::1/64", "dev", "ra", "nodad");
  return ns;
}

/** What `ip -j nexthop` prints of a nexthop, from what the library decoded. */
function asIp(n: Nexthop, names: Map<number, string>): IpNexthop {
  const out: IpNexthop = { id: n.id };
  if (n.gateway) out.gateway = formatAddress(n.gateway);
  if (n.oif !== undefined) out.dev = names.get(n.oif);
  if (n.blackhole) out.blackhole = null;
  if (n.group) {
    // ip leaves weight 1 out
    out.group = n.group.map((g) => g.weight === 1 ? { id: g.id } : g);
    if (n.groupType !== "mpath") out.type = n.groupType;
  }
  return out;
}

function pick(n: IpNexthop): IpNexthop {
  const out: IpNexthop = { id: n.id };
  if (n.gateway) out.gateway = n.gateway;
  if (n.dev) out.dev = n.dev;
  if ("blackhole" in n) out.blackhole = n.blackhole;
  if (n.group) out.group = n.group;
  if (n.type && n.type !== "mpath") out.type = n.type;
  return out;
}

Deno.test({
  name: "nexthops: what ip creates the library decodes as ip -j nexthop",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await oneLink();
    await ns.ip("nexthop", "add", "id", "1", "via", "10.41.0.2", "dev", "ra");
    await ns.ip("nexthop", "add", "id", "2", "via", "2001:db8:41::2", "dev", "ra");
    await ns.ip("nexthop", "add", "id", "3", "blackhole");
    await ns.ip("nexthop", "add", "id", "4", "dev", "ra");
    await ns.ip("nexthop", "add", "id", "5", "via", "10.41.0.3", "dev", "ra");
    await ns.ip("nexthop", "add", "id", "10", "group", "1/5,3");
    await ns.ip(
      "nexthop",
      "add",
      "id",
      "11",
      "group",
      "1,2/5,7",
      "type",
      "resilient",
      "buckets",
      "8",
    );
    await using rtnl = Rtnl.open({ netns: ns.name });
    const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
    const ip = (await ns.ipJson<IpNexthop[]>("nexthop", "show")).map(pick);
    const lib = (await rtnl.nexthops()).map((n) => asIp(n, names));
    assert.equal(ip.length, 7);
    assert.deepEqual(lib, ip);
  },
});

Deno.test({
  name: "nexthops: what the library creates ip sees; an ECMP route over a group routes as ip says",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await oneLink();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addNexthop({ id: 1, gateway: "10.41.0.2", dev: "ra" });
    await rtnl.addNexthop({ id: 2, gateway: "10.41.0.3", dev: "ra" });
    await rtnl.addNexthop({ id: 3, gateway: "2001:db8:41::2", dev: "ra" });
    await rtnl.addNexthop({ id: 4, blackhole: true });
    await rtnl.addNexthop({ id: 10, group: [{ id: 1 }, { id: 2, weight: 200 }] });
    await rtnl.addNexthop({ id: 11, group: [{ id: 1 }, { id: 2 }], type: "resilient" })
      .catch((e) => assert.match(String(e), /buckets/)); // the kernel wants a bucket count
    assert.deepEqual((await ns.ipJson<IpNexthop[]>("nexthop", "show")).map(pick), [
      { id: 1, gateway: "10.41.0.2", dev: "ra" },
      { id: 2, gateway: "10.41.0.3", dev: "ra" },
      { id: 3, gateway: "2001:db8:41::2", dev: "ra" },
      { id: 4, blackhole: null },
      { id: 10, group: [{ id: 1 }, { id: 2, weight: 200 }] },
    ]);
    await rtnl.addNexthop({ id: 2, gateway: "10.41.0.4", dev: "ra" }, { mode: "replace" });
    await assert.rejects(rtnl.addNexthop({ id: 2, gateway: "10.41.0.5", dev: "ra" }), /EEXIST/);
    await rtnl.addRoute({ dst: "10.90.0.0/16", nexthop: 10 });
    const [ipr] = await ns.ipJson<
      { nhid: number; nexthops: { gateway: string; weight: number }[] }[]
    >(
      "route",
      "show",
      "10.90.0.0/16",
    );
    const [lib] = await rtnl.routes({ ipVersion: 4 }).then((rs) =>
      rs.filter((r) => r.dstLength === 16)
    );
    assert.equal(lib.nexthopId, ipr.nhid);
    assert.deepEqual(
      lib.multipath?.map((h) => ({ gateway: formatAddress(h.gateway!), weight: h.weight })),
      ipr.nexthops.map((h) => ({ gateway: h.gateway, weight: h.weight })),
    );
    for (const dst of ["10.90.1.1", "10.90.7.9", "10.90.200.3"]) {
      const [g] = await ns.ipJson<{ gateway: string; dev: string }[]>("route", "get", dst);
      const r = await rtnl.routeGet(dst);
      assert.deepEqual([formatAddress(r.gateway!), names(r.oif)], [g.gateway, g.dev], dst);
    }
    await rtnl.deleteNexthop(10);
    assert.deepEqual(await ns.ipJson("route", "show", "10.90.0.0/16"), []);
    assert.deepEqual((await ns.ipJson<IpNexthop[]>("nexthop", "show")).map((n) => n.id), [
      1,
      2,
      3,
      4,
    ]);
    await assert.rejects(rtnl.addNexthop({ id: 0, blackhole: true }), RangeError);
    await assert.rejects(rtnl.addNexthop({ id: 9, group: [{ id: 1, weight: 257 }] }), RangeError);
    await assert.rejects(rtnl.addNexthop({ id: 9, via: "1.2.3.4" } as never), /no field via/);
    await assert.rejects(rtnl.deleteNexthop(99), /ENOENT/);

    function names(i?: number) {
      return i === 1 ? "lo" : i === undefined ? undefined : "ra";
    }
  },
});

Deno.test("nexthops: a group's bytes decode by the spec's struct; a torn one is a ParseError", async () => {
  const { decodeGroup } = await import("../src/rtnl/nexthops.ts");
  assert.deepEqual(decodeGroup(new Uint8Array([7, 0, 0, 0, 43, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0])), [
    { id: 7, weight: 300 },
    { id: 9, weight: 1 },
  ]);
  assert.throws(() => decodeGroup(new Uint8Array(12)), { name: "ParseError" });
});
