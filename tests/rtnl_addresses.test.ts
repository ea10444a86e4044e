/**
 * Addresses with flags, lifetimes, peer, broadcast, label, metric and
 * replace against the host kernel in fresh namespaces, compared with
 * `ip -j address` field by field: what ip creates the library decodes as
 * ip prints it; the same addresses made by `ip address add` in one
 * namespace and by the library in another read back the same through ip.
 */
import assert from "node:assert/strict";
import { formatAddress } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { Address } from "../src/rtnl/client.ts";
import type { AddressSpec } from "../src/rtnl/addresses.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "./helpers/netns.ts";

loadSys();

type IpAddr = Record<string, unknown>;

const CASES: [string[], AddressSpec][] = [
  [
    [
      "10.0.0.1/24",
      "brd",
      "+",
      "label",
      "ra:1",
      "noprefixroute",
      "valid_lft",
      "100",
      "preferred_lft",
      "50",
    ],
    {
      address: "10.0.0.1/24",
      broadcast: "+",
      label: "ra:1",
      flags: ["noprefixroute"],
      validLifetime: 100,
      preferredLifetime: 50,
    },
  ],
  [
    ["10.0.1.1", "peer", "10.0.1.2/30", "scope", "link"],
    { address: "10.0.1.1", peer: "10.0.1.2/30", scope: "link" },
  ],
  [["10.0.2.1/16", "brd", "10.0.255.254"], { address: "10.0.2.1/16", broadcast: "10.0.255.254" }],
  [["10.0.2.9/16"], { address: "10.0.2.9/16" }], // a secondary of the one above
  [
    ["2001:db8::1/64", "nodad", "home", "mngtmpaddr", "metric", "5"],
    { address: "2001:db8::1/64", flags: ["nodad", "homeaddress", "managetempaddr"], metric: 5 },
  ],
  [
    ["2001:db8:1::1/64", "valid_lft", "3000", "preferred_lft", "0"],
    { address: "2001:db8:1::1/64", validLifetime: 3000, preferredLifetime: 0 },
  ],
  [
    ["2001:db8:2::1", "peer", "2001:db8:2::2/128", "nodad"],
    { address: "2001:db8:2::1", peer: "2001:db8:2::2/128", flags: ["nodad"] },
  ],
];

const SCOPES: Record<number, string> = { 0: "global", 200: "site", 253: "link", 254: "host" };
const IP_FLAG: Record<string, string> = {
  homeaddress: "home",
  managetempaddr: "mngtmpaddr",
  mcautojoin: "autojoin",
};

/** What `ip -j address` prints of an address, from what the library decoded. */
function asIp(a: Address): IpAddr {
  const local = formatAddress(a.local ?? a.address!); // IPv6 has IFA_LOCAL with a peer only
  const o: IpAddr = { family: a.family === 2 ? "inet" : "inet6", local };
  if (a.address && formatAddress(a.address) !== o.local) o.address = formatAddress(a.address);
  o.prefixlen = a.prefixLength;
  if (a.broadcast) o.broadcast = formatAddress(a.broadcast);
  if (a.metric !== undefined) o.metric = a.metric;
  o.scope = SCOPES[a.scope] ?? String(a.scope);
  if (!a.flagNames.includes("permanent")) o.dynamic = true;
  for (const f of a.flagNames) {
    if (f === "permanent") continue;
    o[f === "secondary" && a.family === 10 ? "temporary" : IP_FLAG[f] ?? f] = true;
  }
  if (a.label !== undefined) o.label = a.label;
  const life = (l: Address["validLifetime"]) => l === "forever" ? 4294967295 : l;
  o.valid_life_time = life(a.validLifetime);
  o.preferred_life_time = life(a.preferredLifetime);
  return o;
}

async function ipAddrs(ns: Netns): Promise<IpAddr[]> {
  const [l] = await ns.ipJson<{ addr_info: IpAddr[] }[]>("address", "show", "dev", "ra");
  return l.addr_info;
}

/**
 * Finite lifetimes count down: `later` (read after `earlier`) may be a
 * second or two less; each is set to the other's when so, and compared whole.
 */
function sameLifetimes(earlier: IpAddr[], later: IpAddr[]) {
  assert.equal(later.length, earlier.length);
  for (const [i, e] of earlier.entries()) {
    for (const k of ["valid_life_time", "preferred_life_time"]) {
      const a = e[k] as number, b = later[i][k] as number;
      if (a !== 4294967295 && b <= a && b >= a - 2) later[i][k] = a;
    }
  }
}

async function withLink(): Promise<Netns> {
  const ns = await makeNetns();
  await ns.ip("link", "add", "ra", "type", "veth", "peer", "name", "rb");
  return ns;
}

Deno.test({
  name: "addresses: what ip creates the library decodes as ip -j address prints it",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await withLink();
    for (const [args] of CASES) await ns.ip("address", "add", ...args, "dev", "ra");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const index = (await rtnl.getLink("ra")).index;
    const ip = await ipAddrs(ns);
    const lib = (await rtnl.addresses()).filter((a) => a.index === index).map(asIp);
    assert.equal(ip.length, CASES.length);
    sameLifetimes(ip, lib);
    assert.deepEqual(lib, ip);
    assert.ok(ip.some((a) => a.secondary === true) && ip.some((a) => a.noprefixroute === true));
  },
});

Deno.test({
  name: "addresses: what the library creates ip sees as it sees the same made by ip; replace",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byIp = await withLink();
    await using byLib = await withLink();
    for (const [args] of CASES) await byIp.ip("address", "add", ...args, "dev", "ra");
    await using rtnl = Rtnl.open({ netns: byLib.name });
    for (const [, spec] of CASES) await rtnl.addAddress("ra", spec);
    const want = await ipAddrs(byIp);
    const got = await ipAddrs(byLib);
    sameLifetimes(want, got);
    assert.deepEqual(got, want);
    await assert.rejects(rtnl.addAddress("ra", CASES[0][1]), /EEXIST/);

    // replace: new lifetimes and flags on the existing address, as ip address replace
    const replaced: AddressSpec = { ...CASES[0][1], flags: [], validLifetime: "forever" };
    await byIp.ip("address", "replace", "10.0.0.1/24", "brd", "+", "label", "ra:1", "dev", "ra");
    await rtnl.addAddress("ra", replaced, { mode: "replace" });
    const want2 = await ipAddrs(byIp), got2 = await ipAddrs(byLib);
    assert.deepEqual(got2, want2);
    const a = got2.find((x) => x.local === "10.0.0.1")!;
    assert.equal(a.valid_life_time, 4294967295);
    // (IPv4 replace keeps noprefixroute, with ip as with the library)

    // delete by the spec, peer included
    await rtnl.deleteAddress("ra", { address: "10.0.1.1", peer: "10.0.1.2/30" });
    await rtnl.deleteAddress("ra", "2001:db8::1/64");
    const left = (await ipAddrs(byLib)).map((x) => x.local);
    assert.ok(!left.includes("10.0.1.1") && !left.includes("2001:db8::1"), String(left));
    assert.equal(left.length, CASES.length - 2);
  },
});

Deno.test({
  name: "addresses: bad specs are typed errors before anything is sent",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await withLink();
    await using rtnl = Rtnl.open({ netns: ns.name });
    const bad: [unknown, RegExp | ErrorConstructor][] = [
      [{ address: "10.0.0.1/24", flags: ["nodda"] }, /did you mean "nodad"/],
      [{ address: "10.0.0.1/24", lifetime: 3 }, /no field lifetime/],
      [{ address: "10.0.0.1/24", validLifetime: 10, preferredLifetime: 20 }, RangeError],
      [{ address: "10.0.0.1/24", validLifetime: 0 }, RangeError],
      [{ address: "10.0.0.1/24", validLifetime: -1 }, RangeError],
      [{ address: "10.0.0.1/24", peer: "::1" }, /not of the family/],
      [{ address: "2001:db8::1/64", broadcast: "+" }, /IPv4 only/],
      [{ address: "10.0.0.1/24", label: "x".repeat(16) }, /1\.\.15/],
      [{ address: "10.0.0.1/24", scope: "galaxy" }, /address scope/],
      [{ address: "10.0.0.1/33" }, /prefix length/],
    ];
    for (const [spec, err] of bad) {
      await assert.rejects(rtnl.addAddress("ra", spec as AddressSpec), err as RegExp);
    }
    await assert.rejects(rtnl.addAddress("ra", "10.0.0.1/24", { mode: "merge" as never }), /mode/);
    assert.deepEqual(await ipAddrs(ns), []);
  },
});
