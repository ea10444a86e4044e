/**
 * Named network namespaces made and removed by the library, as `ip netns`
 * sees them, without the calling thread changing namespace.
 */
import assert from "node:assert/strict";
import { createNetns, deleteNetns, listNetns, Rtnl } from "../src/rtnl/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns, run } from "./helpers/netns.ts";

loadSys();

const nsOf = (p: string) => Deno.readLinkSync(p);

Deno.test({
  name: "netns: createNetns makes what ip netns lists and uses; deleteNetns removes it",
  ignore: ignoreUnlessRoot,
  async fn() {
    const name = `nlts-${crypto.randomUUID().slice(0, 8)}`;
    const before = nsOf("/proc/thread-self/ns/net");
    createNetns(name);
    try {
      assert.equal(nsOf("/proc/thread-self/ns/net"), before, "the thread stayed home");
      const list = JSON.parse(await run("ip", "-j", "netns", "list") || "[]") as { name: string }[];
      assert.ok(list.some((n) => n.name === name), JSON.stringify(list));
      // a namespace of its own: only lo, down, and a different inode from ours
      const links = JSON.parse(await run("ip", "-j", "-n", name, "link", "show")) as {
        ifname: string;
      }[];
      assert.deepEqual(links.map((l) => l.ifname), ["lo"]);
      const inside = (await run("ip", "netns", "exec", name, "readlink", "/proc/self/ns/net"))
        .trim();
      assert.notEqual(inside, before);
      // a client opened in it works there, and links made there stay there
      await using rtnl = Rtnl.open({ netns: name });
      await rtnl.addLink("nb0", { kind: "bridge" });
      assert.ok((await run("ip", "-n", name, "link", "show", "nb0")).includes("nb0"));
      assert.throws(() => createNetns(name), /EEXIST/);
    } finally {
      deleteNetns(name);
    }
    const list = JSON.parse(await run("ip", "-j", "netns", "list") || "[]") as { name: string }[];
    assert.ok(!list.some((n) => n.name === name));
    assert.throws(() => deleteNetns(name), /EINVAL|ENOENT/);
    assert.throws(() => createNetns("../etc"), TypeError);
    assert.throws(() => createNetns(""), TypeError);
  },
});

Deno.test({
  name: "netns: a namespace the library made takes a link setLink moves into it",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    const name = `nlts-${crypto.randomUUID().slice(0, 8)}`;
    createNetns(name);
    try {
      await using rtnl = Rtnl.open({ netns: ns.name });
      await rtnl.addLink("q0", { kind: "veth", peer: "q1" });
      await rtnl.setLink("q1", { netns: name });
      assert.ok((await run("ip", "-n", name, "link", "show", "q1")).includes("q1"));
    } finally {
      deleteNetns(name);
    }
  },
});

Deno.test({
  name: "netns: nsid answers what ip netns list-id shows; unassigned is undefined",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using a = await makeNetns();
    await using b = await makeNetns();
    await using c = await makeNetns();
    await a.ip("netns", "set", b.name, "7");
    const ids = await a.ipJson<{ nsid: number; name?: string }[]>("netns", "list-id");
    await using rtnl = Rtnl.open({ netns: a.name });
    assert.equal(await rtnl.nsid(b.name), ids.find((i) => i.name === b.name)?.nsid);
    assert.equal(await rtnl.nsid(b.name), 7);
    assert.equal(await rtnl.nsid(c.name), undefined);
    await assert.rejects(rtnl.nsid("nlts-no-such-ns"), /ENOENT/);
  },
});

Deno.test({
  name: "netns: listNetns lists what ip netns list does",
  ignore: ignoreUnlessRoot,
  async fn() {
    const prefix = `nlts-l${crypto.randomUUID().slice(0, 6)}`;
    const mine = [`${prefix}-a`, `${prefix}-b`];
    const ipList = async () =>
      (JSON.parse(await run("ip", "-j", "netns", "list") || "[]") as { name: string }[])
        .map((n) => n.name);
    const ours = (names: string[]) => names.filter((n) => n.startsWith(prefix)).sort();
    for (const n of mine) createNetns(n);
    try {
      const lib = listNetns(), ip = await ipList();
      assert.deepEqual(ours(lib), mine);
      assert.deepEqual(ours(ip), mine);
      // the others too (other tests may add or remove theirs meanwhile: those made before both)
      for (const n of lib) if (!n.startsWith("nlts-")) assert.ok(ip.includes(n), n);
      assert.deepEqual(lib, [...lib].sort());
    } finally {
      for (const n of mine) deleteNetns(n);
    }
    assert.deepEqual(ours(listNetns()), []);
    assert.deepEqual(ours(await ipList()), []);
  },
});
