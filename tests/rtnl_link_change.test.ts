/**
 * Kind data changed in place (`Rtnl.changeLinkKind`, `ip link set DEV type
 * KIND ...`) against the host kernel in a fresh namespace, compared with
 * `ip -j -d link` and with the same change made by ip in another
 * namespace: a bridge's stp and ageing time, a macvlan's mode.
 */
import assert from "node:assert/strict";
import { Rtnl } from "../src/rtnl/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "./helpers/netns.ts";

loadSys();

type Data = Record<string, unknown>;

async function infoData(ns: Netns, dev: string): Promise<Data> {
  const [l] = await ns.ipJson<{ linkinfo: { info_data: Data } }[]>("-d", "link", "show", dev);
  return l.linkinfo.info_data;
}

async function setup(ns: Netns) {
  await ns.ip("link", "add", "br0", "type", "bridge", "stp_state", "0", "ageing_time", "30000");
  await ns.ip("link", "add", "lo0", "type", "veth", "peer", "name", "lo1");
  await ns.ip("link", "add", "link", "lo0", "name", "mv0", "type", "macvlan", "mode", "vepa");
}

Deno.test({
  name: "changeLinkKind: bridge stp and ageing, macvlan mode, as ip link set ... type does",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byIp = await makeNetns();
    await using byLib = await makeNetns();
    await setup(byIp);
    await setup(byLib);
    await byIp.ip("link", "set", "br0", "type", "bridge", "stp_state", "1", "ageing_time", "20000");
    await byIp.ip("link", "set", "mv0", "type", "macvlan", "mode", "bridge");
    await using rtnl = Rtnl.open({ netns: byLib.name });
    await rtnl.changeLinkKind("br0", { kind: "bridge", stp: true, ageingTime: 20000 });
    await rtnl.changeLinkKind("mv0", { kind: "macvlan", link: "lo0", mode: "bridge" });

    const want = await infoData(byIp, "br0"), got = await infoData(byLib, "br0");
    for (const k of ["stp_state", "ageing_time", "vlan_filtering", "forward_delay"]) {
      assert.equal(got[k], want[k], k);
    }
    assert.deepEqual([want.stp_state, want.ageing_time], [1, 20000]);
    assert.equal((await infoData(byLib, "mv0")).mode, (await infoData(byIp, "mv0")).mode);
    assert.equal((await infoData(byLib, "mv0")).mode, "bridge");
    // the library's decode agrees
    const br = (await rtnl.getLink("br0")).info;
    assert.deepEqual(br, { kind: "bridge", stp: true, vlanFiltering: false, ageingTime: 20000 });
    assert.deepEqual((await rtnl.getLink("mv0")).info, { kind: "macvlan", mode: "bridge" });

    await assert.rejects(rtnl.changeLinkKind("lo0", { kind: "veth", peer: "x" }), /veth/);
    await assert.rejects(
      rtnl.changeLinkKind("br0", { kind: "bridge", ageingTime: -1 }),
      RangeError,
    );
    await assert.rejects(rtnl.changeLinkKind("nope0", { kind: "bridge" }), /ENODEV/);
  },
});
