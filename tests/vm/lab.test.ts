/**
 * Issue 15's "done means", in the VM on Debian's 7.2: examples/lab.ts
 * builds, with the library alone, a VLAN-filtering bridge with a tap and a
 * vxlan, a bond of two veths, and a VRF with its own rules and an ECMP
 * route over nexthop objects, in a namespace it creates; each piece is
 * compared with what `ip -j -d link`, `bridge -j vlan/fdb`, `ip -j rule`,
 * `ip -j nexthop`, `ip -j route` and `ip -j route get` report, and then it
 * is all torn down.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatAddress } from "../../mod.ts";
import { buildLab, LAB, tearDownLab } from "../../examples/lab.ts";
import { ignoreUnlessRoot, type Netns, run } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["bridge", "veth", "vxlan", "tun", "bonding", "vrf"];

const NAME = "nlts-lab";

/** `ip`/`bridge` in the lab's namespace: only to compare, never to build. */
const ns: Netns = {
  name: NAME,
  ip: (...a) => run("ip", "-n", NAME, ...a),
  ipJson: async <T>(...a: string[]) =>
    JSON.parse(await run("ip", "-j", "-n", NAME, ...a) || "[]") as T,
  [Symbol.asyncDispose]: () => Promise.resolve(),
};
const bridgeJson = async <T>(...a: string[]) =>
  JSON.parse(await run("bridge", "-j", "-n", NAME, ...a) || "[]") as T;

type IpLink = {
  ifname: string;
  master?: string;
  linkinfo?: {
    info_kind?: string;
    info_slave_kind?: string;
    info_data?: Record<string, unknown>;
  };
};

Deno.test({
  name:
    "lab: built by the library in its own namespace, each piece as ip and bridge see it, torn down",
  ignore: ignoreUnlessRoot,
  async fn() {
    const source = readFileSync(new URL("../../examples/lab.ts", import.meta.url), "utf8");
    assert.ok(!/Deno\.Command|Deno\.run|child_process|spawn/.test(source), "lab.ts runs no tool");

    const rtnl = await buildLab(NAME);
    let torn = false;
    try {
      assert.ok((await run("ip", "netns", "list")).includes(NAME));
      const links = await rtnl.links();
      const names = new Map(links.map((l) => [l.index, l.name]));

      // links: kind, master, slave kind and the kinds' data, as ip -d says
      const ip = await ns.ipJson<IpLink[]>("-d", "link", "show");
      const ipRow = (l: IpLink) => {
        const d = l.linkinfo?.info_data ?? {};
        const k = l.linkinfo?.info_kind;
        return {
          name: l.ifname,
          kind: k,
          slave: l.linkinfo?.info_slave_kind,
          master: l.master,
          data: k === "bond"
            ? [d.mode, d.miimon]
            : k === "vrf"
            ? [d.table]
            : k === "vxlan"
            ? [d.id, d.local, d.port]
            : k === "tun"
            ? [d.type, d.persist]
            : k === "bridge"
            ? [d.vlan_filtering]
            : [],
        };
      };
      const libRow = (l: (typeof links)[number]) => {
        const i = l.info;
        return {
          name: l.name,
          kind: i?.kind === "other" ? i.name : i?.kind,
          slave: l.attrs.linkinfo?.slaveKind,
          master: l.master === undefined ? undefined : names.get(l.master),
          data: i?.kind === "bond"
            ? [i.mode, i.miimon]
            : i?.kind === "vrf"
            ? [i.table]
            : i?.kind === "vxlan"
            ? [i.vni, i.local && formatAddress(i.local), i.port]
            : i?.kind === "tun"
            ? [i.type, i.persist]
            : i?.kind === "bridge"
            ? [i.vlanFiltering ? 1 : 0]
            : [],
        };
      };
      assert.deepEqual(links.map(libRow), ip.map(ipRow));
      const byName = new Map(ip.map((l) => [l.ifname, ipRow(l)]));
      assert.deepEqual(byName.get(LAB.tap), {
        name: LAB.tap,
        kind: "tun",
        slave: "bridge",
        master: LAB.bridge,
        data: ["tap", true],
      });
      assert.deepEqual(byName.get(LAB.vxlan)?.data, [4242, "192.0.2.1", 4789]);
      assert.deepEqual(byName.get(LAB.bond)?.data, ["active-backup", 100]);
      for (const [p] of LAB.bondPorts) assert.equal(byName.get(p)?.master, LAB.bond);
      assert.deepEqual(byName.get(LAB.vrf)?.data, [LAB.vrfTable]);
      for (const [u] of LAB.uplinks) assert.equal(byName.get(u)?.master, LAB.vrf);
      assert.deepEqual(byName.get(LAB.bridge)?.data, [1]);

      // bridge vlans, one row per id
      const tool = (await bridgeJson<
        { ifname: string; vlans: { vlan: number; vlanEnd?: number; flags?: string[] }[] }[]
      >("vlan", "show")).flatMap((l) =>
        l.vlans.map((
          v,
        ) => [
          l.ifname,
          v.vlan,
          !!v.flags?.includes("PVID"),
          !!v.flags?.includes("Egress Untagged"),
        ])
      );
      const lib = (await rtnl.bridgeVlans()).flatMap((l) =>
        l.vlans.map((v) => [l.name, v.vid, v.pvid, v.untagged])
      );
      assert.deepEqual(lib.sort(), tool.sort());
      assert.deepEqual(tool.filter((r) => r[0] === LAB.tap), [[LAB.tap, 10, true, true]]);

      // the vxlan's default remote
      const fdb =
        (await bridgeJson<{ mac: string; dst?: string }[]>("fdb", "show", "dev", LAB.vxlan))
          .filter((e) => e.dst).map((e) => [e.mac, e.dst]);
      const libFdb = (await rtnl.fdb({ dev: LAB.vxlan })).filter((e) => e.dst).map((e) => [
        [...e.lladdr!].map((b) => b.toString(16).padStart(2, "0")).join(":"),
        formatAddress(e.dst!),
      ]);
      assert.deepEqual(libFdb, fdb);
      assert.deepEqual(fdb, [["00:00:00:00:00:00", "192.0.2.2"]]);

      // rules: the VRF's l3mdev one (the driver's) and the lab's
      const ipRules = (await ns.ipJson<Record<string, unknown>[]>("rule", "show")).map((r) => [
        r.priority,
        r.src === "all" ? undefined : `${r.src}/${r.srclen}`,
        r.fwmark,
        r.l3mdev === null,
        r.table,
      ]);
      const tableName = (t: number) =>
        t === 253
          ? "default"
          : t === 254
          ? "main"
          : t === 255
          ? "local"
          : t
          ? String(t)
          : undefined;
      const libRules = (await rtnl.rules({ ipVersion: 4 })).map((r) => [
        r.priority,
        r.srcLength ? `${formatAddress(r.src!)}/${r.srcLength}` : undefined,
        r.fwmark === undefined ? undefined : `0x${r.fwmark.toString(16)}`,
        r.l3mdev,
        tableName(r.table),
      ]);
      assert.deepEqual(libRules, ipRules);
      assert.deepEqual(ipRules.map((r) => r[0]), [0, 100, 101, 1000, 32766, 32767]);

      // nexthops and the ECMP route over the group, in the VRF's table
      const ipNh = (await ns.ipJson<
        { id: number; gateway?: string; dev?: string; group?: { id: number }[] }[]
      >(
        "nexthop",
        "show",
      )).map((n) => [n.id, n.gateway, n.dev, n.group?.map((g) => g.id)]);
      const libNh = (await rtnl.nexthops()).map((n) => [
        n.id,
        n.gateway && formatAddress(n.gateway),
        n.oif === undefined ? undefined : names.get(n.oif),
        n.group?.map((g) => g.id),
      ]);
      assert.deepEqual(libNh, ipNh);
      assert.deepEqual(ipNh.map((n) => n[0]), [1, 2, 10]);
      const [ipRoute] = await ns.ipJson<
        { dst: string; nhid: number; nexthops: { gateway: string; dev: string }[] }[]
      >(
        "route",
        "show",
        "table",
        String(LAB.vrfTable),
        LAB.ecmp,
      );
      const [libRoute] = (await rtnl.routes({ table: LAB.vrfTable })).filter((r) =>
        r.dstLength === 16
      );
      assert.equal(libRoute.nexthopId, ipRoute.nhid);
      assert.deepEqual(
        libRoute.multipath?.map((h) => [formatAddress(h.gateway!), names.get(h.ifindex)]),
        ipRoute.nexthops.map((h) => [h.gateway, h.dev]),
      );
      assert.equal(ipRoute.nexthops.length, 2);
      for (const dst of ["10.99.0.1", "10.99.7.7", "10.99.200.9"]) {
        const [g] = await ns.ipJson<{ gateway: string; dev: string }[]>(
          "route",
          "get",
          dst,
          "vrf",
          LAB.vrf,
        );
        const r = await rtnl.routeGet(dst, { oif: LAB.vrf });
        assert.deepEqual([formatAddress(r.gateway!), names.get(r.oif!)], [g.gateway, g.dev], dst);
      }

      await tearDownLab(rtnl, NAME);
      torn = true;
      assert.ok(!(await run("ip", "netns", "list")).includes(NAME), "the namespace is gone");
    } finally {
      if (!torn) await tearDownLab(rtnl, NAME).catch(() => run("ip", "netns", "del", NAME));
    }
  },
});
