/**
 * Every command-line tool, given each kind of bad input: a usage error is
 * at most two lines ending in a pointer to --help, exit status 2; a runtime
 * error is one line with its cause, exit status 1; never a stack trace.
 */
import assert from "node:assert/strict";
import { ignoreUnlessRoot, makeNetns, run as sh } from "./helpers/netns.ts";

const root = new URL("../", import.meta.url).pathname;
const t = new TextDecoder();

async function run(file: string, args: string[], asNobody = false) {
  const deno = [Deno.execPath(), "run", "--no-config", "--allow-ffi", `${root}${file}`, ...args];
  const cmd = asNobody
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...deno]
    : deno;
  const dir = asNobody ? await Deno.makeTempDir() : undefined;
  if (dir) await Deno.chmod(dir, 0o777);
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env: dir ? { DENO_DIR: dir } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (dir) await Deno.remove(dir, { recursive: true });
  return { code: out.code, stderr: t.decode(out.stderr) };
}

type Row = [file: string, args: string[], code: 1 | 2, message: RegExp];
const usage: Row[] = [
  ["src/cli/dump.ts", ["--bogus"], 2, /^dump\.ts: unknown option --bogus$/m],
  [
    "src/cli/dump.ts",
    ["link", "--netnss", "x"],
    2,
    /unknown option --netnss \(did you mean --netns\?\)/,
  ],
  ["src/cli/dump.ts", ["link", "--netns"], 2, /option --netns needs a value/],
  ["src/cli/dump.ts", ["link", "extra"], 2, /unexpected argument "extra"/],
  ["src/cli/dump.ts", [], 2, /what to list is missing/],
  ["src/cli/dump.ts", ["adress"], 2, /unknown object "adress" \(did you mean "address"\?\)/],
  ["src/cli/dump.ts", ["route", "--table", "abc"], 2, /--table takes a whole number .*"abc"/],
  ["src/cli/dump.ts", ["link", "--json=1"], 2, /option --json takes no value/],
  ["src/cli/monitor.ts", ["--timeout", "abc"], 2, /--timeout takes a whole number .*"abc"/],
  ["src/cli/monitor.ts", ["--count", "abc"], 2, /--count takes a whole number .*"abc"/],
  ["src/cli/monitor.ts", ["--count", "0"], 2, /--count takes a whole number from 1/],
  ["src/cli/monitor.ts", ["addr"], 2, /unknown event kind "addr" \(did you mean "address"\?\)/],
  ["src/cli/monitor.ts", ["--bogus"], 2, /unknown option --bogus/],
  ["src/cli/monitor.ts", ["--netns"], 2, /option --netns needs a value/],
  ["src/cli/genl_list.ts", ["x"], 2, /unexpected argument "x"/],
  ["src/cli/genl_list.ts", ["--jsn"], 2, /unknown option --jsn \(did you mean --json\?\)/],
  // ynl.ts is a drop-in for the kernel's cli.py: argparse's errors exit 2,
  // what cli.py fails on later exits 1 (there with a traceback, here one line)
  ["src/cli/ynl.ts", ["--family", "rt-lnk", "--dump", "getlink"], 1, /did you mean "rt-link"\?/],
  ["src/cli/ynl.ts", ["--family", "rt-link", "--dump", "getlnk"], 1, /did you mean "getlink"\?/],
  [
    "src/cli/ynl.ts",
    ["--family", "rt-link", "--do", "getlink", "--json", "{bad"],
    1,
    /--json is not valid JSON/,
  ],
  [
    "src/cli/ynl.ts",
    ["--family", "rt-link", "--do", "getlink", "--json", "[1]"],
    1,
    /--json takes a JSON object/,
  ],
  [
    "src/cli/ynl.ts",
    ["--family", "rt-link", "--do", "getlink", "--json", '{"ifnam":"x"}'],
    1,
    /Space 'link-attrs' has no attribute 'ifnam' \(did you mean "ifname"\?\)/,
  ],
  [
    "src/cli/ynl.ts",
    ["--family", "rt-link", "--do", "newlink", "--flags", "create"],
    2,
    /unrecognized arguments: --flags/,
  ],
  ["src/cli/ynl.ts", [], 2, /one of the arguments --list-families --family --spec is required/],
  ["src/cli/ynl.ts", ["--family", "rt-link", "--do", "a", "--dump", "b"], 2, /not allowed with/],
  ["src/cli/ynl.ts", ["extra"], 2, /unrecognized arguments: extra/],
  ["src/cli/ynl.ts", ["--do"], 2, /argument --do: expected one argument/],
  ["examples/links.ts", ["a", "b"], 2, /unexpected argument "b"/],
  ["examples/links.ts", ["--bogus"], 2, /unknown option --bogus/],
  [
    "examples/founding.ts",
    ["--lifetme", "5"],
    2,
    /unknown option --lifetme \(did you mean --lifetime\?\)/,
  ],
  ["examples/founding.ts", ["--lifetime", "abc"], 2, /--lifetime takes a whole number/],
  ["examples/founding.ts", ["lisener"], 2, /unknown role "lisener"/],
  ["src/cli/tc.ts", [], 2, /what to show is missing: qdisc, class or filter/],
  ["src/cli/tc.ts", ["qdsic", "show"], 2, /unknown object "qdsic" \(did you mean "qdisc"\?\)/],
  ["src/cli/tc.ts", ["qdisc", "shwo"], 2, /unknown command "shwo" \(did you mean "show"\?\)/],
  ["src/cli/tc.ts", ["qdisc"], 2, /qdisc: "show" is missing/],
  ["src/cli/tc.ts", ["class", "show"], 2, /class show needs dev DEV/],
  ["src/cli/tc.ts", ["filter", "show", "dev"], 2, /dev needs a link name/],
  ["src/cli/tc.ts", ["qdisc", "show", "ingress"], 2, /unexpected argument "ingress"/],
  [
    "src/cli/tc.ts",
    ["-s", "--jsn", "qdisc", "show"],
    2,
    /unknown option --jsn \(did you mean --json\?\)/,
  ],
  ["src/cli/tc.ts", ["--netns"], 2, /option --netns needs a value/],
  ["kmod/vm/harness.ts", ["tset"], 2, /unknown mode "tset" \(did you mean "test"\?\)/],
  ["kmod/vm/harness.ts", ["--onyl", "x"], 2, /unknown option --onyl \(did you mean --only\?\)/],
];
const missingNs = `nlts-missing-${crypto.randomUUID().slice(0, 8)}`;
const runtime: Row[] = [
  "dump.ts link",
  "monitor.ts",
  "genl_list.ts",
  "ynl.ts --family rt-link --dump getlink",
  "tc.ts qdisc show",
]
  .map((c) => {
    const [f, ...a] = c.split(" ");
    return [
      `src/cli/${f}`,
      [...a, "--netns", missingNs],
      1,
      new RegExp(`network namespace "${missingNs}" does not exist`),
    ];
  });

function check(row: Row, r: { code: number; stderr: string }) {
  const what = `${row[0]} ${row[1].join(" ")}: ${r.stderr}`;
  assert.equal(r.code, row[2], what);
  assert.match(r.stderr, row[3], what);
  assert.doesNotMatch(r.stderr, /^\s+at /m, what);
  const lines = r.stderr.trimEnd().split("\n");
  if (row[2] === 2) {
    assert.ok(lines.length <= 2, what);
    assert.match(lines.at(-1)!, /--help/, what);
  } else assert.equal(lines.length, 1, what);
}

Deno.test("usage errors: two lines, a pointer to --help, exit status 2", async () => {
  for (const row of usage) check(row, await run(row[0], row[1]));
});

Deno.test("a missing namespace is named, exit status 1", async () => {
  for (const row of runtime) check(row, await run(row[0], row[1]));
});

Deno.test("the nlrtable example on a kernel without the module says it is not loaded", async () => {
  const r = await run("examples/founding.ts", []);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^founding\.ts: the nlrtable module is not loaded .*deno task demo$/m);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

Deno.test("a missing generic netlink family says so", async () => {
  const present = new Set(
    (JSON.parse(
      t.decode(
        (await new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-ffi", `${root}src/cli/genl_list.ts`, "--json"],
          stdout: "piped",
        }).output()).stdout,
      ),
    ) as { name: string }[]).map((f) => f.name),
  );
  const { familyTables } = await import("../src/families/mod.ts");
  const absent = Object.values(familyTables).find((f) =>
    f.protocol !== "netlink-raw" && !present.has(f.name) &&
    Object.values(f.ops).some((o) => o.do?.request)
  );
  assert.ok(absent, "every generic family with a spec is in this kernel: none to test with");
  const op = Object.values(absent.ops).find((o) => o.do?.request)!;
  check(
    [
      "src/cli/ynl.ts",
      [],
      1,
      new RegExp(
        `family ${absent.name} is not available in this kernel \\(is its module loaded\\?\\)`,
      ),
    ],
    await run("src/cli/ynl.ts", ["--family", absent.name, "--do", op.name]),
  );
});

Deno.test({
  name: "without privileges: EPERM names CAP_NET_ADMIN, entering a namespace CAP_SYS_ADMIN",
  ignore: ignoreUnlessRoot,
  async fn() {
    await sh("setpriv", "--version");
    await using ns = await makeNetns();
    const rows: Row[] = [
      [
        "src/cli/dump.ts",
        ["link", "--netns", ns.name],
        1,
        new RegExp(`entering network namespace "${ns.name}" \\(setns\\) needs CAP_SYS_ADMIN`),
      ],
      [
        "src/cli/tc.ts",
        ["qdisc", "show", "--netns", ns.name],
        1,
        new RegExp(`entering network namespace "${ns.name}" \\(setns\\) needs CAP_SYS_ADMIN`),
      ],
      [
        "src/cli/ynl.ts",
        [
          "--family",
          "rt-link",
          "--do",
          "newlink",
          "--create",
          "--excl",
          "--json",
          '{"ifname":"np0","linkinfo":{"kind":"veth"}}',
        ],
        1,
        /EPERM.*: this needs CAP_NET_ADMIN \(run as root\)/,
      ],
    ];
    for (const row of rows) check(row, await run(row[0], row[1], true));
  },
});
