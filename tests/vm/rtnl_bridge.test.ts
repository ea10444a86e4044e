/**
 * Bridge VLANs and per-VLAN FDB entries, in the VM (this host's bridge has
 * no vlan filtering), compared with `bridge -j vlan show` and
 * `bridge -j fdb show` field by field: the same made by `bridge` in one
 * namespace and by the library in another read back the same, and the
 * library decodes what bridge made as bridge prints it.
 */
import assert from "node:assert/strict";
import { formatMac } from "../../mod.ts";
import { Rtnl } from "../../src/rtnl/mod.ts";
import type { BridgeVlanSpec } from "../../src/rtnl/bridge_vlans.ts";
import type { FdbSpec } from "../../src/rtnl/fdb.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["bridge", "veth"];

const bridge = (ns: Netns, ...a: string[]) => run("bridge", "-n", ns.name, ...a);
const bridgeJson = async <T>(ns: Netns, ...a: string[]) =>
  JSON.parse(await bridge(ns, "-j", ...a) || "[]") as T;

/** `bridge vlan` arguments and the library's spec for the same. */
const VLANS: [string[], BridgeVlanSpec, "add" | "del"][] = [
  [["dev", "va", "vid", "10", "pvid", "untagged"], {
    dev: "va",
    vid: 10,
    pvid: true,
    untagged: true,
  }, "add"],
  [["dev", "va", "vid", "20-22"], { dev: "va", vid: 20, vidEnd: 22 }, "add"],
  [["dev", "va", "vid", "1"], { dev: "va", vid: 1 }, "del"],
  [["dev", "vc", "vid", "30", "untagged"], { dev: "vc", vid: 30, untagged: true }, "add"],
  [["dev", "br0", "vid", "10", "self"], { dev: "br0", vid: 10, self: true }, "add"],
];

const FDB: [string[], FdbSpec][] = [
  [["02:00:00:00:00:10", "dev", "va", "master", "static", "vlan", "10"], {
    mac: "02:00:00:00:00:10",
    dev: "va",
    master: true,
    state: "static",
    vlan: 10,
  }],
  [["02:00:00:00:00:21", "dev", "va", "master", "vlan", "21"], {
    mac: "02:00:00:00:00:21",
    dev: "va",
    master: true,
    vlan: 21,
  }],
];

async function withBridge(): Promise<Netns> {
  const ns = await makeNetns();
  await ns.ip("link", "add", "br0", "type", "bridge", "vlan_filtering", "1");
  for (const [a, b] of [["va", "vb"], ["vc", "vd"]]) {
    await ns.ip("link", "add", a, "type", "veth", "peer", "name", b);
    await ns.ip("link", "set", a, "master", "br0");
  }
  return ns;
}

type Vid = { ifname: string; vid: number; pvid: boolean; untagged: boolean };

/** `bridge -j vlan show`, one row per VLAN id (ranges expanded). */
async function toolVlans(ns: Netns): Promise<Vid[]> {
  const links = await bridgeJson<
    { ifname: string; vlans: { vlan: number; vlanEnd?: number; flags?: string[] }[] }[]
  >(ns, "vlan", "show");
  const out: Vid[] = [];
  for (const l of links) {
    for (const v of l.vlans) {
      for (let vid = v.vlan; vid <= (v.vlanEnd ?? v.vlan); vid++) {
        out.push({
          ifname: l.ifname,
          vid,
          pvid: v.flags?.includes("PVID") ?? false,
          untagged: v.flags?.includes("Egress Untagged") ?? false,
        });
      }
    }
  }
  return out;
}

async function libVlans(rtnl: Rtnl): Promise<Vid[]> {
  return (await rtnl.bridgeVlans()).flatMap((l) =>
    l.vlans.map((v) => ({ ifname: l.name, vid: v.vid, pvid: v.pvid, untagged: v.untagged }))
  );
}

const order = (a: Vid, b: Vid) => a.ifname.localeCompare(b.ifname) || a.vid - b.vid;

type Fdb = { mac: string; ifname?: string; vlan?: number; master?: string; state: string };
const MACS = new Set(FDB.map(([, s]) => s.mac));

async function toolFdb(ns: Netns): Promise<Fdb[]> {
  return (await bridgeJson<Fdb[]>(ns, "fdb", "show")).filter((e) => MACS.has(e.mac)).map((e) => ({
    mac: e.mac,
    ifname: e.ifname,
    vlan: e.vlan,
    master: e.master,
    state: e.state,
  }));
}

Deno.test({
  name: "bridge vlans: the library's read back as bridge's; it decodes bridge's as bridge prints",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byTool = await withBridge();
    await using byLib = await withBridge();
    for (const [args, , op] of VLANS) await bridge(byTool, "vlan", op, ...args);
    await using rtnl = Rtnl.open({ netns: byLib.name });
    for (const [, spec, op] of VLANS) {
      await (op === "add" ? rtnl.addBridgeVlan(spec) : rtnl.deleteBridgeVlan(spec));
    }
    const want = (await toolVlans(byTool)).sort(order);
    assert.deepEqual((await toolVlans(byLib)).sort(order), want);
    // va: 10 (pvid, untagged), 20..22; no 1
    assert.deepEqual(
      want.filter((v) => v.ifname === "va").map((v) => [v.vid, v.pvid, v.untagged]),
      [
        [10, true, true],
        [20, false, false],
        [21, false, false],
        [22, false, false],
      ],
    );
    await using rtnl2 = Rtnl.open({ netns: byTool.name });
    assert.deepEqual((await libVlans(rtnl2)).sort(order), want);

    await rtnl.deleteBridgeVlan({ dev: "va", vid: 20, vidEnd: 22 });
    await bridge(byTool, "vlan", "del", "dev", "va", "vid", "20-22");
    assert.deepEqual((await toolVlans(byLib)).sort(order), (await toolVlans(byTool)).sort(order));
    await assert.rejects(rtnl.addBridgeVlan({ dev: "va", vid: 4095 }), RangeError);
    await assert.rejects(rtnl.addBridgeVlan({ dev: "va", vid: 5, vidEnd: 7, pvid: true }), /range/);
    await assert.rejects(rtnl.addBridgeVlan({ dev: "va", vlan: 5 } as never), /no field vlan/);
  },
});

Deno.test({
  name: "bridge fdb with vlans: the library's read back as bridge's; decoded as bridge prints",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byTool = await withBridge();
    await using byLib = await withBridge();
    for (const ns of [byTool, byLib]) {
      await bridge(ns, "vlan", "add", "dev", "va", "vid", "10");
      await bridge(ns, "vlan", "add", "dev", "va", "vid", "21");
    }
    for (const [args] of FDB) await bridge(byTool, "fdb", "add", ...args);
    await using rtnl = Rtnl.open({ netns: byLib.name });
    for (const [, spec] of FDB) await rtnl.addFdb(spec);
    const want = await toolFdb(byTool);
    assert.equal(want.length, FDB.length);
    assert.deepEqual(await toolFdb(byLib), want);
    const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
    const lib = (await rtnl.fdb()).filter((e) => MACS.has(formatMac(e.lladdr!))).map((e) => ({
      mac: formatMac(e.lladdr!),
      ifname: names.get(e.index),
      vlan: e.vlan,
      master: e.master === undefined ? undefined : names.get(e.master),
      state: e.stateNames.includes("permanent") ? "permanent" : "static",
    }));
    assert.deepEqual(lib, want);
    await rtnl.deleteFdb({ mac: "02:00:00:00:00:21", dev: "va", master: true, vlan: 21 });
    assert.deepEqual((await toolFdb(byLib)).map((e) => e.vlan), [10]);
    // a vlan the port is not in
    await assert.rejects(
      rtnl.addFdb({ mac: "02:00:00:00:00:99", dev: "va", master: true, vlan: 99 }),
      (e: Error) => e.name === "NetlinkError",
    );
  },
});
