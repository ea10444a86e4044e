/**
 * dump.ts --json against `ip -j` on the same fresh netns, object by object
 * and key by key (the same keys in the same order, the same values):
 * links (and -d), addresses (-4/-6), routes of several types, tables,
 * scopes and protocols (-4/-6, table selection), neighbours (permanent,
 * reachable, noarp, proxy). Only what changes between the two runs is let
 * go: bridge timers and the remaining lifetime of an expiring address.
 */
import assert from "node:assert/strict";
import { ignoreUnlessRoot, makeNetns, type Netns, run, waitOperUp } from "./helpers/netns.ts";

const dumpTs = new URL("../src/cli/dump.ts", import.meta.url).pathname;

async function dump(ns: Netns, ...args: string[]): Promise<unknown[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", dumpTs, ...args, "--netns", ns.name, "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const t = new TextDecoder();
  assert.equal(out.code, 0, `dump.ts ${args.join(" ")}: ${t.decode(out.stderr)}`);
  return JSON.parse(t.decode(out.stdout));
}

/** Keys whose values move between two runs: timers, and an expiring address's lifetimes. */
function volatile(key: string, mine: unknown, ip: unknown): boolean {
  if (/_timer$/.test(key)) return typeof mine === "number" && typeof ip === "number";
  if (key === "valid_life_time" || key === "preferred_life_time") {
    return typeof mine === "number" && typeof ip === "number" && mine !== 0xffffffff &&
      Math.abs(mine - ip) <= 3;
  }
  return false;
}

/** The same JSON: keys in the same order, equal values (volatile ones excepted). */
function sameJson(mine: unknown, ip: unknown, path: string): void {
  if (Array.isArray(ip)) {
    assert.ok(Array.isArray(mine), `${path}: an array in ip, ${JSON.stringify(mine)} here`);
    assert.equal(mine.length, ip.length, `${path}: ${mine.length} entries, ip has ${ip.length}`);
    ip.forEach((v, i) => sameJson(mine[i], v, `${path}[${i}]`));
    return;
  }
  if (ip !== null && typeof ip === "object") {
    assert.ok(mine !== null && typeof mine === "object" && !Array.isArray(mine), path);
    const m = mine as Record<string, unknown>, o = ip as Record<string, unknown>;
    assert.deepEqual(Object.keys(m), Object.keys(o), `${path}: keys (or their order) differ`);
    for (const k of Object.keys(o)) {
      if (!volatile(k, m[k], o[k])) sameJson(m[k], o[k], `${path}.${k}`);
    }
    return;
  }
  assert.equal(mine, ip, path);
}

async function compare(ns: Netns, mine: string[], ip: string[]): Promise<number> {
  const a = await dump(ns, ...mine);
  const b = await ns.ipJson<unknown[]>(...ip);
  const label = `dump.ts ${mine.join(" ")} vs ip -j ${ip.join(" ")}`;
  assert.equal(a.length, b.length, `${label}: ${a.length} objects, ip has ${b.length}`);
  for (let i = 0; i < b.length; i++) sameJson(a[i], b[i], `${label} [${i}]`);
  return b.length;
}

async function setUp(ns: Netns): Promise<void> {
  const ip = (...a: string[]) => ns.ip(...a);
  // no DAD: addresses keep their flags between the two runs
  await run(
    "ip",
    "netns",
    "exec",
    ns.name,
    "sh",
    "-c",
    "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad",
  );
  await ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
  await ip("link", "add", "br0", "type", "bridge");
  await ip("link", "set", "v0", "master", "br0");
  await ip(
    "link",
    "add",
    "vx0",
    "type",
    "vxlan",
    "id",
    "42",
    "dstport",
    "4789",
    "local",
    "10.9.0.1",
  );
  await ip("link", "set", "v1", "alias", "the peer");
  await ip("link", "property", "add", "dev", "v1", "altname", "veth-one-alt");
  for (const d of ["v0", "v1", "br0"]) await ip("link", "set", d, "up");
  await ip("addr", "add", "10.9.0.1/24", "dev", "v1");
  await ip("addr", "add", "10.9.0.7/24", "dev", "v1"); // secondary
  await ip("addr", "add", "10.9.1.1/24", "dev", "v1", "valid_lft", "1000", "preferred_lft", "500");
  await ip("addr", "add", "192.168.5.1", "peer", "192.168.5.2", "dev", "v1");
  await ip("addr", "add", "10.9.2.1/24", "brd", "+", "dev", "br0", "label", "br0:a");
  await ip("addr", "add", "2001:db8::1/64", "dev", "v1", "noprefixroute");
  await ip(
    "addr",
    "add",
    "2001:db8:1::1/64",
    "dev",
    "v1",
    "valid_lft",
    "900",
    "preferred_lft",
    "0",
  );
  await ip("addr", "add", "::ffff:0:0/128", "dev", "br0", "nodad");
  await ip("route", "add", "10.20.0.0/16", "via", "10.9.0.2", "proto", "static", "metric", "50");
  await ip("route", "add", "blackhole", "10.30.0.0/16");
  await ip("route", "add", "unreachable", "10.31.0.0/16", "proto", "bird");
  await ip("route", "add", "prohibit", "10.32.0.0/16", "proto", "188");
  await ip("route", "add", "10.40.0.1", "dev", "v1", "scope", "link");
  await ip("route", "add", "10.41.0.0/24", "dev", "v1", "src", "10.9.0.1", "mtu", "lock", "1400");
  await ip("route", "add", "default", "via", "10.9.0.254", "dev", "v1", "onlink");
  await ip(
    "route",
    "add",
    "10.50.0.0/24",
    "table",
    "100",
    "nexthop",
    "via",
    "10.9.0.2",
    "weight",
    "1",
    "nexthop",
    "via",
    "10.9.0.3",
    "weight",
    "2",
  );
  await ip("route", "add", "throw", "10.51.0.0/24", "table", "100");
  await ip("route", "add", "10.60.0.0/16", "dev", "br0", "table", "200", "proto", "dhcp");
  await ip(
    "-6",
    "route",
    "add",
    "2001:db8:9::/48",
    "via",
    "2001:db8:1::2",
    "dev",
    "v1",
    "pref",
    "high",
  );
  await ip("-6", "route", "add", "2001:db8:a::1", "dev", "v1", "metric", "7", "table", "100");
  await ip(
    "neigh",
    "add",
    "10.9.0.5",
    "lladdr",
    "02:00:00:00:00:05",
    "dev",
    "v1",
    "nud",
    "permanent",
  );
  await ip(
    "neigh",
    "add",
    "10.9.0.6",
    "lladdr",
    "02:00:00:00:00:06",
    "dev",
    "v1",
    "nud",
    "reachable",
  );
  await ip("neigh", "add", "10.9.0.8", "lladdr", "02:00:00:00:00:08", "dev", "v1", "nud", "noarp");
  await ip("neigh", "add", "10.9.0.9", "dev", "v1", "nud", "stale", "lladdr", "02:00:00:00:00:09");
  await ip("neigh", "add", "2001:db8::5", "lladdr", "02:00:00:00:00:15", "dev", "v1", "router");
  await ip("neigh", "add", "proxy", "10.9.0.77", "dev", "v1");
  await ip("neigh", "add", "proxy", "2001:db8::77", "dev", "v1");
  for (const d of ["v0", "v1", "br0"]) await waitOperUp(ns, d);
}

Deno.test({
  name: "dump.ts --json prints what ip -j prints: links, addresses, routes, neighbours",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await setUp(ns);

    assert.equal(await compare(ns, ["link"], ["link"]), 5);
    assert.equal(await compare(ns, ["link", "-d"], ["-d", "link"]), 5);
    assert.equal(await compare(ns, ["address"], ["address"]), 5);
    assert.equal(await compare(ns, ["address", "-4"], ["-4", "address"]), 3);
    assert.equal(await compare(ns, ["address", "-d"], ["-d", "address"]), 5);
    assert.ok(await compare(ns, ["address", "-6", "-d"], ["-6", "-d", "address"]) >= 3);
    assert.ok(await compare(ns, ["address", "-6"], ["-6", "address"]) >= 3);
    assert.ok(await compare(ns, ["route"], ["route"]) >= 10);
    assert.ok(await compare(ns, ["route", "-4"], ["-4", "route"]) >= 10);
    assert.ok(await compare(ns, ["route", "-6"], ["-6", "route"]) >= 3);
    assert.ok(
      await compare(ns, ["route", "show", "table", "all"], ["route", "show", "table", "all"]) >= 25,
    );
    assert.ok(
      await compare(ns, ["route", "-6", "table", "all"], ["-6", "route", "show", "table", "all"]) >=
        5,
    );
    assert.equal(
      await compare(ns, ["route", "table", "100"], ["route", "show", "table", "100"]),
      2,
    );
    assert.equal(
      await compare(ns, ["route", "--table", "200"], ["route", "show", "table", "200"]),
      1,
    );
    assert.ok(
      await compare(ns, ["route", "table", "local"], ["route", "show", "table", "local"]) >= 8,
    );
    assert.equal(
      await compare(ns, ["route", "-6", "table", "100"], ["-6", "route", "show", "table", "100"]),
      1,
    );
    assert.ok(await compare(ns, ["route", "-d"], ["-d", "route"]) >= 10);
    // the noarp entry is hidden, as ip hides it
    assert.equal(await compare(ns, ["neighbour"], ["neigh"]), 4);
    assert.equal(await compare(ns, ["neighbour", "-4"], ["-4", "neigh"]), 3);
    assert.equal(await compare(ns, ["neighbour", "proxy"], ["neigh", "show", "proxy"]), 2);
  },
});

Deno.test({
  name: "dump.ts --json prints what ip -j prints for a veth whose peer is in another netns",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using other = await makeNetns();
    await ns.ip("link", "add", "x0", "type", "veth", "peer", "name", "x1");
    await ns.ip("link", "set", "x1", "netns", other.name);
    await ns.ip("link", "set", "x0", "up");
    for (const n of [ns, other]) {
      assert.equal(await compare(n, ["link"], ["link"]), 2);
      assert.equal(await compare(n, ["link", "-d"], ["-d", "link"]), 2);
    }
    const [, x0] = await dump(ns, "link") as Record<string, unknown>[];
    assert.equal(typeof x0.link_index, "number");
    assert.equal(typeof x0.link_netnsid, "number");
  },
});

Deno.test({
  name: "dump.ts: the values ip names come out as names, defaults left out",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await setUp(ns);
    const routes = await dump(ns, "route") as Record<string, unknown>[];
    const host = routes.find((r) => r.dst === "10.40.0.1");
    assert.deepEqual(host, { dst: "10.40.0.1", dev: "v1", scope: "link", flags: [] });
    assert.deepEqual(routes.find((r) => r.dst === "10.30.0.0/16"), {
      type: "blackhole",
      dst: "10.30.0.0/16",
      flags: [],
    });
    const neigh = await dump(ns, "neigh") as Record<string, unknown>[];
    assert.ok(!neigh.some((n) => n.dst === "10.9.0.8"), "the NOARP entry is hidden");
    assert.deepEqual(neigh.find((n) => n.dst === "10.9.0.5")?.state, ["PERMANENT"]);
    const links = await dump(ns, "link") as Record<string, unknown>[];
    assert.deepEqual(links[0].flags, ["LOOPBACK", "UP", "LOWER_UP"]);
    // a table that does not exist: the kernel's error, as ip shows it
    const missing = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-ffi",
        "--allow-read",
        dumpTs,
        "route",
        "table",
        "77",
        "--netns",
        ns.name,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(missing.code, 1);
    assert.match(
      new TextDecoder().decode(missing.stderr),
      /ENOENT \(ipv4: FIB table does not exist\)/,
    );
    assert.match(
      await ns.ip("route", "show", "table", "77").catch((e) => String(e)),
      /FIB table does not exist/,
    );
  },
});

Deno.test("dump.ts: a bad table or argument is a usage error (exit 2)", async () => {
  for (
    const args of [["route", "table", "nosuch"], ["link", "table", "1"], ["neigh", "bogus"]]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", "--allow-read", dumpTs, ...args, "--json"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(out.stderr), /^dump\.ts: /);
  }
});

Deno.test("ip_json ntop writes IPv6 addresses as glibc's inet_ntop does", async () => {
  const { ntop } = await import("../src/cli/ip_json/format.ts");
  // addresses with runs of zero groups in every place, and the v4-mapped/compatible forms
  const cases: Uint8Array[] = [new Uint8Array(16)];
  for (let i = 0; i < 300; i++) {
    const b = new Uint8Array(16);
    for (let g = 0; g < 8; g++) {
      const r = Math.random();
      const v = r < 0.5 ? 0 : r < 0.7 ? 1 : Math.floor(Math.random() * 0x10000);
      b[2 * g] = v >> 8, b[2 * g + 1] = v & 255;
    }
    if (i % 10 === 0) b.fill(0, 0, 10), b[10] = b[11] = i % 20 ? 0xff : 0;
    cases.push(b);
  }
  const hexes = cases.map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(""));
  const py =
    "import socket,sys\nfor h in sys.argv[1:]: print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(h)))";
  const out = await run("python3", "-c", py, ...hexes);
  assert.deepEqual(cases.map(ntop), out.trim().split("\n"));
});
