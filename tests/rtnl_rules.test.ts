/**
 * Policy rules against the host kernel in fresh namespaces, compared with
 * `ip -j rule` field by field: the same rules made by `ip rule add` in one
 * namespace and by the library in another read back the same through ip;
 * what ip creates the library decodes as ip prints it; delete matches as
 * `ip rule del` does; IPv4 and IPv6.
 */
import assert from "node:assert/strict";
import { formatAddress } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import type { Rule, RuleSpec } from "../src/rtnl/rules.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, type Netns } from "./helpers/netns.ts";

loadSys();

type IpRule = Record<string, unknown>;

/** Each rule both as `ip rule add` arguments and as a RuleSpec. */
const CASES: [string[], RuleSpec][] = [
  [
    ["pref", "100", "from", "10.0.0.0/8", "to", "192.168.1.0/24", "table", "100"],
    { priority: 100, from: "10.0.0.0/8", to: "192.168.1.0/24", table: 100 },
  ],
  [
    ["pref", "101", "iif", "ra", "oif", "rb", "fwmark", "0x10/0xff", "lookup", "1000"],
    { priority: 101, iif: "ra", oif: "rb", fwmark: 0x10, fwmask: 0xff, table: 1000 },
  ],
  [
    ["pref", "102", "not", "from", "all", "lookup", "main", "suppress_prefixlength", "0"],
    { priority: 102, not: true, table: "main", suppressPrefixLength: 0 },
  ],
  [["pref", "103", "blackhole"], { priority: 103, action: "blackhole" }],
  [["pref", "104", "goto", "200"], { priority: 104, goto: 200 }],
  [["pref", "105", "unreachable", "tos", "0x10"], {
    priority: 105,
    action: "unreachable",
    tos: 16,
  }],
  [["pref", "106", "nop"], { priority: 106, action: "nop" }],
  [["pref", "107", "fwmark", "5", "lookup", "local"], { priority: 107, fwmark: 5, table: "local" }],
  [["pref", "108", "l3mdev"], { priority: 108, l3mdev: true }],
  [["pref", "109", "iif", "gone0", "lookup", "9"], { priority: 109, iif: "gone0", table: 9 }],
  [["pref", "110", "from", "10.1.2.3", "prohibit"], {
    priority: 110,
    from: "10.1.2.3",
    action: "prohibit",
  }],
  [["pref", "120", "goto", "999"], { priority: 120, action: "goto", goto: 999 }],
  [
    [
      "pref",
      "130",
      "ipproto",
      "tcp",
      "sport",
      "80",
      "dport",
      "1000-2000",
      "uidrange",
      "100-200",
      "table",
      "7",
    ],
    { priority: 130, ipProto: 6, sport: 80, dport: [1000, 2000], uidRange: [100, 200], table: 7 },
  ],
  [["pref", "131", "ipproto", "udp", "dport", "53", "table", "8"], {
    priority: 131,
    ipProto: 17,
    dport: 53,
    table: 8,
  }],
  [
    [
      "-6",
      "rule",
      "add",
      "pref",
      "100",
      "from",
      "2001:db8::/32",
      "table",
      "5",
      "protocol",
      "static",
    ],
    { priority: 100, from: "2001:db8::/32", table: 5, protocol: "static" },
  ],
  [
    ["-6", "rule", "add", "pref", "101", "to", "2001:db8:1::1", "fwmark", "7", "prohibit"],
    { priority: 101, to: "2001:db8:1::1", fwmark: 7, action: "prohibit" },
  ],
];

async function withLinks(): Promise<Netns> {
  const ns = await makeNetns();
  await ns.ip("link", "add", "ra", "type", "veth", "peer", "name", "rb");
  return ns;
}

const tableName = (t: number) =>
  t === 253 ? "default" : t === 254 ? "main" : t === 255 ? "local" : String(t);
const IP_PROTO: Record<number, string> = { 6: "tcp", 17: "udp", 132: "sctp" };
const hex = (n: number) => `0x${n.toString(16)}`;

/** What `ip -j rule` prints of a rule, from what the library decoded. */
function asIp(r: Rule): IpRule {
  const bits = r.family === 2 ? 32 : 128;
  const o: IpRule = { priority: r.priority };
  if (r.not) o.not = null;
  o.src = r.srcLength === 0 ? "all" : formatAddress(r.src!);
  if (r.srcLength !== 0 && r.srcLength !== bits) o.srclen = r.srcLength;
  if (r.dstLength !== 0) o.dst = formatAddress(r.dst!);
  if (r.dstLength !== 0 && r.dstLength !== bits) o.dstlen = r.dstLength;
  if (r.tos) o.tos = hex(r.tos);
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    o.fwmark = hex(r.fwmark ?? 0);
    if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) o.fwmask = hex(r.fwmask);
  }
  if (r.iif) o.iif = r.iif;
  if (r.iifDetached) o.iif_detached = null;
  if (r.oif) o.oif = r.oif;
  if (r.oifDetached) o.oif_detached = null;
  if (r.l3mdev) o.l3mdev = null;
  if (r.uidRange) [o.uid_start, o.uid_end] = [r.uidRange.start, r.uidRange.end];
  if (r.ipProto !== undefined) o.ipproto = IP_PROTO[r.ipProto] ?? String(r.ipProto);
  for (const [k, p] of [["sport", r.sport], ["dport", r.dport]] as const) {
    if (!p) continue;
    if (p.start === p.end) o[k] = p.start;
    else [o[`${k}_start`], o[`${k}_end`]] = [p.start, p.end];
  }
  if (r.table) {
    o.table = tableName(r.table);
    if (r.suppressPrefixLength !== undefined) o.suppress_prefixlen = r.suppressPrefixLength;
  }
  if (r.action === "goto") {
    o.goto = r.goto;
    if (r.unresolved) o.unresolved = null;
  } else if (r.action === "nop") o.nop = null;
  else if (r.action !== "to-tbl") o.action = r.action;
  o.protocol = r.protocol; // as ip -d prints it
  return o;
}

/** `ip -d -j rule` of both families (-d: with every rule's protocol). */
async function ipRules(ns: Netns): Promise<IpRule[]> {
  return [
    ...await ns.ipJson<IpRule[]>("-d", "rule", "show"),
    ...await ns.ipJson<IpRule[]>("-d", "-6", "rule", "show"),
  ];
}

Deno.test({
  name: "rules: what ip creates the library decodes as ip -j rule prints it, v4 and v6",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await withLinks();
    for (const [args] of CASES) {
      await (args[0] === "-6" ? ns.ip(...args) : ns.ip("rule", "add", ...args));
    }
    await using rtnl = Rtnl.open({ netns: ns.name });
    const ip = await ipRules(ns);
    const lib = [
      ...await rtnl.rules({ ipVersion: 4 }),
      ...await rtnl.rules({ ipVersion: 6 }),
    ].map(asIp);
    assert.equal(ip.length, CASES.length + 5); // and the 3 + 2 default ones
    assert.deepEqual(lib, ip);
    // unfiltered: both families, and nothing of multicast routing's
    assert.equal((await rtnl.rules()).length, ip.length);
  },
});

Deno.test({
  name: "rules: what the library creates ip sees as it sees the same rules made by ip",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using byIp = await withLinks();
    await using byLib = await withLinks();
    for (const [args] of CASES) {
      await (args[0] === "-6" ? byIp.ip(...args) : byIp.ip("rule", "add", ...args));
    }
    await using rtnl = Rtnl.open({ netns: byLib.name });
    for (const [, spec] of CASES) await rtnl.addRule(spec);
    const want = await ipRules(byIp);
    assert.deepEqual(await ipRules(byLib), want);
    // and without -d
    assert.deepEqual(await byLib.ipJson("rule", "show"), await byIp.ipJson("rule", "show"));
    // the same again is EEXIST
    await assert.rejects(rtnl.addRule(CASES[0][1]), /EEXIST/);
  },
});

Deno.test({
  name: "rules: delete matches as ip rule del does; bad specs are typed errors before sending",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await withLinks();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addRule({ priority: 300, from: "10.3.0.0/16", table: 30 });
    await rtnl.addRule({ priority: 301, from: "10.3.0.0/16", table: 31 });
    await rtnl.addRule({ priority: 302, fwmark: 9, table: 32, ipVersion: 6 });
    const prios = async (v: 4 | 6) =>
      (await ns.ipJson<IpRule[]>(`-${v}`, "rule", "show")).map((r) => r.priority);
    // a table that does not match: nothing goes
    await assert.rejects(rtnl.deleteRule({ priority: 300, table: 31 }), /ENOENT/);
    await rtnl.deleteRule({ table: 31 });
    assert.deepEqual(await prios(4), [0, 300, 32766, 32767]);
    await rtnl.deleteRule({ from: "10.3.0.0/16" });
    assert.deepEqual(await prios(4), [0, 32766, 32767]);
    await assert.rejects(rtnl.deleteRule({ priority: 302 }), /ENOENT/); // it is IPv6
    await rtnl.deleteRule({ priority: 302, ipVersion: 6 });
    assert.deepEqual(await prios(6), [0, 32766]);

    await assert.rejects(rtnl.addRule({ prio: 1 } as never), /no field prio.*priority/);
    await assert.rejects(rtnl.addRule({ action: "lookup" } as never), /action.*valid: to-tbl/);
    await assert.rejects(rtnl.addRule({ priority: -1 }), RangeError);
    await assert.rejects(rtnl.addRule({ table: "mian" as never }), /did you mean "main"/);
    await assert.rejects(rtnl.addRule({ from: "10.0.0.0/8", to: "::/0" }), /not of the rule/);
    await assert.rejects(rtnl.addRule({ fwmask: 3 }), /needs a fwmark/);
    await assert.rejects(rtnl.addRule({ action: "goto" }), /needs a goto/);
    await assert.rejects(rtnl.addRule({ iif: "a-name-longer-than-15" }), /1\.\.15/);
    await assert.rejects(rtnl.rules({ ipVersion: 5 as never }), RangeError);
    await assert.rejects(rtnl.addRule({ dport: [2000, 1000] }), RangeError);
    await assert.rejects(rtnl.addRule({ sport: 70000 }), RangeError);
    await assert.rejects(rtnl.addRule({ uidRange: 5 as never }), /\[start, end\]/);
    assert.deepEqual(await prios(4), [0, 32766, 32767]);
  },
});
