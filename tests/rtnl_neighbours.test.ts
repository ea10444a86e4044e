/**
 * Neighbour entries and proxy entries against the host kernel in fresh
 * namespaces, compared with `ip -j neigh` and `ip -j neigh show proxy`
 * field by field: what ip creates the library decodes as ip prints it; the
 * same entries made by ip in one namespace and by the library in another
 * read back the same; replace, delete and flush do what ip's do.
 */
import assert from "node:assert/strict";
import { formatAddress, formatMac } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { Neighbour } from "../src/rtnl/client.ts";
import type { NeighbourSpec } from "../src/rtnl/neighbours.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "./helpers/netns.ts";

loadSys();

type IpNeigh = Record<string, unknown>;

const CASES: [string[], NeighbourSpec][] = [
  [
    ["10.8.0.2", "lladdr", "02:00:00:00:01:02"],
    { dev: "va", dst: "10.8.0.2", lladdr: "02:00:00:00:01:02" },
  ],
  [
    ["10.8.0.3", "lladdr", "02:00:00:00:01:03", "nud", "stale"],
    { dev: "va", dst: "10.8.0.3", lladdr: "02:00:00:00:01:03", state: "stale" },
  ],
  [
    ["10.8.0.4", "lladdr", "02:00:00:00:01:04", "nud", "noarp"],
    { dev: "va", dst: "10.8.0.4", lladdr: "02:00:00:00:01:04", state: "noarp" },
  ],
  [
    ["2001:db8:8::5", "lladdr", "02:00:00:00:01:05", "nud", "reachable", "router"],
    {
      dev: "va",
      dst: "2001:db8:8::5",
      lladdr: "02:00:00:00:01:05",
      state: "reachable",
      router: true,
    },
  ],
  [
    ["2001:db8:8::6", "lladdr", "02:00:00:00:01:06", "nud", "stale"],
    { dev: "va", dst: "2001:db8:8::6", lladdr: "02:00:00:00:01:06", state: "stale" },
  ],
  [["proxy", "10.8.0.9"], { dev: "va", dst: "10.8.0.9", proxy: true }],
  [["proxy", "2001:db8:8::9"], { dev: "va", dst: "2001:db8:8::9", proxy: true }],
];
const OURS = new Set(CASES.map(([, s]) => s.dst));

async function withLink(): Promise<Netns> {
  const ns = await makeNetns();
  await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
  await ns.ip("addr", "add", "10.8.0.1/24", "dev", "va");
  await ns.ip("link", "set", "va", "up");
  await ns.ip("link", "set", "vb", "up");
  return ns;
}

/** What `ip -j neigh` prints of an entry, from what the library decoded. */
function asIp(n: Neighbour, names: Map<number, string>): IpNeigh {
  const o: IpNeigh = { dst: formatAddress(n.dst!), dev: names.get(n.index) };
  if (n.lladdr) o.lladdr = formatMac(n.lladdr);
  if (n.flagNames.includes("router")) o.router = null;
  if (n.flagNames.includes("proxy")) o.proxy = null;
  if (n.state) o.state = n.stateNames.map((s) => s.toUpperCase());
  return o;
}

/** ip's entries of ours (not the kernel's multicast ones), and its proxy entries. */
async function ipNeigh(ns: Netns): Promise<IpNeigh[]> {
  const all = await ns.ipJson<IpNeigh[]>("neigh", "show", "nud", "all");
  const proxy = await ns.ipJson<IpNeigh[]>("neigh", "show", "proxy");
  return [...all.filter((e) => OURS.has(e.dst as string)), ...proxy];
}

async function libNeigh(rtnl: Rtnl): Promise<IpNeigh[]> {
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  const all = (await rtnl.neighbours()).filter((n) => OURS.has(formatAddress(n.dst!)));
  const proxy = await rtnl.neighbours({ proxy: true });
  return [...all, ...proxy].map((n) => asIp(n, names));
}

const byDst = (a: IpNeigh, b: IpNeigh) => String(a.dst).localeCompare(String(b.dst));

async function addByIp(ns: Netns) {
  for (const [args, spec] of CASES) {
    const v6 = spec.dst.includes(":") ? ["-6"] : [];
    await ns.ip(...v6, "neigh", "add", ...args, "dev", "va");
  }
}

Deno.test({
  name: "neighbours: what ip creates the library decodes as ip -j neigh prints it, proxies too",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await withLink();
    await addByIp(ns);
    await using rtnl = Rtnl.open({ netns: ns.name });
    const ip = (await ipNeigh(ns)).sort(byDst);
    assert.equal(ip.length, CASES.length);
    assert.deepEqual((await libNeigh(rtnl)).sort(byDst), ip);
    // one version only
    const v6 = await rtnl.neighbours({ ipVersion: 6, proxy: true });
    assert.deepEqual(v6.map((n) => formatAddress(n.dst!)), ["2001:db8:8::9"]);
  },
});

Deno.test({
  name: "neighbours: what the library creates ip sees as the same made by ip; replace, delete",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byIp = await withLink();
    await using byLib = await withLink();
    await addByIp(byIp);
    await using rtnl = Rtnl.open({ netns: byLib.name });
    for (const [, spec] of CASES) await rtnl.addNeighbour(spec);
    assert.deepEqual((await ipNeigh(byLib)).sort(byDst), (await ipNeigh(byIp)).sort(byDst));
    await assert.rejects(rtnl.addNeighbour(CASES[0][1]), /EEXIST/);

    await byIp.ip("neigh", "replace", "10.8.0.3", "lladdr", "02:00:00:00:0a:03", "dev", "va");
    await rtnl.addNeighbour({ dev: "va", dst: "10.8.0.3", lladdr: "02:00:00:00:0a:03" }, {
      mode: "replace",
    });
    await byIp.ip("neigh", "del", "proxy", "10.8.0.9", "dev", "va");
    await rtnl.deleteNeighbour({ dev: "va", dst: "10.8.0.9", proxy: true });
    await byIp.ip("neigh", "del", "10.8.0.2", "dev", "va");
    await rtnl.deleteNeighbour("va", "10.8.0.2");
    const want = (await ipNeigh(byIp)).sort(byDst);
    assert.deepEqual((await ipNeigh(byLib)).sort(byDst), want);
    assert.equal(want.length, CASES.length - 2);
    assert.deepEqual(want.find((e) => e.dst === "10.8.0.3")?.state, ["PERMANENT"]);
    await assert.rejects(rtnl.deleteNeighbour("va", "10.8.0.2"), /ENOENT/);
  },
});

Deno.test({
  name: "neighbours: flush removes what ip neigh flush removes; proxies apart; typed errors",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byIp = await withLink();
    await using byLib = await withLink();
    await addByIp(byIp);
    await addByIp(byLib);
    await using rtnl = Rtnl.open({ netns: byLib.name });
    await byIp.ip("neigh", "flush", "dev", "va");
    await byIp.ip("-6", "neigh", "flush", "dev", "va");
    // stale 10.8.0.3, reachable/stale ::5, ::6 (maybe more the kernel learnt)
    assert.ok(await rtnl.flushNeighbours({ dev: "va" }) >= 3);
    assert.deepEqual((await ipNeigh(byLib)).sort(byDst), (await ipNeigh(byIp)).sort(byDst));
    await byIp.ip("neigh", "flush", "proxy", "dev", "va");
    assert.equal(await rtnl.flushNeighbours({ dev: "va", proxy: true, ipVersion: 6 }), 1);
    assert.equal(await rtnl.flushNeighbours({ dev: "va", proxy: true }), 1); // the IPv4 one
    const left = (await ipNeigh(byLib)).sort(byDst);
    assert.deepEqual(left, (await ipNeigh(byIp)).sort(byDst));
    assert.deepEqual(left.map((e) => e.dst), ["10.8.0.2", "10.8.0.4"]); // permanent, noarp
    assert.equal(await rtnl.flushNeighbours({ states: ["permanent", "noarp"] }) >= 2, true);
    assert.deepEqual(await ipNeigh(byLib), []);

    await assert.rejects(
      rtnl.addNeighbour({ dev: "va", dst: "10.8.0.7", mac: "x" } as never),
      /no field mac/,
    );
    await assert.rejects(
      rtnl.addNeighbour({
        dev: "va",
        dst: "10.8.0.7",
        lladdr: "02:00:00:00:00:07",
        state: "perm" as never,
      }),
      /did you mean "permanent"/,
    );
    await assert.rejects(
      rtnl.addNeighbour({ dev: "va", dst: "10.8.0.7", lladdr: "02:00:00:00:00:07", proxy: true }),
      /proxy entry has none/,
    );
    await assert.rejects(rtnl.addNeighbour({ dev: "nope0", dst: "10.8.0.7" }), /ENODEV/);
    await assert.rejects(rtnl.flushNeighbours({ states: ["gone" as never] }), /flush state/);
  },
});
