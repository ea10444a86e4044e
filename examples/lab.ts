/**
 * A small lab built with the library alone, no `ip` command: in a network
 * namespace it creates, a VLAN-filtering bridge with a tap (VLAN 10, pvid,
 * untagged) and a vxlan (VLAN 10, a default remote in its FDB), a bond of
 * two veths, and a VRF with its own rules and an ECMP route over nexthop
 * objects; then it tears it all down. Needs root and a kernel with bridge
 * VLAN filtering, bonding, vrf, vxlan and tun (tests/vm/lab.test.ts runs
 * it on Debian's 7.2 in the VM suite).
 *
 *     deno run -A examples/lab.ts [--keep] [NETNS]   # default NETNS: lab
 */
import { createNetns, deleteNetns, Rtnl } from "../src/rtnl/mod.ts";
import { parseCli, runCli } from "../src/cli/usage.ts";

/** What the lab is made of, by name. */
export const LAB = {
  bridge: "br0",
  tap: "tap0",
  vxlan: "vx0",
  bond: "bond0",
  bondPorts: [["bv0", "bp0"], ["bv1", "bp1"]],
  vrf: "blue",
  vrfTable: 100,
  uplinks: [["up0", "dn0", "10.10.1.1/24", "10.10.1.2"], [
    "up1",
    "dn1",
    "10.10.2.1/24",
    "10.10.2.2",
  ]],
  vlan: 10,
  ecmp: "10.99.0.0/16",
  nexthops: [1, 2],
  group: 10,
  rules: [
    { priority: 100, from: "10.20.0.0/16", table: 100 },
    { priority: 101, fwmark: 0x64, fwmask: 0xff, table: 100 },
  ],
} as const;

/**
 * Builds the lab in a new namespace `netns` (made here, as `ip netns add`
 * would), returning a client open in it.
 */
export async function buildLab(netns: string): Promise<Rtnl> {
  createNetns(netns);
  const rtnl = Rtnl.open({ netns });
  try {
    await rtnl.setLinkUp("lo");
    // a VLAN-filtering bridge with a tap and a vxlan on VLAN 10
    await rtnl.addLink(LAB.bridge, { kind: "bridge", vlanFiltering: true });
    await rtnl.addLink(LAB.tap, { kind: "tap" });
    await rtnl.addLink(LAB.vxlan, { kind: "vxlan", vni: 4242, local: "192.0.2.1", port: 4789 });
    for (const port of [LAB.tap, LAB.vxlan]) {
      await rtnl.setLink(port, { master: LAB.bridge, up: true });
    }
    await rtnl.setLinkUp(LAB.bridge);
    await rtnl.addBridgeVlan({ dev: LAB.tap, vid: LAB.vlan, pvid: true, untagged: true });
    await rtnl.deleteBridgeVlan({ dev: LAB.tap, vid: 1 });
    await rtnl.addBridgeVlan({ dev: LAB.vxlan, vid: LAB.vlan });
    await rtnl.addBridgeVlan({ dev: LAB.bridge, vid: LAB.vlan, self: true });
    await rtnl.addFdb({ mac: "00:00:00:00:00:00", dev: LAB.vxlan, dst: "192.0.2.2" }, {
      mode: "append",
    });

    // a bond of two veths
    await rtnl.addLink(LAB.bond, { kind: "bond", mode: "active-backup", miimon: 100 });
    for (const [port, peer] of LAB.bondPorts) {
      await rtnl.addVeth(port, peer);
      await rtnl.setLink(port, { master: LAB.bond });
      await rtnl.setLinkUp(peer);
    }
    await rtnl.setLinkUp(LAB.bond);

    // a VRF with its own rules and an ECMP route over nexthop objects
    await rtnl.addLink(LAB.vrf, { kind: "vrf", table: LAB.vrfTable });
    await rtnl.setLinkUp(LAB.vrf);
    for (const [up, down, address] of LAB.uplinks) {
      await rtnl.addVeth(up, down);
      await rtnl.setLink(up, { master: LAB.vrf, up: true });
      await rtnl.setLinkUp(down);
      await rtnl.addAddress(up, { address, flags: ["nodad"] });
    }
    for (const rule of LAB.rules) await rtnl.addRule(rule);
    for (const [i, [up, , , gateway]] of LAB.uplinks.entries()) {
      await rtnl.addNexthop({ id: LAB.nexthops[i], gateway, dev: up });
    }
    await rtnl.addNexthop({ id: LAB.group, group: LAB.nexthops.map((id) => ({ id })) });
    await rtnl.addRoute({ dst: LAB.ecmp, nexthop: LAB.group, table: LAB.vrfTable });
    return rtnl;
  } catch (e) {
    await rtnl.close();
    deleteNetns(netns);
    throw e;
  }
}

/**
 * Takes the lab down piece by piece (route and nexthops, rules, links),
 * closes the client and deletes the namespace.
 */
export async function tearDownLab(rtnl: Rtnl, netns: string): Promise<void> {
  try {
    await rtnl.deleteNexthop(LAB.group); // its route goes with it
    for (const id of LAB.nexthops) await rtnl.deleteNexthop(id);
    for (const rule of LAB.rules) await rtnl.deleteRule(rule);
    for (const [up] of LAB.uplinks) await rtnl.deleteLink(up); // and its peer
    for (const [port] of LAB.bondPorts) await rtnl.deleteLink(port);
    for (const l of [LAB.vrf, LAB.bond, LAB.tap, LAB.vxlan, LAB.bridge]) await rtnl.deleteLink(l);
  } finally {
    await rtnl.close();
    deleteNetns(netns);
  }
}

if (import.meta.main) {
  const cli = {
    name: "lab.ts",
    help: "usage: lab.ts [--keep] [NETNS]\n\n" +
      "  Builds the lab in a new namespace NETNS (default lab), prints it, tears it down\n" +
      "  (with --keep: leaves it; `ip netns del NETNS` removes it).",
  };
  await runCli(cli, async (context) => {
    const { values, positionals } = parseCli(cli, {
      help: { type: "boolean", short: "h" },
      keep: { type: "boolean" },
    }, 1);
    const netns = positionals[0] ?? "lab";
    context.netns = netns;
    const rtnl = await buildLab(netns);
    const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
    for (const l of await rtnl.links()) {
      const master = l.master === undefined ? "" : ` master ${names.get(l.master)}`;
      console.log(`${l.index}: ${l.name} ${l.info?.kind ?? ""}${master}`);
    }
    for (const v of await rtnl.bridgeVlans()) {
      console.log(`vlans ${v.name}: ${v.vlans.map((x) => x.vid).join(",")}`);
    }
    for (const r of await rtnl.rules({ ipVersion: 4 })) {
      console.log(`rule ${r.priority}: ${r.action} table ${r.table}`);
    }
    for (const n of await rtnl.nexthops()) console.log(`nexthop ${n.id}`);
    if (values.keep) await rtnl.close();
    else await tearDownLab(rtnl, netns);
  });
}
