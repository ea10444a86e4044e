/**
 * tun and tap devices against the host kernel in fresh namespaces: made by
 * the library (TUNSETIFF, TUNSETOWNER, TUNSETGROUP, TUNSETPERSIST through
 * `Sys.tunSetup`) in the namespace the client is opened in, compared with
 * `ip -j -d link` (its tun info) and with the same made by `ip tuntap add`
 * in another namespace; what ip makes the library decodes as ip prints it.
 */
import assert from "node:assert/strict";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { TunSpec } from "../src/rtnl/tun.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "./helpers/netns.ts";

loadSys();

type TunData = Record<string, unknown>;

const CASES: [string, string[], TunSpec][] = [
  ["tap0", ["mode", "tap", "user", "1234", "group", "5678"], {
    kind: "tap",
    owner: 1234,
    group: 5678,
  }],
  ["tun0", ["mode", "tun", "multi_queue", "pi", "vnet_hdr"], {
    kind: "tun",
    multiQueue: true,
    pi: true,
    vnetHdr: true,
  }],
  ["tap1", ["mode", "tap", "vnet_hdr", "user", "4242"], {
    kind: "tap",
    vnetHdr: true,
    owner: 4242,
  }],
  ["tun1", ["mode", "tun", "group", "4343"], { kind: "tun", group: 4343 }],
];

/** `ip -j -d link`'s tun info of each tun link, by name. */
async function ipTuns(ns: Netns): Promise<Record<string, TunData>> {
  const links = await ns.ipJson<
    { ifname: string; linkinfo?: { info_kind: string; info_data: TunData } }[]
  >("-d", "link", "show");
  return Object.fromEntries(
    links.filter((l) => l.linkinfo?.info_kind === "tun").map((l) => [
      l.ifname,
      l.linkinfo!.info_data,
    ]),
  );
}

/** The same, from what the library decoded. */
async function libTuns(rtnl: Rtnl): Promise<Record<string, TunData>> {
  const out: Record<string, TunData> = {};
  for (const l of await rtnl.links()) {
    const i = l.info;
    if (i?.kind !== "tun") continue;
    const d: TunData = {
      type: i.type,
      pi: i.pi,
      vnet_hdr: i.vnetHdr,
      multi_queue: i.multiQueue,
    };
    if (i.multiQueue) {
      d.numqueues = i.numQueues;
      d.numdisabled = l.attrs.linkinfo?.data && "numDisabledQueues" in l.attrs.linkinfo.data
        ? (l.attrs.linkinfo.data as { numDisabledQueues?: number }).numDisabledQueues
        : undefined;
    }
    d.persist = i.persist;
    if (i.owner !== undefined) d.user = i.owner;
    if (i.group !== undefined) d.group = i.group;
    out[l.name] = d;
  }
  return out;
}

Deno.test({
  name: "tun/tap: what the library makes ip sees as the same made by ip tuntap add",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byIp = await makeNetns();
    await using byLib = await makeNetns();
    for (const [name, args] of CASES) await byIp.ip("tuntap", "add", "dev", name, ...args);
    await using rtnl = Rtnl.open({ netns: byLib.name });
    for (const [name, , spec] of CASES) await rtnl.addLink(name, spec);
    const want = await ipTuns(byIp);
    assert.equal(Object.keys(want).length, CASES.length);
    assert.deepEqual(await ipTuns(byLib), want);
    assert.deepEqual(want.tap0, {
      type: "tap",
      pi: false,
      vnet_hdr: false,
      multi_queue: false,
      persist: true,
      user: 1234,
      group: 5678,
    });
    // and none in this process's own namespace
    const here = await run("ip", "-j", "link", "show");
    assert.ok(!CASES.some(([n]) => here.includes(`"${n}"`)), "made in the client's namespace");

    // a tap joins a bridge and goes away with deleteLink, as any link
    await rtnl.addLink("br0", { kind: "bridge" });
    await rtnl.setLink("tap0", { master: "br0", up: true });
    const [t] = await byLib.ipJson<{ master?: string }[]>("link", "show", "tap0");
    assert.equal(t.master, "br0");
    await rtnl.deleteLink("tap0");
    assert.ok(!("tap0" in await ipTuns(byLib)));

    await assert.rejects(rtnl.addLink("tun0", { kind: "tun" }), /EEXIST/);
    await assert.rejects(rtnl.addLink("tap9", { kind: "tap", owner: -1 }), RangeError);
    await assert.rejects(rtnl.addLink("tap9", { kind: "tap", mode: 1 } as never), /no field mode/);
    await assert.rejects(rtnl.addLink("x".repeat(16), { kind: "tap" }), /1\.\.15 bytes/);
  },
});

Deno.test({
  name: "tun/tap: what ip tuntap makes the library decodes as ip -j -d link prints it",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    for (const [name, args] of CASES) await ns.ip("tuntap", "add", "dev", name, ...args);
    await using rtnl = Rtnl.open({ netns: ns.name });
    assert.deepEqual(await libTuns(rtnl), await ipTuns(ns));
  },
});
