/**
 * The link kinds this host's kernel lacks (vlan, bond, dummy, vrf,
 * ipvlan), in the VM on Debian's 7.2, through the library's typed
 * conveniences (`addLink`, `setLink`, `changeLinkKind`, `Link.info`):
 * what the library creates and changes `ip -j -d link` sees, and what ip
 * creates the library decodes, field by field.
 */
import assert from "node:assert/strict";
import { type Link, Rtnl } from "../../src/rtnl/mod.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["dummy", "bonding", "8021q", "veth", "vrf", "ipvlan"];

const IP_VLAN_PROTOCOL: Record<string, string> = { "802.1Q": "8021q", "802.1ad": "8021ad" };

interface IpLink {
  ifname: string;
  link?: string;
  master?: string;
  mtu: number;
  operstate: string;
  linkinfo?: {
    info_kind?: string;
    info_slave_kind?: string;
    info_data?: {
      mode?: string;
      miimon?: number;
      id?: number;
      protocol?: string;
      table?: number;
    };
  };
}

/** One link as both sides see it. */
interface Row {
  name: string;
  kind?: string;
  slaveKind?: string;
  master?: string;
  link?: string;
  mtu: number;
  mode?: string;
  miimon?: number;
  id?: number;
  protocol?: string;
  table?: number;
}

function clean(r: Row): Row {
  for (const k of Object.keys(r) as (keyof Row)[]) if (r[k] === undefined) delete r[k];
  return r;
}

/** What `ip -j -d link` says of each link. */
async function ipRows(ns: Netns): Promise<Row[]> {
  return (await ns.ipJson<IpLink[]>("-d", "link")).map((l) => {
    const kind = l.linkinfo?.info_kind, d = l.linkinfo?.info_data ?? {};
    return clean({
      name: l.ifname,
      kind,
      slaveKind: l.linkinfo?.info_slave_kind,
      master: l.master,
      link: l.link,
      mtu: l.mtu,
      mode: kind === "bond" || kind === "ipvlan" ? d.mode : undefined,
      miimon: kind === "bond" ? d.miimon : undefined,
      id: kind === "vlan" ? d.id : undefined,
      protocol: kind === "vlan" ? IP_VLAN_PROTOCOL[d.protocol ?? ""] ?? d.protocol : undefined,
      table: kind === "vrf" ? d.table : undefined,
    });
  });
}

/** What the library decodes of each link, from its typed `info`. */
function libRows(links: Link[]): Row[] {
  const names = new Map(links.map((l) => [l.index, l.name]));
  return links.map((l) => {
    const i = l.info;
    return clean({
      name: l.name,
      kind: i?.kind === "other" ? i.name : i?.kind,
      slaveKind: l.attrs.linkinfo?.slaveKind,
      master: l.master === undefined ? undefined : names.get(l.master),
      link: l.attrs.link === undefined ? undefined : names.get(l.attrs.link),
      mtu: l.mtu ?? 0,
      mode: i?.kind === "bond" || i?.kind === "ipvlan" ? i.mode : undefined,
      miimon: i?.kind === "bond" ? i.miimon : undefined,
      id: i?.kind === "vlan" ? i.id : undefined,
      protocol: i?.kind === "vlan" ? i.protocol : undefined,
      table: i?.kind === "vrf" ? i.table : undefined,
    });
  });
}

const pick = (rows: Row[], names: string[]) =>
  names.map((n) => rows.find((r) => r.name === n) ?? { name: n, missing: true });

const MINE = ["d0", "b0", "v0", "v1", "d0.42", "d0.43", "vrf0", "ipv0"];

Deno.test({
  name: "vlan, bond, dummy, vrf, ipvlan the library creates and changes: ip -j -d link agrees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addLink("d0", { kind: "dummy" });
    await rtnl.addLink("b0", { kind: "bond", mode: "active-backup", miimon: 100 });
    await rtnl.addVeth("v0", "p0");
    await rtnl.addVeth("v1", "p1");
    await rtnl.setLink("v0", { master: "b0" });
    await rtnl.setLink("v1", { master: "b0" });
    await rtnl.addLink("d0.42", { kind: "vlan", link: "d0", id: 42 });
    await rtnl.addLink("d0.43", { kind: "vlan", link: "d0", id: 43, protocol: "8021ad" });
    await rtnl.addLink("vrf0", { kind: "vrf", table: 10 });
    await rtnl.addLink("ipv0", { kind: "ipvlan", link: "d0", mode: "l3" });

    let ip = await ipRows(ns);
    assert.deepEqual(pick(ip, MINE), [
      { name: "d0", kind: "dummy", mtu: 1500 },
      { name: "b0", kind: "bond", mtu: 1500, mode: "active-backup", miimon: 100 },
      { name: "v0", kind: "veth", slaveKind: "bond", master: "b0", link: "p0", mtu: 1500 },
      { name: "v1", kind: "veth", slaveKind: "bond", master: "b0", link: "p1", mtu: 1500 },
      { name: "d0.42", kind: "vlan", link: "d0", mtu: 1500, id: 42, protocol: "8021q" },
      { name: "d0.43", kind: "vlan", link: "d0", mtu: 1500, id: 43, protocol: "8021ad" },
      { name: "vrf0", kind: "vrf", mtu: 65575, table: 10 },
      { name: "ipv0", kind: "ipvlan", link: "d0", mtu: 1500, mode: "l3" },
    ]);
    assert.deepEqual(libRows(await rtnl.links()), ip);

    // changes: kind data in place, release and enslave, mtu
    await rtnl.changeLinkKind("b0", { kind: "bond", miimon: 250 });
    await rtnl.changeLinkKind("ipv0", { kind: "ipvlan", link: "d0", mode: "l2" });
    await rtnl.setLink("v1", { master: null });
    await rtnl.setLink("d0", { master: "vrf0" });
    await rtnl.setLink("d0.42", { mtu: 1400 });
    ip = await ipRows(ns);
    assert.deepEqual(pick(ip, ["d0", "b0", "v1", "d0.42", "ipv0"]), [
      { name: "d0", kind: "dummy", slaveKind: "vrf", master: "vrf0", mtu: 1500 },
      { name: "b0", kind: "bond", mtu: 1500, mode: "active-backup", miimon: 250 },
      { name: "v1", kind: "veth", link: "p1", mtu: 1500 },
      { name: "d0.42", kind: "vlan", link: "d0", mtu: 1400, id: 42, protocol: "8021q" },
      { name: "ipv0", kind: "ipvlan", link: "d0", mtu: 1500, mode: "l2" },
    ]);
    assert.deepEqual(libRows(await rtnl.links()), ip);

    // a bond's mode cannot change while it has slaves: the kernel's error, typed
    await assert.rejects(
      rtnl.changeLinkKind("b0", { kind: "bond", mode: "802.3ad" }),
      (e: Error) => e.name === "NetlinkError" && /ENOTEMPTY|EINVAL|EBUSY|EPERM/.test(e.message),
    );
    await assert.rejects(rtnl.addLink("x0", { kind: "vlan", link: "d0", id: 4095 }), RangeError);
    await assert.rejects(rtnl.addLink("x0", { kind: "bond", mode: "fast" as never }), /bond mode/);
    for (const l of ["d0.42", "d0.43", "ipv0", "vrf0", "b0", "d0"]) await rtnl.deleteLink(l);
    const left = (await ipRows(ns)).map((r) => r.name);
    assert.deepEqual(left.filter((n) => MINE.includes(n)), ["v0", "v1"]);
  },
});

Deno.test({
  name: "vlan, bond, dummy, vrf, ipvlan ip creates: the library decodes them as ip -j -d link",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "b1", "type", "bond", "mode", "balance-xor", "miimon", "50");
    await ns.ip("link", "add", "d1", "type", "dummy");
    await ns.ip("link", "add", "d2", "type", "dummy");
    await ns.ip("link", "set", "d2", "master", "b1");
    await ns.ip("link", "add", "link", "d1", "name", "d1.7", "type", "vlan", "id", "7");
    await ns.ip(
      "link",
      "add",
      "link",
      "d1",
      "name",
      "d1.8",
      "type",
      "vlan",
      "id",
      "8",
      "protocol",
      "802.1ad",
    );
    await ns.ip("link", "add", "vrf7", "type", "vrf", "table", "77");
    await ns.ip("link", "add", "link", "d1", "name", "ipv1", "type", "ipvlan", "mode", "l3s");
    await ns.ip("link", "set", "d1", "master", "vrf7");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const ip = await ipRows(ns);
    assert.deepEqual(libRows(await rtnl.links()), ip);
    assert.deepEqual(pick(ip, ["b1", "d2", "d1.8", "vrf7", "ipv1", "d1"]), [
      { name: "b1", kind: "bond", mtu: 1500, mode: "balance-xor", miimon: 50 },
      { name: "d2", kind: "dummy", slaveKind: "bond", master: "b1", mtu: 1500 },
      { name: "d1.8", kind: "vlan", link: "d1", mtu: 1500, id: 8, protocol: "8021ad" },
      { name: "vrf7", kind: "vrf", mtu: 65575, table: 77 },
      { name: "ipv1", kind: "ipvlan", link: "d1", mtu: 1500, mode: "l3s" },
      { name: "d1", kind: "dummy", slaveKind: "vrf", master: "vrf7", mtu: 1500 },
    ]);
  },
});
