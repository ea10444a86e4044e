/**
 * Generic netlink: the controller, family resolution by name, and a
 * generated family (ethtool) used on a veth in a fresh netns.
 */
import assert from "node:assert/strict";
import {
  FamilyClient,
  FamilyUnavailableError,
  listFamilies,
  resolveFamily,
} from "../src/ynl/mod.ts";
import { familyTables } from "../src/families/mod.ts";
import { NETLINK, NetlinkError, NetlinkSocket } from "../mod.ts";
import { loadSys } from "../src/sys.ts";
import { fetchSpecs } from "../tools/fetch_specs.ts";
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

Deno.test({
  name: "a family this kernel lacks (dpll) is a FamilyUnavailableError that says so",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    // the host kernel has no dpll; if it ever does, this test must pick another family
    await using sock = NetlinkSocket.open(NETLINK.GENERIC, { netns: ns.name });
    const names = new Set<string>();
    for await (const f of listFamilies(sock)) names.add(f.name);
    assert.ok(!names.has("dpll"), "this kernel has dpll: choose a family it lacks");
    const e = await FamilyClient.open(familyTables.dpll, { netns: ns.name }).then(
      () => assert.fail("opened"),
      (e) => e,
    );
    assert.ok(e instanceof FamilyUnavailableError, String(e));
    assert.ok(e instanceof NetlinkError);
    assert.equal(e.code, "ENOENT");
    assert.equal(e.family, "dpll");
    assert.equal(e.message, "family dpll is not available in this kernel (is its module loaded?)");
  },
});

Deno.test({
  name: "a dump whose spec gives no request is sent empty: nlctrl getfamily, netdev dev-get",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using ctrl = await FamilyClient.open(familyTables.nlctrl, { netns: ns.name });
    const names = [];
    for await (const r of ctrl.dump("getfamily")) names.push(r.attrs.familyName);
    await using sock = NetlinkSocket.open(NETLINK.GENERIC, { netns: ns.name });
    const listed = [];
    for await (const f of listFamilies(sock)) listed.push(f.name);
    assert.deepEqual(names, listed);
    await using netdev = await FamilyClient.open(familyTables.netdev, { netns: ns.name });
    const devs = [];
    for await (const r of netdev.dump("dev-get")) devs.push(r.attrs.ifindex);
    assert.deepEqual(devs, [1], "a fresh netns has lo only");
  },
});

/** What the kernel's cli.py (7.2) says about a rejected do: its extack dict, as JSON. */
async function cliPyExtack(ns: string, family: string, op: string, json: unknown) {
  const specs = await fetchSpecs();
  const cli = `${specs}/../../../tools/net/ynl/pyynl/cli.py`;
  const out = await new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      "python3",
      cli,
      "--spec",
      `${specs}/${family}.yaml`,
      "--no-schema",
      "--do",
      op,
      "--create",
      "--json",
      JSON.stringify(json),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const dict = /\{.*\}/.exec(text)?.[0];
  assert.ok(dict, text);
  return JSON.parse(dict.replaceAll("'", '"')) as { "bad-attr"?: string; policy?: unknown };
}

Deno.test({
  name: "a rejected attribute is named by its path in the request, with its policy, as cli.py does",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using link = await FamilyClient.open(familyTables.rt_link, { netns: ns.name });
    const create = { flags: 0x400 | 0x200 };
    // fdb-n-learned is read-only (NLA_REJECT): the offset points into the sub-message
    const e = await link.do("newlink", {
      attrs: { ifname: "br0", linkinfo: { kind: "bridge", data: { fdbNLearned: 1 } } },
    }, create).then(() => assert.fail("accepted"), (e) => e);
    assert.ok(e instanceof NetlinkError, String(e));
    const theirs = await cliPyExtack(ns.name, "rt-link", "newlink", {
      ifname: "br0",
      linkinfo: { kind: "bridge", data: { "fdb-n-learned": 1 } },
    });
    assert.equal(e.attrPath, ".linkinfo.data(bridge).fdb-n-learned");
    assert.equal(e.attrPath, theirs["bad-attr"]);
    // a name too long: the kernel sends its policy too
    const f = await link.do("newlink", {
      attrs: { ifname: "x".repeat(20), linkinfo: { kind: "bridge" } },
    }, create).then(() => assert.fail("accepted"), (e) => e);
    assert.ok(f instanceof NetlinkError, String(f));
    assert.equal(f.code, "ERANGE");
    assert.equal(f.attrPath, ".ifname");
    assert.deepEqual(f.policy, { type: "string", maxLength: 15 });
    const theirs2 = await cliPyExtack(ns.name, "rt-link", "newlink", {
      ifname: "x".repeat(20),
      linkinfo: { kind: "bridge" },
    });
    assert.equal(f.attrPath, theirs2["bad-attr"]);
    assert.deepEqual(theirs2.policy, { "max-length": 15, type: "string" });
  },
});
