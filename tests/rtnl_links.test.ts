/**
 * Links by kind against the host kernel in a fresh netns, compared with
 * `ip -j -d link` field by field: what the library creates (bridge, vxlan,
 * macvlan, macvtap, ifb, veth) ip sees, what ip creates the library decodes
 * as typed data, and changes (MTU, MAC, name, alias, txqueuelen, up/down,
 * master/nomaster) and state (operstate, carrier, stats64) agree with ip.
 * The kinds this host lacks (vlan, bond, dummy, vrf, ipvlan, wireguard) and
 * bridge vlan filtering belong to the VM suite.
 */
import assert from "node:assert/strict";
import { formatAddress, formatMac } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { Link } from "../src/rtnl/client.ts";
import type { LinkInfo } from "../src/rtnl/links.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, waitOperUp } from "./helpers/netns.ts";

loadSys();

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  operstate: string;
  flags: string[];
  address?: string;
  link?: string;
  master?: string;
  ifalias?: string;
  txqlen?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  stats64?: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } };
}

/** Sends one UDP broadcast to argv[1] (no ping on a minimal Debian). */
const BROADCAST = "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); " +
  "s.setsockopt(socket.SOL_SOCKET,socket.SO_BROADCAST,1); s.sendto(b'x',(sys.argv[1],9))";

/** What `ip -j -d link` shows of a kind's data, for the fields the library types. */
function ipData(l: IpLink): Record<string, unknown> {
  const d = l.linkinfo?.info_data ?? {};
  const keep = (ks: string[]) => Object.fromEntries(ks.filter((k) => k in d).map((k) => [k, d[k]]));
  switch (l.linkinfo?.info_kind) {
    case "bridge":
      return keep(["stp_state", "vlan_filtering", "ageing_time"]);
    case "vxlan":
      return keep([
        "id",
        "remote",
        "group",
        "local",
        "remote6",
        "group6",
        "local6",
        "port",
        "link",
      ]);
    case "macvlan":
    case "macvtap":
      return keep(["mode"]);
    default:
      return {};
  }
}

/** The same fields, from what the library decoded. */
function libData(info: LinkInfo | undefined, names: Map<number, string>): Record<string, unknown> {
  switch (info?.kind) {
    case "bridge":
      return {
        stp_state: info.stp ? 1 : 0,
        vlan_filtering: info.vlanFiltering ? 1 : 0,
        ageing_time: info.ageingTime,
      };
    case "vxlan": {
      const out: Record<string, unknown> = { id: info.vni };
      // ip names IPv6 ones remote6, group6, local6
      const v = (a: Uint8Array) => a.length === 16 ? "6" : "";
      if (info.remote) out[`remote${v(info.remote)}`] = formatAddress(info.remote);
      if (info.group) out[`group${v(info.group)}`] = formatAddress(info.group);
      if (info.local) out[`local${v(info.local)}`] = formatAddress(info.local);
      out.port = info.port;
      if (info.dev) out.link = names.get(info.dev);
      return out;
    }
    case "macvlan":
    case "macvtap":
      return { mode: info.mode };
    default:
      return {};
  }
}

function kindOf(info: LinkInfo | undefined): string | undefined {
  return info?.kind === "other" ? info.name : info?.kind;
}

/** Every link as ip shows it vs as the library decodes it, field by field. */
async function compare(ns: { ipJson<T>(...a: string[]): Promise<T> }, rtnl: Rtnl) {
  const ip = await ns.ipJson<IpLink[]>("-d", "-s", "link", "show");
  const lib = await rtnl.links();
  // counters move (IPv6 solicitations): the library's read lies between two of ip's
  const after = new Map(
    (await ns.ipJson<IpLink[]>("-s", "link", "show")).map((l) => [l.ifname, l.stats64]),
  );
  const names = new Map(lib.map((l) => [l.index, l.name]));
  const byName = new Map<string, Link>(lib.map((l) => [l.name, l]));
  assert.deepEqual([...byName.keys()].sort(), ip.map((l) => l.ifname).sort());
  for (const i of ip) {
    const l = byName.get(i.ifname)!;
    const what = i.ifname;
    assert.equal(kindOf(l.info), i.linkinfo?.info_kind, `${what} kind`);
    assert.deepEqual(libData(l.info, names), ipData(i), `${what} data`);
    assert.equal(l.operstate.toUpperCase(), i.operstate, `${what} operstate`);
    assert.equal(l.mtu, i.mtu, `${what} mtu`);
    assert.equal(l.address && formatMac(l.address), i.address, `${what} address`);
    assert.equal(l.master && names.get(l.master), i.master, `${what} master`);
    assert.equal(l.alias, i.ifalias, `${what} alias`);
    assert.equal(l.txqueuelen, i.txqlen, `${what} txqlen`);
    if (l.up) assert.equal(l.carrier, !i.flags.includes("NO-CARRIER"), `${what} carrier`);
    const later = after.get(i.ifname)!;
    const rx = Number(l.stats64?.rxPackets), tx = Number(l.stats64?.txBytes);
    assert.ok(i.stats64!.rx.packets <= rx && rx <= later.rx.packets, `${what} rx packets ${rx}`);
    assert.ok(i.stats64!.tx.bytes <= tx && tx <= later.tx.bytes, `${what} tx bytes ${tx}`);
  }
  return { ip, lib };
}

Deno.test({
  name: "links: what ip creates by kind the library decodes with typed data, as ip -j -d",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "d0", "type", "veth", "peer", "name", "d1");
    await ns.ip("link", "add", "br0", "type", "bridge", "stp_state", "1", "ageing_time", "30000");
    await ns.ip(
      ...["link", "add", "vx0", "type", "vxlan", "id", "42", "remote", "10.0.0.2"],
      ...["local", "10.0.0.1", "dstport", "4789", "dev", "d0"],
    );
    await ns.ip(
      ...["link", "add", "vx1", "type", "vxlan", "id", "43", "group", "239.1.1.1"],
      ...["dev", "d0", "dstport", "4790"],
    );
    await ns.ip("link", "add", "mv0", "link", "d0", "type", "macvlan", "mode", "bridge");
    await ns.ip("link", "add", "mt0", "link", "d1", "type", "macvtap", "mode", "vepa");
    await ns.ip("link", "add", "ifb0", "type", "ifb");
    await ns.ip("link", "add", "d2", "type", "veth", "peer", "name", "d3");
    await ns.ip("link", "set", "d0", "up");
    await ns.ip("link", "set", "d1", "up");
    await ns.ip("link", "set", "d3", "master", "br0");
    await ns.ip("link", "set", "d0", "alias", "uplink");
    await ns.ip("link", "set", "d0", "txqueuelen", "321");
    await ns.ip("addr", "add", "10.9.0.1/24", "dev", "d0");
    await waitOperUp(ns, "d0");
    // one broadcast datagram out of d0, so its tx counters are not zero
    const sent = await new Deno.Command("ip", {
      args: ["netns", "exec", ns.name, "python3", "-c", BROADCAST, "10.9.0.255"],
    }).output();
    assert.ok(sent.success, new TextDecoder().decode(sent.stderr));
    await using rtnl = Rtnl.open({ netns: ns.name });
    const { lib } = await compare(ns, rtnl);
    const info = Object.fromEntries(lib.map((l) => [l.name, l.info]));
    assert.deepEqual(info.br0 && { ...info.br0 }, {
      kind: "bridge",
      stp: true,
      vlanFiltering: false,
      ageingTime: 30000,
    });
    assert.equal(info.mt0?.kind === "macvtap" && info.mt0.mode, "vepa");
    assert.ok(lib.find((l) => l.name === "d0")!.stats64!.txPackets! > 0n);
  },
});

Deno.test({
  name: "links: what the library creates by kind ip -j -d sees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addLink("e0", { kind: "veth", peer: "e1" });
    await rtnl.addLink("br1", { kind: "bridge", stp: true, ageingTime: 4242 });
    await rtnl.addLink("vx2", {
      kind: "vxlan",
      vni: 4242,
      remote: "10.1.0.2",
      local: "10.1.0.1",
      port: 4789,
      dev: "e0",
    });
    await rtnl.addLink("vx3", { kind: "vxlan", vni: 7, group: "239.2.2.2", dev: "e0", port: 4791 });
    await rtnl.addLink("vx6", { kind: "vxlan", vni: 8, remote: "2001:db8::2", port: 4792 });
    await rtnl.addLink("mv1", { kind: "macvlan", link: "e0", mode: "private" });
    await rtnl.addLink("mt1", { kind: "macvtap", link: "e1", mode: "passthru" });
    await rtnl.addLink("ifb1", { kind: "ifb" });
    const ip = await ns.ipJson<IpLink[]>("-d", "link", "show");
    const by = Object.fromEntries(ip.map((l) => [l.ifname, l]));
    assert.equal(by.e1.linkinfo?.info_kind, "veth");
    assert.deepEqual(ipData(by.br1), { stp_state: 1, vlan_filtering: 0, ageing_time: 4242 });
    assert.deepEqual(ipData(by.vx2), {
      id: 4242,
      remote: "10.1.0.2",
      local: "10.1.0.1",
      port: 4789,
      link: "e0",
    });
    assert.deepEqual(ipData(by.vx3), { id: 7, group: "239.2.2.2", port: 4791, link: "e0" });
    assert.deepEqual(ipData(by.vx6), { id: 8, remote6: "2001:db8::2", port: 4792 });
    assert.deepEqual([ipData(by.mv1), by.mv1.link], [{ mode: "private" }, "e0"]);
    assert.deepEqual([ipData(by.mt1), by.mt1.link], [{ mode: "passthru" }, "e1"]);
    assert.equal(by.ifb1.linkinfo?.info_kind, "ifb");
    await compare(ns, rtnl); // and the library reads back what ip read
  },
});

Deno.test({
  name: "links: setLink changes MTU, MAC, name, alias, txqueuelen, up/down, master as ip sees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addLink("f0", { kind: "veth", peer: "f1" });
    await rtnl.addLink("br2", { kind: "bridge" });
    await rtnl.setLink("f0", {
      mtu: 1400,
      address: "02:12:34:56:78:9a",
      alias: "to-f1",
      txqueuelen: 77,
      master: "br2",
      up: true,
    });
    await rtnl.setLink("f1", { name: "g1", up: true });
    let [f0] = await ns.ipJson<IpLink[]>("link", "show", "dev", "f0");
    assert.deepEqual(
      [f0.mtu, f0.address, f0.ifalias, f0.txqlen, f0.master, f0.flags.includes("UP")],
      [1400, "02:12:34:56:78:9a", "to-f1", 77, "br2", true],
    );
    const [g1] = await ns.ipJson<IpLink[]>("link", "show", "dev", "g1");
    assert.ok(g1.flags.includes("UP"), "g1 renamed and up");
    await waitOperUp(ns, "f0"); // the library reads what ip would, once the kernel has settled
    const lib = await rtnl.getLink("f0");
    assert.equal(lib.operstate, "up");
    assert.equal(lib.carrier, true);
    await rtnl.setLink("f0", { master: null, up: false });
    [f0] = await ns.ipJson<IpLink[]>("link", "show", "dev", "f0");
    assert.deepEqual([f0.master, f0.flags.includes("UP")], [undefined, false]);
    assert.equal((await rtnl.getLink("f0")).operstate, "down");
    await compare(ns, rtnl);
    // bad input is a typed error before anything is sent
    await assert.rejects(rtnl.setLink("f0", { mtu: -1 }), RangeError);
    await assert.rejects(rtnl.setLink("f0", { mut: 1 } as never), /no field mut/);
    await assert.rejects(rtnl.setLink("f0", { name: "a-name-far-too-long" }), TypeError);
    await assert.rejects(rtnl.addLink("x0", { kind: "vxlna" } as never), /valid: veth, bridge/);
    await assert.rejects(
      rtnl.addLink("x0", { kind: "macvlan", link: "f0", mode: "brige" as "bridge" }),
      /did you mean "bridge"/,
    );
    await assert.rejects(rtnl.addLink("x0", { kind: "vxlan", vni: 1, remote: "239.1.1.1" }), {
      name: "TypeError",
      message: /multicast: give it as group/,
    });
  },
});

Deno.test({
  name:
    "links: setLink moves a link into another namespace, as ip -n sees; a missing one is ENOENT",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using a = await makeNetns();
    await using b = await makeNetns();
    await using rtnl = Rtnl.open({ netns: a.name });
    await rtnl.addLink("m0", { kind: "veth", peer: "m1" });
    await rtnl.setLink("m1", { netns: b.name, name: "moved", mtu: 1300 });
    const inA = (await a.ipJson<IpLink[]>("link", "show")).map((l) => l.ifname);
    const [moved] = await b.ipJson<IpLink[]>("link", "show", "dev", "moved");
    assert.ok(inA.includes("m0") && !inA.includes("m1"), inA.join(" "));
    assert.deepEqual([moved.ifname, moved.mtu, moved.linkinfo], ["moved", 1300, undefined]);
    await using inB = Rtnl.open({ netns: b.name });
    assert.equal((await inB.getLink("moved")).info?.kind, "veth");
    await assert.rejects(rtnl.setLink("m0", { netns: "nlts-no-such-ns" }), /ENOENT/);
    assert.ok((await a.ipJson<IpLink[]>("link", "show")).some((l) => l.ifname === "m0"));
  },
});
