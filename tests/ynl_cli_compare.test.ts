/**
 * src/cli/ynl.ts against the kernel's own ynl CLI (cli.py of Linux 7.2, run
 * from the fetched source with python3 and python3-yaml) on one netns:
 * every family the host kernel has, every dump and the do operations
 * that read, plus --list-families / --list-ops / --list-msgs. Output must
 * be equal byte for byte with --output-json, exit codes too; the only
 * values allowed to differ are those that differ between two runs of
 * cli.py itself (counters, timers).
 */
import assert from "node:assert/strict";
import { familyTables } from "../src/families/mod.ts";
import { fetchSpecs, YNL_DIR } from "../tools/fetch_specs.ts";
import { aptInstall } from "../kmod/vm/apt.ts";
import { ignoreUnlessRoot, makeNetns, run, waitOperUp } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";

const CLI_PY = `${YNL_DIR}/pyynl/cli.py`;
const YNL_TS = new URL("../src/cli/ynl.ts", import.meta.url).pathname;

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(cmd: string[], ns?: string): Promise<Out> {
  const argv = ns ? ["ip", "netns", "exec", ns, ...cmd] : cmd;
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
    env: { COLUMNS: "80" },
  }).output();
  const t = new TextDecoder();
  return { code: out.code, stdout: t.decode(out.stdout), stderr: t.decode(out.stderr) };
}

const py = (args: string[], ns?: string) => exec(["python3", CLI_PY, "--no-schema", ...args], ns);
const ts = (args: string[], ns?: string) =>
  exec([Deno.execPath(), "run", "-A", "--quiet", YNL_TS, ...args], ns);

type Json = unknown;

/** Paths (a.b.0.c) where two values differ; structure differences as the path itself. */
function diffPaths(a: Json, b: Json, at = "", out = new Set<string>()): Set<string> {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const ka = Object.keys(a), kb = Object.keys(b);
    if (Array.isArray(a) !== Array.isArray(b) || ka.join() !== kb.join()) {
      out.add(at);
      return out;
    }
    for (const k of ka) {
      diffPaths((a as Record<string, Json>)[k], (b as Record<string, Json>)[k], `${at}.${k}`, out);
    }
    return out;
  }
  if (a !== b) out.add(at);
  return out;
}

/**
 * Plain (pprint) output: equal line by line, a set that fits its line
 * compared sorted (Python prints it in hash order, which changes between
 * runs), and a line that differs between cli.py's two runs allowed to
 * differ in its numbers only.
 */
function sameText(t1: string, t2: string, mine: string): string | undefined {
  const sets = (t: string) =>
    t.replace(
      /\{('[^']*'(?:, '[^']*')*)\}/g,
      (_, m: string) => `{${m.split(", ").sort().join(", ")}}`,
    );
  const [l1, l2, l3] = [t1, t2, mine].map((t) => sets(t).split("\n"));
  if (l1.length !== l3.length) return `${l3.length} lines, cli.py ${l1.length}`;
  const digits = (l: string) => l.replace(/\d+/g, "N");
  for (let i = 0; i < l1.length; i++) {
    if (l3[i] === l1[i] || l3[i] === l2[i]) continue;
    if (l1[i] !== l2[i] && digits(l1[i]) === digits(l3[i])) continue;
    return `line ${i + 1}:\n  cli.py: ${l1[i]}\n  ynl.ts: ${l3[i]}`;
  }
  return undefined;
}

/**
 * Equal, or different only where cli.py's two runs differ from each other
 * (a counter or timer moving), and then with ours the same type of value.
 */
function sameOutput(p1: Out, p2: Out, mine: Out): string | undefined {
  if (p1.code !== mine.code) return `exit ${mine.code}, cli.py ${p1.code}`;
  if (p1.stdout === mine.stdout) return undefined;
  let a: Json, b: Json, c: Json;
  try {
    a = JSON.parse(p1.stdout);
    b = JSON.parse(p2.stdout);
    c = JSON.parse(mine.stdout);
  } catch {
    return sameText(p1.stdout, p2.stdout, mine.stdout);
  }
  const moving = diffPaths(a, b);
  for (const path of diffPaths(a, c)) {
    if (moving.has(path) && !diffPaths(b, c).has(path)) continue;
    if (moving.has(path)) {
      const get = (v: Json) =>
        path.split(".").slice(1).reduce((x, k) => (x as Record<string, Json>)?.[k], v);
      if (typeof get(a) === typeof get(c) && typeof get(c) === "number") continue;
    }
    const get = (v: Json) =>
      path.split(".").slice(1).reduce((x, k) => (x as Record<string, Json>)?.[k], v);
    return `${path}: cli.py ${JSON.stringify(get(a))?.slice(0, 200)}, ynl.ts ${
      JSON.stringify(get(c))?.slice(0, 200)
    }`;
  }
  return undefined;
}

/** The do operations that read, with a request naming the netns's objects. */
function doCases(ix: number): [string, string, Record<string, unknown>][] {
  const dev = { header: { "dev-name": "v0" } };
  const ethtoolGets = Object.values(familyTables.ethtool.ops)
    .filter((o) => o.do && o.name.endsWith("-get"))
    .map((o): [string, string, Record<string, unknown>] => ["ethtool", o.name, dev]);
  return [
    ["rt-link", "getlink", { ifname: "v0" }],
    ["rt-link", "getlink", { "ifi-index": ix }],
    ["rt-link", "getlink", { ifname: "nosuchdev" }],
    ["rt-link", "getstats", { ifindex: ix, "filter-mask": 2 }],
    ["rt-route", "getroute", { "rtm-family": 2, dst: "10.99.1.1" }],
    ["rt-route", "getroute", { "rtm-family": 10, dst: "fd00:99::1" }],
    ["rt-neigh", "getneigh", { "ndm-family": 2, "ndm-ifindex": ix, dst: "10.9.0.2" }],
    ["nlctrl", "getfamily", { "family-name": "nlctrl" }],
    ["nlctrl", "getfamily", { "family-name": "netdev" }],
    ["nlctrl", "getfamily", { "family-name": "nosuchfamily" }],
    ["netdev", "dev-get", { ifindex: ix }],
    ["netdev", "queue-get", { ifindex: ix, type: "rx", id: 0 }],
    ["netdev", "queue-get", { ifindex: ix, type: "tx", id: 0 }],
    ["mptcp_pm", "get-limits", {}],
    ["mptcp_pm", "get-addr", { addr: { id: 1 } }],
    ["tcp_metrics", "get", { "d-addr": "10.9.0.2" }],
    ["tc", "getqdisc", { "tcm-ifindex": ix, "tcm-handle": 0x10000 }],
    ...ethtoolGets,
  ];
}

/** Dumps that need a request to say anything (cli.py sends the same). */
const DUMP_REQUESTS: Record<string, Record<string, Record<string, unknown>>> = {
  nlctrl: { getpolicy: { "family-name": "netdev" } },
};

Deno.test({
  name: "ynl.ts answers as the kernel's cli.py 7.2 for every family and operation",
  ignore: ignoreUnlessRoot,
  sanitizeResources: false,
  async fn() {
    await fetchSpecs();
    await requireTools("python3", "ip");
    if ((await exec(["python3", "-c", "import yaml"])).code !== 0) {
      await aptInstall(["python3-yaml"], (s) => console.error(`[tools] ${s}`));
    }
    await using ns = await makeNetns();
    for (const k of ["all", "default"]) {
      await run("ip", "netns", "exec", ns.name, "sysctl", "-qw", `net.ipv6.conf.${k}.accept_dad=0`);
    }
    await ns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
    await ns.ip("addr", "add", "10.9.0.1/24", "dev", "v0");
    await ns.ip("addr", "add", "10.9.0.2/24", "dev", "v1");
    await ns.ip("addr", "add", "fd00:9::1/64", "dev", "v0", "nodad");
    await ns.ip("link", "set", "v0", "up");
    await ns.ip("link", "set", "v1", "up");
    await waitOperUp(ns, "v0");
    await ns.ip("route", "add", "10.99.0.0/16", "via", "10.9.0.2");
    await ns.ip("-6", "route", "add", "fd00:99::/64", "via", "fd00:9::2");
    await ns.ip(
      "neigh",
      "add",
      "10.9.0.2",
      "lladdr",
      "02:00:00:00:00:02",
      "dev",
      "v0",
      "nud",
      "permanent",
    );
    await ns.ip(
      "-6",
      "neigh",
      "add",
      "fd00:9::2",
      "lladdr",
      "02:00:00:00:00:02",
      "dev",
      "v0",
      "nud",
      "permanent",
    );
    await ns.ip("rule", "add", "from", "10.9.0.0/24", "table", "100", "pref", "100");
    const mptcp = await exec(
      ["ip", "mptcp", "endpoint", "add", "10.9.0.1", "dev", "v0", "signal"],
      ns.name,
    );
    await exec(["tc", "qdisc", "add", "dev", "v0", "root", "handle", "1:", "htb"], ns.name);
    const [{ ifindex }] = await ns.ipJson<{ ifindex: number }[]>("link", "show", "dev", "v0");

    const rows: [string, string, string][] = [];
    const failures: string[] = [];
    const record = (family: string, what: string, verdict: string | undefined) => {
      rows.push([family, what, verdict === undefined ? "equal" : "DIFFERENT"]);
      if (verdict !== undefined) failures.push(`${family} ${what}: ${verdict}`);
    };
    const compare = async (family: string, what: string, args: string[], inNs = true) => {
      const where = inNs ? ns.name : undefined;
      const p1 = await py(args, where);
      let mine = await ts(args, where);
      // the one value that is about the caller, not the kernel: nftables
      // getgen names the process that asked ("python3" there, "deno" here)
      if (family === "nftables" && /"proc-name": "deno"/.test(mine.stdout)) {
        mine = {
          ...mine,
          stdout: mine.stdout.replace(/"proc-name": "deno"/g, '"proc-name": "python3"'),
        };
      }
      const p2 = await py(args, where);
      record(family, what, sameOutput(p1, p2, mine));
      return p1;
    };

    // the listings
    await compare("-", "--list-families", ["--list-families"], false);
    const pyFamilies = (await py(["--list-families"])).stdout.trim().split("\n");
    const sortModes = (s: string) =>
      s.replace(/\[ (.*) \]/g, (_, m: string) => `[ ${m.split(", ").sort().join(", ")} ]`);

    const present: string[] = [];
    // each present family's operations as the kernel's spec (cli.py) lists them
    const onlyKernel = new Map<string, Set<string>>();
    // YNL_COMPARE_ONLY=rt-addr,nlctrl narrows the run (by hand; CI runs all)
    const only = Deno.env.get("YNL_COMPARE_ONLY")?.split(",");
    for (const family of pyFamilies.filter((f) => !only || only.includes(f))) {
      const spec = Object.values(familyTables).find((f) => f.kernelSpec === family)!;
      // cli.py resolves the family first: one the kernel lacks is "not supported by the kernel"
      const probe = await py(["--family", family, "--list-ops"], ns.name);
      if (/not supported by the kernel/.test(probe.stderr)) {
        const mine = await ts(["--family", family, "--list-ops"], ns.name);
        record(family, "(absent)", mine.code === 1 && mine.stdout === "" ? undefined : mine.stderr);
        continue;
      }
      // What the kernel's spec has: the project's supplement (tools/specs/NAME.supplement.yaml)
      // adds operations cli.py cannot know, listed and run by ynl.ts only.
      const opName = (line: string) => line.trim().split(/\s+/)[0];
      const kernelOps = new Set(probe.stdout.split("\n").filter((l) => l.trim()).map(opName));
      const supplemented = await Deno.stat(
        new URL(`../tools/specs/${spec.name}.supplement.yaml`, import.meta.url),
      ).then(() => true, () => false);
      const names = (out: string) => new Set(out.split("\n").filter((l) => l.trim()).map(opName));
      const ours = (out: string, kernel: Set<string>) =>
        out.split("\n").filter((l) => !l.trim() || kernel.has(opName(l))).join("\n");
      // cli.py's set of modes prints in hash order: compared sorted
      for (const list of ["--list-ops", "--list-msgs"]) {
        const a = await py(["--family", family, list], ns.name);
        const b = await ts(["--family", family, list], ns.name);
        const kernel = names(a.stdout);
        const extra = b.stdout.split("\n").filter((l) => l.trim() && !kernel.has(opName(l)));
        record(
          family,
          list,
          a.code === b.code && sortModes(a.stdout) === sortModes(ours(b.stdout, kernel)) &&
            (supplemented || extra.length === 0)
            ? undefined
            : `${list}:\n${a.stdout}\n---\n${b.stdout}`,
        );
      }
      present.push(family);
      onlyKernel.set(family, kernelOps);
      for (const op of Object.values(spec.ops)) {
        if (!op.dump || op.event !== undefined || !kernelOps.has(op.name)) continue;
        const json = DUMP_REQUESTS[family]?.[op.name];
        await compare(family, `--dump ${op.name}${json ? " " + JSON.stringify(json) : ""}`, [
          "--family",
          family,
          "--dump",
          op.name,
          ...(json ? ["--json", JSON.stringify(json)] : []),
          "--output-json",
        ]);
      }
    }
    for (const [family, op, json] of doCases(ifindex)) {
      if (!present.includes(family)) continue;
      await compare(family, `--do ${op} ${JSON.stringify(json)}`, [
        "--family",
        family,
        "--do",
        op,
        "--json",
        JSON.stringify(json),
        "--output-json",
      ]);
    }
    // --policy: the kernel's policy of each operation of the generic families
    for (const family of present) {
      const spec = Object.values(familyTables).find((f) => f.kernelSpec === family)!;
      if (spec.protocol === "netlink-raw") continue;
      for (const op of Object.values(spec.ops)) {
        if (op.event !== undefined || !(op.do || op.dump)) continue;
        if (!onlyKernel.get(family)?.has(op.name)) continue;
        const mode = op.do ? "--do" : "--dump";
        await compare(family, `${mode} ${op.name} --policy`, [
          "--family",
          family,
          mode,
          op.name,
          "--policy",
          "--output-json",
        ]);
      }
    }
    // plain output: Python's pprint layout
    await compare("nlctrl", "--do getfamily (pprint)", [
      "--family",
      "nlctrl",
      "--do",
      "getfamily",
      "--json",
      '{"family-name": "nlctrl"}',
    ]);
    const plain = [
      "rt-link",
      "rt-addr",
      "rt-route",
      "rt-neigh",
      "rt-rule",
      "nlctrl",
      "netdev",
      "tc",
    ];
    for (const family of plain.filter((f) => present.includes(f))) {
      const spec = Object.values(familyTables).find((f) => f.kernelSpec === family)!;
      for (const op of Object.values(spec.ops)) {
        if (!op.dump || op.event !== undefined || !onlyKernel.get(family)?.has(op.name)) continue;
        await compare(family, `--dump ${op.name} (pprint)`, [
          "--family",
          family,
          "--dump",
          op.name,
        ]);
      }
    }
    await compare("rt-link", "--do getlink lo (pprint)", [
      "--family",
      "rt-link",
      "--do",
      "getlink",
      "--json",
      '{"ifname": "lo"}',
    ]);
    await compare("rt-route", "--dump getroute (pprint)", [
      "--family",
      "rt-route",
      "--dump",
      "getroute",
    ]);
    await compare("netdev", "--do dev-get --policy (pprint)", [
      "--family",
      "netdev",
      "--do",
      "dev-get",
      "--policy",
    ]);
    // --multi (several do operations), --spec (a file; unknown attributes are then errors)
    await compare("rt-link", "--multi getlink v0 + getlink lo", [
      "--family",
      "rt-link",
      "--multi",
      "getlink",
      '{"ifname": "v0"}',
      "--multi",
      "getlink",
      '{"ifname": "lo"}',
      "--output-json",
    ]);
    for (const family of ["netdev", "rt-addr", "rt-link"].filter((f) => present.includes(f))) {
      const spec = Object.values(familyTables).find((f) => f.kernelSpec === family)!;
      const op = Object.values(spec.ops).find((o) => o.dump)!;
      await compare(family, `--spec ${family}.yaml --dump ${op.name}`, [
        "--spec",
        `${YNL_DIR}/../../../Documentation/netlink/specs/${family}.yaml`,
        "--dump",
        op.name,
        "--output-json",
      ]);
    }
    // --subscribe: both listen (started together, given time to join), one link is made
    {
      const args = [
        "--family",
        "rt-link",
        "--subscribe",
        "rtnlgrp-link",
        "--duration",
        "8",
        "--output-json",
      ];
      const listening = [py(args, ns.name), ts(args, ns.name)];
      await new Promise((r) => setTimeout(r, 3000));
      await ns.ip("link", "add", "s0", "type", "veth", "peer", "name", "s1");
      const [a, mine] = await Promise.all(listening);
      const lines = a.stdout.trim().split("\n").length;
      record(
        "rt-link",
        `--subscribe rtnlgrp-link (${lines} notifications)`,
        lines >= 2 ? sameOutput(a, a, mine) : `cli.py saw ${lines}: ${a.stderr}`,
      );
    }
    // bad arguments: argparse's exit status
    const bad = await ts(["--family", "rt-link", "--dump"]);
    const badPy = await py(["--family", "rt-link", "--dump"]);
    record("-", "missing value (exit status)", bad.code === badPy.code ? undefined : bad.stderr);

    const equal = rows.filter((r) => r[2] === "equal").length;
    console.log(
      `\nynl.ts vs cli.py 7.2 (host kernel ${Deno.osRelease()}; mptcp endpoint ${
        mptcp.code === 0 ? "added" : "not available"
      })`,
    );
    for (const [f, what, v] of rows) console.log(`  ${v.padEnd(9)} ${f.padEnd(12)} ${what}`);
    console.log(`${equal} of ${rows.length} equal; families present: ${present.join(" ")}`);
    assert.deepEqual(failures, [], failures.join("\n\n"));
    if (!only) assert.ok(present.length >= 8, `only ${present.join(" ")} answered`);
  },
});
