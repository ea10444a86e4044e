/**
 * Link kinds this host's kernel lacks (dummy, bond, vlan), in the VM
 * (kmod/vm/suite.ts boots Debian's 7.2 with the modules below), through
 * the generated rt-link family: what the library creates `ip -j -d link`
 * sees, and what ip creates the library decodes, field by field.
 */
import assert from "node:assert/strict";
import { NLM_F } from "../../mod.ts";
import { type Link, Rtnl } from "../../src/rtnl/mod.ts";
import { VLAN_PROTOCOLS } from "../../src/families/rt_link.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["dummy", "bonding", "8021q", "veth"];

/** include/uapi/linux/if_bonding.h's BOND_MODE_*, by the names ip prints. */
const BOND_MODES = [
  "balance-rr",
  "active-backup",
  "balance-xor",
  "broadcast",
  "802.3ad",
  "balance-tlb",
  "balance-alb",
];

/** ip's names for the vlan protocols. */
const IP_VLAN_PROTOCOL: Record<string, number> = {
  "802.1Q": VLAN_PROTOCOLS["8021q"],
  "802.1ad": VLAN_PROTOCOLS["8021ad"],
};

interface IpLink {
  ifindex: number;
  ifname: string;
  link?: string;
  master?: string;
  linkinfo?: {
    info_kind?: string;
    info_slave_kind?: string;
    info_data?: { mode?: string; miimon?: number; id?: number; protocol?: string };
  };
}

type Row = [
  name: string,
  kind?: string,
  slaveKind?: string,
  master?: string,
  bondMode?: string,
  miimon?: number,
  vlanId?: number,
  vlanProtocol?: number,
  link?: string,
];

/** What ip -j -d link says of each link, in the same shape as {@linkcode libraryRows}. */
async function ipRows(ns: Netns): Promise<Row[]> {
  const links = await ns.ipJson<IpLink[]>("-d", "link");
  return links.map((l) => {
    const info = l.linkinfo;
    const data = info?.info_data;
    const vlan = info?.info_kind === "vlan";
    const bond = info?.info_kind === "bond";
    return [
      l.ifname,
      info?.info_kind,
      info?.info_slave_kind,
      l.master,
      bond ? data?.mode : undefined,
      bond ? data?.miimon : undefined,
      vlan ? data?.id : undefined,
      vlan ? IP_VLAN_PROTOCOL[data?.protocol ?? ""] ?? -1 : undefined,
      l.link,
    ];
  });
}

/** What the library decodes of each link. */
function libraryRows(links: Link[]): Row[] {
  const names = new Map(links.map((l) => [l.index, l.name]));
  return links.map((l) => {
    const info = l.attrs.linkinfo;
    const data = info?.data instanceof Uint8Array ? undefined : info?.data as
      | { mode?: number; miimon?: number; id?: number; protocol?: number }
      | undefined;
    const vlan = info?.kind === "vlan";
    const bond = info?.kind === "bond";
    return [
      l.name,
      info?.kind,
      info?.slaveKind,
      l.attrs.master === undefined ? undefined : names.get(l.attrs.master),
      bond && data?.mode !== undefined ? BOND_MODES[data.mode] : undefined,
      bond ? data?.miimon : undefined,
      vlan ? data?.id : undefined,
      vlan ? data?.protocol : undefined,
      l.attrs.link === undefined ? undefined : names.get(l.attrs.link),
    ];
  });
}

const create = { flags: NLM_F.CREATE | NLM_F.EXCL };

Deno.test({
  name: "a dummy, a bond of two veths and a vlan the library creates: ip -j -d link agrees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.link.do("newlink", { attrs: { ifname: "d0", linkinfo: { kind: "dummy" } } }, create);
    await rtnl.link.do("newlink", {
      attrs: { ifname: "b0", linkinfo: { kind: "bond", data: { mode: 1, miimon: 100 } } },
    }, create);
    await rtnl.addVeth("v0", "p0");
    await rtnl.addVeth("v1", "p1");
    const bond = (await rtnl.getLink("b0")).index;
    for (const v of ["v0", "v1"]) {
      const index = (await rtnl.getLink(v)).index;
      await rtnl.link.do("newlink", { header: { ifiIndex: index }, attrs: { master: bond } });
    }
    const dummy = (await rtnl.getLink("d0")).index;
    await rtnl.link.do("newlink", {
      attrs: {
        ifname: "d0.42",
        link: dummy,
        linkinfo: { kind: "vlan", data: { id: 42, protocol: VLAN_PROTOCOLS["8021q"] } },
      },
    }, create);

    const ip = await ipRows(ns);
    const mine = ip.filter((r) => ["d0", "b0", "v0", "v1", "d0.42"].includes(r[0]));
    assert.deepEqual(mine, [
      ["d0", "dummy", undefined, undefined, undefined, undefined, undefined, undefined, undefined],
      ["b0", "bond", undefined, undefined, "active-backup", 100, undefined, undefined, undefined],
      ["v0", "veth", "bond", "b0", undefined, undefined, undefined, undefined, "p0"],
      ["v1", "veth", "bond", "b0", undefined, undefined, undefined, undefined, "p1"],
      ["d0.42", "vlan", undefined, undefined, undefined, undefined, 42, 0x8100, "d0"],
    ]);
    // and the library reads back every link as ip does
    assert.deepEqual(libraryRows(await rtnl.links()), ip);
  },
});

Deno.test({
  name: "a bond, a dummy slave and an 802.1ad vlan ip creates: the library decodes them as ip does",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "b1", "type", "bond", "mode", "802.3ad", "miimon", "50");
    await ns.ip("link", "add", "d1", "type", "dummy");
    await ns.ip("link", "add", "d2", "type", "dummy");
    await ns.ip("link", "set", "d2", "master", "b1");
    await ns.ip(
      "link",
      "add",
      "link",
      "d1",
      "name",
      "d1.7",
      "type",
      "vlan",
      "id",
      "7",
      "protocol",
      "802.1ad",
    );
    await using rtnl = Rtnl.open({ netns: ns.name });
    const links = await rtnl.links();
    const ip = await ipRows(ns);
    assert.deepEqual(libraryRows(links), ip);
    const byName = new Map(ip.map((r) => [r[0], r]));
    assert.deepEqual(byName.get("b1")?.slice(1, 6), ["bond", undefined, undefined, "802.3ad", 50]);
    assert.deepEqual(byName.get("d2")?.slice(1, 4), ["dummy", "bond", "b1"]);
    assert.deepEqual(byName.get("d1.7")?.slice(6), [7, 0x88a8, "d1"]);
  },
});
