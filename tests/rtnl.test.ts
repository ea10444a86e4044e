/**
 * rtnetlink through the generated families, against the host kernel in a
 * fresh netns: what the library lists matches `ip -j`, what it changes
 * `ip` sees, and its events decode.
 */
import assert from "node:assert/strict";
import { formatAddress, Message, MessageWriter } from "../mod.ts";
import { Rtnl, RTNL_EVENT_GROUPS, type RtnlEventKind } from "../src/rtnl/mod.ts";
import { uevents } from "../src/uevent.ts";
import { loadSys } from "../src/sys.ts";
import { FamilyClient } from "../src/ynl/family.ts";
import { rtLink } from "../src/families/rt_link.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, openFds } from "./helpers/netns.ts";

loadSys();

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  flags: string[];
  address?: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddr {
  ifindex: number;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
}
interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

async function populated(): Promise<Netns> {
  const ns = await makeNetns();
  await ns.ip("link", "add", "ta", "type", "veth", "peer", "name", "tb");
  await ns.ip("link", "set", "ta", "up");
  await ns.ip("link", "set", "tb", "up");
  await ns.ip("link", "set", "tb", "mtu", "1400");
  await ns.ip("addr", "add", "10.20.0.1/24", "dev", "ta");
  await ns.ip("addr", "add", "10.20.1.1/24", "dev", "ta");
  await ns.ip("addr", "add", "2001:db8:20::1/64", "dev", "ta", "nodad");
  await ns.ip("route", "add", "10.30.0.0/16", "via", "10.20.0.2", "metric", "7");
  await ns.ip("route", "add", "2001:db8:30::/48", "via", "2001:db8:20::2", "dev", "ta");
  await ns.ip(
    "neigh",
    "add",
    "10.20.0.9",
    "lladdr",
    "02:00:00:00:00:09",
    "dev",
    "ta",
    "nud",
    "permanent",
  );
  await ns.ip(
    "neigh",
    "add",
    "2001:db8:20::9",
    "lladdr",
    "02:00:00:00:00:19",
    "dev",
    "ta",
    "nud",
    "permanent",
  );
  return ns;
}

const mac = (b?: Uint8Array) => b && [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");

Deno.test({
  name: "links, addresses, routes and neighbours match ip -j (IPv4 and IPv6)",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await populated();
    await using rtnl = Rtnl.open({ netns: ns.name });

    const links = await rtnl.links();
    const ipLinks = await ns.ipJson<IpLink[]>("-d", "link");
    assert.deepEqual(
      links.map((l) => [l.index, l.name, l.mtu, l.up, l.kind, mac(l.address)]),
      ipLinks.map((l) => [
        l.ifindex,
        l.ifname,
        l.mtu,
        l.flags.includes("UP"),
        l.linkinfo?.info_kind,
        l.address,
      ]),
    );

    const addrs = await rtnl.addresses();
    const ipAddrs = (await ns.ipJson<IpAddr[]>("addr")).flatMap((l) =>
      l.addr_info.map((a) => [l.ifindex, a.family === "inet" ? 2 : 10, a.local, a.prefixlen])
    );
    // ip groups them by interface; the kernel's dump goes family by family
    const key = (x: unknown[]) => x.join(" ");
    assert.deepEqual(
      addrs.map((a) => [a.index, a.family, formatAddress(a.local ?? a.address!), a.prefixLength])
        .map(key).sort(),
      ipAddrs.map(key).sort(),
    );
    assert.ok(addrs.length >= 5, `${addrs.length} addresses`);

    const names = new Map(links.map((l) => [l.index, l.name]));
    for (const v of [4, 6] as const) {
      const routes = await rtnl.routes({ ipVersion: v });
      const ipRoutes = await ns.ipJson<IpRoute[]>(`-${v}`, "route");
      assert.deepEqual(
        routes.map((r) => [
          r.dst
            ? (r.dstLength === r.dst.length * 8
              ? formatAddress(r.dst)
              : `${formatAddress(r.dst)}/${r.dstLength}`)
            : "default",
          r.gateway && formatAddress(r.gateway),
          r.oif === undefined ? undefined : names.get(r.oif),
          r.priority,
        ]),
        ipRoutes.map((r) => [r.dst, r.gateway, r.dev, r.metric]),
        `IPv${v} routes`,
      );
      assert.ok(routes.length >= 2, `IPv${v}: ${routes.length} routes`);

      const neigh = await rtnl.neighbours({ ipVersion: v });
      const ipNeigh = await ns.ipJson<IpNeigh[]>(`-${v}`, "neigh", "show", "nud", "all");
      assert.deepEqual(
        neigh.map((n) => [formatAddress(n.dst!), names.get(n.index), mac(n.lladdr)]),
        ipNeigh.map((n) => [n.dst, n.dev, n.lladdr]),
        `IPv${v} neighbours`,
      );
      assert.ok(neigh.length >= 1);
    }
  },
});

Deno.test({
  name: "what the library adds and deletes, ip sees; its events decode",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    const events = rtnl.events(["link", "address", "route"], {
      signal: AbortSignal.timeout(10_000),
    });
    // The subscription starts at the first next(): read from before the changes.
    const seen = new Set<string>();
    const reading = (async () => {
      for await (const e of events) {
        if (e.kind === "link") seen.add(`${e.action}link ${e.link.name}`);
        if (e.kind === "address") {
          seen.add(`${e.action}addr ${formatAddress(e.address.local ?? e.address.address!)}`);
        }
        if (e.kind === "route" && e.route.dst) {
          seen.add(`${e.action}route ${formatAddress(e.route.dst)}/${e.route.dstLength}`);
        }
        if (seen.has("dellink yb") && seen.has("dellink ya")) break;
      }
    })();

    await rtnl.addVeth("ya", "yb");
    await rtnl.setLinkUp("ya");
    await rtnl.setLinkUp("yb");
    await rtnl.addAddress("ya", "10.40.0.1/24");
    await rtnl.addAddress("ya", "2001:db8:40::1/64");
    await rtnl.addRoute({ dst: "10.41.0.0/16", gateway: "10.40.0.2" });
    await rtnl.addRoute({ dst: "2001:db8:41::/48", dev: "ya", metric: 9 });

    const link = await ns.ipJson<IpLink[]>("-d", "link", "show", "ya");
    assert.equal(link[0].linkinfo?.info_kind, "veth");
    assert.ok(link[0].flags.includes("UP"));
    const addrs = (await ns.ipJson<IpAddr[]>("addr", "show", "ya"))[0].addr_info.map((a) =>
      `${a.local}/${a.prefixlen}`
    );
    assert.ok(addrs.includes("10.40.0.1/24") && addrs.includes("2001:db8:40::1/64"), String(addrs));
    const r4 = await ns.ipJson<IpRoute[]>("-4", "route", "show", "10.41.0.0/16");
    assert.deepEqual(r4.map((r) => r.gateway), ["10.40.0.2"]);
    const r6 = await ns.ipJson<IpRoute[]>("-6", "route", "show", "2001:db8:41::/48");
    assert.deepEqual(r6.map((r) => [r.dev, r.metric]), [["ya", 9]]);
    assert.equal((await rtnl.getLink("yb")).name, "yb");
    await rtnl.addNeighbour("ya", "10.40.0.7", "02:00:00:00:00:07");
    await rtnl.addNeighbour("ya", "2001:db8:40::7", "02:00:00:00:00:17");
    const neigh = await ns.ipJson<IpNeigh[]>("neigh", "show", "dev", "ya", "nud", "permanent");
    assert.deepEqual(neigh.map((n) => [n.dst, n.lladdr]).sort(), [
      ["10.40.0.7", "02:00:00:00:00:07"],
      ["2001:db8:40::7", "02:00:00:00:00:17"],
    ]);
    await rtnl.deleteNeighbour("ya", "10.40.0.7");
    assert.deepEqual(
      await ns.ipJson<IpNeigh[]>("-4", "neigh", "show", "dev", "ya", "nud", "permanent"),
      [],
    );

    await rtnl.deleteRoute({ dst: "10.41.0.0/16", gateway: "10.40.0.2" });
    assert.deepEqual(await ns.ipJson("-4", "route", "show", "10.41.0.0/16"), []);
    await rtnl.setLinkUp("ya", false); // (takes the link's IPv4 routes with it)
    assert.ok(!(await ns.ipJson<IpLink[]>("link", "show", "ya"))[0].flags.includes("UP"));
    await rtnl.deleteAddress("ya", "10.40.0.1/24");
    await rtnl.deleteLink("ya");
    assert.deepEqual(
      (await ns.ipJson<IpLink[]>("link")).map((l) => l.ifname),
      ["lo"],
      "deleting one end of a veth deletes both",
    );
    await assert.rejects(rtnl.getLink("ya"), (e: Error & { code?: string }) => e.code === "ENODEV");

    await reading;
    for (
      const want of [
        "newlink ya",
        "newlink yb",
        "newaddr 10.40.0.1",
        "newaddr 2001:db8:40::1",
        "newroute 10.41.0.0/16",
        "newroute 2001:db8:41::/48",
        "delroute 10.41.0.0/16",
        "deladdr 10.40.0.1",
        "dellink ya",
      ]
    ) assert.ok(seen.has(want), `missing event ${want}: ${[...seen].join(", ")}`);
  },
});

Deno.test("decoding keeps attributes the spec does not know", () => {
  const w = new MessageWriter().begin(16 /* RTM_NEWLINK */);
  w.fixed(16);
  w.string(3, "x0");
  w.u32(4, 1500);
  w.u32(999, 7); // an attribute from a future kernel
  const [m] = Message.parseAll(w.finish());
  const client = FamilyClient.attach(rtLink, undefined as never);
  const d = client.decode(m);
  assert.equal(d.op, "getlink");
  assert.equal(d.attrs.ifname, "x0");
  assert.equal(d.attrs.mtu, 1500);
  assert.deepEqual((d.attrs.unknown as Record<number, Uint8Array[]>)[999].map((b) => [...b]), [[
    7,
    0,
    0,
    0,
  ]]);
});

Deno.test("event iterators never started hold no descriptor: Rtnl.events() and uevents()", async () => {
  await using rtnl = Rtnl.open();
  const before = openFds();
  const left = [];
  for (let i = 0; i < 50; i++) left.push(rtnl.events(["link"]), uevents());
  assert.equal(openFds(), before, "created, never started");
  for (const it of left) await it.return?.();
  assert.equal(openFds(), before, "returned before their first next()");
  const stop = new AbortController();
  const first = rtnl.events(["link"], { signal: stop.signal }).next(); // opens and joins now
  assert.ok(openFds() > before);
  stop.abort();
  await first.catch(() => {});
  assert.equal(openFds(), before, "aborted after their first next()");
});

Deno.test("Rtnl.events(): its kinds are the kinds it yields; a misspelt one is a TypeError", async () => {
  await using rtnl = Rtnl.open();
  assert.deepEqual(Object.keys(RTNL_EVENT_GROUPS), [
    "link",
    "address",
    "route",
    "neighbour",
    "rule",
    "fdb",
    "nexthop",
    "vlan",
  ]);
  const message = (kind: string) => {
    try {
      rtnl.events([kind as RtnlEventKind]);
    } catch (e) {
      assert.ok(e instanceof TypeError, String(e));
      return e.message;
    }
    assert.fail(`${kind} was taken`);
  };
  assert.equal(
    message("adress"),
    'Rtnl.events: unknown event kind "adress" (did you mean "address"?); valid: link, address, route, neighbour, rule, fdb, nexthop, vlan',
  );
  assert.match(message("neigh"), /did you mean "neighbour"\?/);
  assert.match(message("ipv4-route"), /unknown event kind "ipv4-route".*valid: link, address/);
  assert.match(message("constructor"), /unknown event kind "constructor"/);
  assert.throws(() => rtnl.events(["link"], { ipVersion: 5 as 4 }), RangeError);
});
