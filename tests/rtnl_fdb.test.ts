/**
 * The bridge FDB against the host kernel in fresh namespaces, compared
 * with `bridge -j fdb show` field by field: a bridge port's entries in the
 * bridge (`master`) and its own (`self`), a vxlan's remotes (`dst`, `vni`,
 * append); what bridge creates the library decodes as bridge prints it,
 * the same made by the library read back the same, delete and replace.
 * (Entries with a VLAN need vlan filtering, which this host's bridge
 * lacks: tests/vm/rtnl_bridge.test.ts has them.)
 */
import assert from "node:assert/strict";
import { formatAddress, formatMac } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { Neighbour } from "../src/rtnl/client.ts";
import type { FdbMode, FdbSpec } from "../src/rtnl/fdb.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "./helpers/netns.ts";

loadSys();

type Fdb = Record<string, unknown>;

const CASES: [string[], FdbSpec, FdbMode?][] = [
  [
    ["add", "02:00:00:00:00:01", "dev", "va", "master", "static"],
    { mac: "02:00:00:00:00:01", dev: "va", master: true, state: "static" },
  ],
  [
    ["add", "02:00:00:00:00:02", "dev", "va", "master"],
    { mac: "02:00:00:00:00:02", dev: "va", master: true },
  ],
  [
    ["add", "02:00:00:00:00:03", "dev", "va", "self"],
    { mac: "02:00:00:00:00:03", dev: "va", self: true },
  ],
  [
    ["add", "02:00:00:00:00:07", "dev", "va", "master", "extern_learn"],
    { mac: "02:00:00:00:00:07", dev: "va", master: true, externLearn: true },
  ],
  [
    ["append", "00:00:00:00:00:00", "dev", "vx0", "dst", "10.9.0.2"],
    { mac: "00:00:00:00:00:00", dev: "vx0", dst: "10.9.0.2" },
    "append",
  ],
  [
    ["append", "00:00:00:00:00:00", "dev", "vx0", "dst", "10.9.0.3", "vni", "43"],
    { mac: "00:00:00:00:00:00", dev: "vx0", dst: "10.9.0.3", vni: 43 },
    "append",
  ],
  [
    ["append", "00:00:00:00:00:00", "dev", "vx0", "dst", "10.9.0.6", "port", "4790"],
    { mac: "00:00:00:00:00:00", dev: "vx0", dst: "10.9.0.6", port: 4790 },
    "append",
  ],
  [
    ["add", "02:00:00:00:00:04", "dev", "vx0", "dst", "10.9.0.4", "dynamic"],
    { mac: "02:00:00:00:00:04", dev: "vx0", dst: "10.9.0.4", state: "dynamic" },
  ],
  [
    ["add", "02:00:00:00:00:05", "dev", "vx0", "dst", "10.9.0.5", "via", "vb"],
    { mac: "02:00:00:00:00:05", dev: "vx0", dst: "10.9.0.5", via: "vb" },
  ],
];
const OURS = new Set(CASES.map(([, s]) => s.mac));

async function withBridge(): Promise<Netns> {
  const ns = await makeNetns();
  await ns.ip("link", "add", "br0", "type", "bridge");
  await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
  await ns.ip("link", "set", "va", "master", "br0");
  await ns.ip("link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789");
  return ns;
}

const bridge = (ns: Netns, ...args: string[]) => run("bridge", "-n", ns.name, ...args);

async function bridgeFdb(ns: Netns): Promise<Fdb[]> {
  const all = JSON.parse(await bridge(ns, "-j", "fdb", "show") || "[]") as Fdb[];
  return all.filter((e) => OURS.has(e.mac as string));
}

const FLAG_NAMES: [string, string][] = [
  ["self", "self"],
  ["router", "router"],
  ["ext-learned", "extern_learn"],
  ["offloaded", "offload"],
  ["master", "master"],
  ["sticky", "sticky"],
];

/** What `bridge -j fdb show` prints of an entry, from what the library decoded. */
function asBridge(e: Neighbour, names: Map<number, string>): Fdb {
  const o: Fdb = { mac: formatMac(e.lladdr!), ifname: names.get(e.index) };
  if (e.vlan !== undefined) o.vlan = e.vlan;
  if (e.dst) o.dst = formatAddress(e.dst);
  if (e.port !== undefined) o.port = e.port;
  if (e.vni !== undefined) o.vni = e.vni;
  if (e.via !== undefined) o.viaIf = names.get(e.via);
  o.flags = FLAG_NAMES.filter(([f]) => e.flagNames.includes(f)).map(([, b]) => b);
  if (e.master !== undefined) o.master = names.get(e.master);
  const s = e.stateNames;
  o.state = s.includes("permanent")
    ? "permanent"
    : s.includes("noarp")
    ? "static"
    : s.includes("stale")
    ? "stale"
    : s.includes("reachable")
    ? ""
    : `0x${e.state.toString(16)}`;
  return o;
}

async function libFdb(rtnl: Rtnl): Promise<Fdb[]> {
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  return (await rtnl.fdb()).filter((e) => OURS.has(formatMac(e.lladdr!))).map((e) =>
    asBridge(e, names)
  );
}

Deno.test({
  name: "fdb: what bridge creates the library decodes as bridge -j fdb prints it",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await withBridge();
    for (const [args] of CASES) await bridge(ns, "fdb", ...args);
    await using rtnl = Rtnl.open({ netns: ns.name });
    const want = await bridgeFdb(ns);
    assert.equal(want.length, CASES.length);
    assert.deepEqual(await libFdb(rtnl), want);
    const vx = await rtnl.fdb({ dev: "vx0" });
    assert.equal(vx.length, 5);
  },
});

Deno.test({
  name: "fdb: what the library creates bridge sees as the same made by bridge; delete, replace",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byTool = await withBridge();
    await using byLib = await withBridge();
    for (const [args] of CASES) await bridge(byTool, "fdb", ...args);
    await using rtnl = Rtnl.open({ netns: byLib.name });
    for (const [, spec, mode] of CASES) await rtnl.addFdb(spec, { mode });
    assert.deepEqual(await bridgeFdb(byLib), await bridgeFdb(byTool));
    await assert.rejects(rtnl.addFdb(CASES[0][1]), /EEXIST/);

    await bridge(byTool, "fdb", "del", "00:00:00:00:00:00", "dev", "vx0", "dst", "10.9.0.2");
    await rtnl.deleteFdb({ mac: "00:00:00:00:00:00", dev: "vx0", dst: "10.9.0.2" });
    await bridge(byTool, "fdb", "del", "02:00:00:00:00:01", "dev", "va", "master");
    await rtnl.deleteFdb({ mac: "02:00:00:00:00:01", dev: "va", master: true });
    await bridge(byTool, "fdb", "replace", "02:00:00:00:00:02", "dev", "va", "master", "static");
    await rtnl.addFdb({ mac: "02:00:00:00:00:02", dev: "va", master: true, state: "static" }, {
      mode: "replace",
    });
    const want = await bridgeFdb(byTool);
    assert.deepEqual(await bridgeFdb(byLib), want);
    assert.equal(want.length, CASES.length - 2);
    assert.equal(want.find((e) => e.mac === "02:00:00:00:00:02")?.state, "static");

    await assert.rejects(
      rtnl.deleteFdb({ mac: "02:00:00:00:00:01", dev: "va", master: true }),
      /ENOENT/,
    );
    await assert.rejects(
      rtnl.addFdb({ mac: "02:00:00:00:00:09", dev: "va", vid: 3 } as never),
      /no field vid/,
    );
    await assert.rejects(
      rtnl.addFdb({ mac: "02:00:00:00:00:09", dev: "va", vlan: 4095 }),
      RangeError,
    );
    await assert.rejects(
      rtnl.addFdb({ mac: "02:00:00:00:00:09", dev: "va", state: "temp" as never }),
      /fdb state/,
    );
    await assert.rejects(
      rtnl.addFdb({ mac: "02:00:00:00:00:09", dev: "va" }, { mode: "merge" as never }),
      /fdb mode/,
    );
    await assert.rejects(rtnl.addFdb({ mac: "zz", dev: "va" }), TypeError);
  },
});
