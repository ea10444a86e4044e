/**
 * The VM suite's own check: every module the library's VM tests will use
 * (the kinds this host's kernel lacks) loads in Debian's 7.2 with what
 * modules.dep says it needs, and the kernel then offers what each one
 * provides. (sch_ingress brings clsact, where the filters hang.)
 */
import assert from "node:assert/strict";
import { ignoreUnlessRoot, makeNetns, run } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = [
  "bonding",
  "8021q",
  "dummy",
  "vrf",
  "ipvlan",
  "wireguard",
  "sch_netem",
  "sch_fq_codel",
  "cls_flower",
  "cls_matchall",
  "act_gact",
  "sch_ingress",
  "mac80211_hwsim",
];

Deno.test("every named module is loaded (/proc/modules) or built in (modules.builtin)", async () => {
  const loaded = (await Deno.readTextFile("/proc/modules")).split("\n").map((l) => l.split(" ")[0]);
  const release = (await run("uname", "-r")).trim();
  const builtin = (await Deno.readTextFile(`/lib/modules/${release}/modules.builtin`))
    .split("\n").map((l) =>
      l.slice(l.lastIndexOf("/") + 1).replace(/\.ko$/, "").replaceAll("-", "_")
    );
  const missing = VM_MODULES.filter((m) => !loaded.includes(m) && !builtin.includes(m));
  assert.deepEqual(missing, []);
});

Deno.test({
  name: "ip and tc create what each module provides, in a fresh netns",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "d0", "type", "dummy");
    await ns.ip("link", "add", "b0", "type", "bond", "mode", "active-backup");
    await ns.ip("link", "add", "link", "d0", "name", "d0.5", "type", "vlan", "id", "5");
    await ns.ip("link", "add", "r0", "type", "vrf", "table", "10");
    await ns.ip("link", "add", "link", "d0", "name", "i0", "type", "ipvlan", "mode", "l2");
    await ns.ip("link", "add", "wg0", "type", "wireguard");
    const kinds = (await ns.ipJson<{ ifname: string; linkinfo?: { info_kind?: string } }[]>(
      "-d",
      "link",
    )).map((l) => [l.ifname, l.linkinfo?.info_kind]);
    for (
      const k of [["d0", "dummy"], ["b0", "bond"], ["d0.5", "vlan"], ["r0", "vrf"], [
        "i0",
        "ipvlan",
      ], [
        "wg0",
        "wireguard",
      ]]
    ) assert.ok(kinds.some((x) => x[0] === k[0] && x[1] === k[1]), `${k.join(" ")} in ${kinds}`);
    const tc = (...args: string[]) => run("ip", "netns", "exec", ns.name, "tc", ...args);
    await ns.ip("link", "set", "d0", "up");
    await tc("qdisc", "add", "dev", "d0", "root", "netem", "delay", "1ms");
    await tc("qdisc", "replace", "dev", "d0", "root", "fq_codel");
    await tc("qdisc", "add", "dev", "d0", "clsact");
    await tc("filter", "add", "dev", "d0", "ingress", "matchall", "action", "drop");
    await tc(
      "filter",
      "add",
      "dev",
      "d0",
      "egress",
      "protocol",
      "ip",
      "flower",
      "ip_proto",
      "udp",
      "action",
      "pass",
    );
    const qdiscs = JSON.parse(await tc("-j", "qdisc", "show", "dev", "d0")) as { kind: string }[];
    assert.deepEqual(qdiscs.map((q) => q.kind).sort(), ["clsact", "fq_codel"]);
    const filters = JSON.parse(await tc("-j", "filter", "show", "dev", "d0", "ingress")) as {
      kind: string;
    }[];
    assert.ok(filters.some((f) => f.kind === "matchall"), JSON.stringify(filters));
  },
});

Deno.test("mac80211_hwsim's radios show in iw as wiphys", async () => {
  const phys = (await run("iw", "dev")).match(/^phy#\d+/gm) ??
    (await run("iw", "phy")).match(/^Wiphy \S+/gm) ?? [];
  assert.ok(phys.length >= 2, `iw sees ${phys.length} radios`);
});

Deno.test("the tools tests compare with run: ip, bridge, tc, wg, nft, conntrack", async () => {
  for (
    const [tool, ...args] of [
      ["ip", "-V"],
      ["bridge", "-V"],
      ["tc", "-V"],
      ["wg", "--version"],
      ["nft", "--version"],
      ["conntrack", "--version"],
    ]
  ) {
    await run(tool, ...args);
  }
});
