/**
 * The command-line tools: each answers --help, and prints JSON that agrees
 * with `ip -j` on a fresh netns.
 */
import assert from "node:assert/strict";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

const cli = (name: string) => new URL(`../src/cli/${name}.ts`, import.meta.url).pathname;

async function run(name: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", cli(name), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const t = new TextDecoder();
  return { code: out.code, stdout: t.decode(out.stdout), stderr: t.decode(out.stderr) };
}

Deno.test("every tool answers --help; bad arguments exit 2", async () => {
  for (const name of ["monitor", "dump", "genl_list", "ynl"]) {
    const r = await run(name, "--help");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: /);
  }
  assert.equal((await run("dump", "bogus")).code, 2);
  assert.equal((await run("monitor", "bogus")).code, 2);
  assert.equal((await run("ynl", "--bogus")).code, 2);
  // as the kernel's cli.py: an unknown family is a failure (1), not a usage error
  assert.equal((await run("ynl", "--family", "no-such")).code, 1);
  const list = await run("ynl", "--list-families");
  assert.match(list.stdout, /^rt-link$/m);
  assert.match(list.stdout, /^ethtool$/m);
});

Deno.test({
  name: "dump, genl_list, ynl and monitor print JSON that agrees with the kernel",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "ca", "type", "veth", "peer", "name", "cb");
    await ns.ip("addr", "add", "10.50.0.1/24", "dev", "ca");

    const links = JSON.parse((await run("dump", "link", "--netns", ns.name, "--json")).stdout);
    const ipLinks = await ns.ipJson<{ ifname: string }[]>("link");
    assert.deepEqual(links.map((l: { ifname: string }) => l.ifname), ipLinks.map((l) => l.ifname));
    const addrs = JSON.parse(
      (await run("dump", "address", "-4", "--netns", ns.name, "--json")).stdout,
    );
    assert.ok(
      addrs.some((l: { ifname: string; addr_info: { local: string }[] }) =>
        l.ifname === "ca" && l.addr_info.some((a) => a.local === "10.50.0.1")
      ),
    );

    const fams = JSON.parse((await run("genl_list", "--netns", ns.name, "--json")).stdout);
    assert.ok(fams.some((f: { name: string; id: number }) => f.name === "nlctrl" && f.id === 16));

    const y = await run(
      "ynl",
      "--family",
      "rt-link",
      "--do",
      "getlink",
      "--json",
      '{"ifname":"cb"}',
      "--output-json",
      "--netns",
      ns.name,
    );
    assert.equal(y.code, 0, y.stderr);
    const reply = JSON.parse(y.stdout);
    assert.equal(reply.ifname, "cb");
    const bad = await run(
      "ynl",
      "--family",
      "rt-link",
      "--do",
      "getlink",
      "--json",
      '{"ifname":"nope"}',
      "--netns",
      ns.name,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ENODEV/);

    const mon = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-ffi",
        "--allow-read",
        cli("monitor"),
        "link",
        "--netns",
        ns.name,
        "--json",
        "--count",
        "1",
        "--timeout",
        "10000",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, 1500)); // let it start listening
    await ns.ip("link", "set", "ca", "up");
    const out = await mon.output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.length >= 1, "monitor printed events");
    assert.ok(lines.every((l) => l.kind === "link" && l.action === "new"), JSON.stringify(lines));
    assert.ok(lines.some((l) => l.ifname === "ca"));
  },
});
