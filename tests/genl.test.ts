/**
 * Generic netlink: the controller, family resolution by name, and a
 * generated family (ethtool) used on a veth in a fresh netns.
 */
import assert from "node:assert/strict";
import { FamilyClient, listFamilies, resolveFamily } from "../src/ynl/mod.ts";
import { familyTables } from "../src/families/mod.ts";
import { NETLINK, NetlinkError, NetlinkSocket } from "../mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

loadSys();

Deno.test({
  name: "the controller lists families and resolves them by name; unknown ones are ENOENT",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using sock = NetlinkSocket.open(NETLINK.GENERIC, { netns: ns.name });
    const all = [];
    for await (const f of listFamilies(sock)) all.push(f);
    const byName = new Map(all.map((f) => [f.name, f]));
    assert.equal(byName.get("nlctrl")?.id, 0x10);
    assert.ok(all.length >= 3, all.map((f) => f.name).join(" "));
    for (const f of all) {
      const one = await resolveFamily(sock, f.name);
      assert.equal(one.id, f.id, f.name);
      assert.deepEqual(one.groups, f.groups, f.name);
    }
    await assert.rejects(
      resolveFamily(sock, "no-such-family"),
      (e) => e instanceof NetlinkError && e.code === "ENOENT",
    );
  },
});

Deno.test({
  name: "ethtool from its generated spec: linkinfo of a veth (do and dump); its group by name",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "ea", "type", "veth", "peer", "name", "eb");
    const ethtool = familyTables.ethtool;
    let client: FamilyClient;
    try {
      client = await FamilyClient.open(ethtool, { netns: ns.name });
    } catch (e) {
      if (e instanceof NetlinkError && e.code === "ENOENT") {
        throw new Error("this kernel has no ethtool netlink family");
      }
      throw e;
    }
    await using _ = client;
    assert.ok(client.familyId >= 0x10, `id ${client.familyId}`);
    const [info] = await client.do("linkinfo-get", { attrs: { header: { devName: "ea" } } });
    assert.equal(info.op, "linkinfo-get");
    const header = info.attrs.header as { devName: string; devIndex: number };
    assert.equal(header.devName, "ea");
    const ipIndex = (await ns.ipJson<{ ifindex: number }[]>("link", "show", "ea"))[0].ifindex;
    assert.equal(header.devIndex, ipIndex);
    const dumped = [];
    for await (const d of client.dump("linkinfo-get", { attrs: { header: {} } })) {
      dumped.push((d.attrs.header as { devName: string }).devName);
    }
    assert.deepEqual(dumped.sort(), ["ea", "eb"]);
    client.join("monitor"); // resolved by name, not hard-coded
    assert.ok((client.groups.monitor ?? 0) > 0);
    assert.throws(() => client.join("no-such-group"), TypeError);
  },
});
