/**
 * Filters against the host kernel (u32, bpf from classic instructions and
 * from a pinned program) with mirred actions, compared with `tc -j -s
 * filter show` both ways.
 */
import assert from "node:assert/strict";
import { Tc } from "../src/tc/mod.ts";
import { ignoreUnlessRoot, run } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";
import { tc, tcJson, vethNs } from "./helpers/tc.ts";

Deno.test({
  name: "tc: u32 and bpf filters with mirred, both ways, compared with tc -j -s filter show",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("tc");
    await using ns = await vethNs();
    await using t = Tc.open({ netns: ns.name });
    await t.addQdisc("vb", { kind: "clsact" });
    await t.addFilter("vb", {
      parent: "ingress",
      prio: 10,
      kind: "u32",
      match: { src: "10.0.0.0/24", dst: "10.1.0.1", ipProto: "tcp", sport: 1000, dport: 80 },
      classid: "1:10",
      actions: [{ kind: "mirred", mode: "redirect", dev: "va" }],
    });
    await t.addFilter("vb", {
      parent: "egress",
      prio: 20,
      protocol: "all",
      kind: "bpf",
      ops: [{ code: 6, jt: 0, jf: 0, k: 0xffffffff }],
      classid: "1:1",
      actions: [{ kind: "mirred", mode: "mirror", dev: "va", direction: "ingress" }],
    });
    const ing = (await tcJson(ns, "-s", "filter", "show", "dev", "vb", "ingress"))
      .find((f) => f.options?.match0)!;
    assert.equal(ing.protocol, "ip");
    assert.equal(ing.pref, 10);
    assert.equal(ing.kind, "u32");
    assert.equal(ing.options.fh, "800::800");
    assert.equal(ing.options.flowid, "1:10");
    const matches = [0, 1, 2, 3].map((i) => ing.options[`match${i}`]);
    assert.deepEqual(matches, [
      { value: "a000000", mask: "ffffff00", offmask: "", off: 12 },
      { value: "a010001", mask: "ffffffff", offmask: "", off: 16 },
      { value: "60000", mask: "ff0000", offmask: "", off: 8 },
      { value: "3e80050", mask: "ffffffff", offmask: "", off: 20 },
    ]);
    const [mirred] = ing.options.actions;
    assert.equal(mirred.kind, "mirred");
    assert.equal(mirred.mirred_action, "redirect");
    assert.equal(mirred.direction, "egress");
    assert.equal(mirred.to_dev, "va");
    assert.deepEqual(mirred.control_action, { type: "stolen" });

    const eg = (await tcJson(ns, "-s", "filter", "show", "dev", "vb", "egress"))
      .find((f) => f.options)!;
    assert.equal(eg.protocol, "all");
    assert.equal(eg.pref, 20);
    assert.equal(eg.options.flowid, "1:1");
    assert.deepEqual(eg.options.bytecode, {
      length: 1,
      insns: [{ code: 6, jt: 0, jf: 0, k: 4294967295 }],
    });
    const [mirror] = eg.options.actions;
    assert.equal(mirror.mirred_action, "mirror");
    assert.equal(mirror.direction, "ingress");
    assert.deepEqual(mirror.control_action, { type: "pipe" });

    // the library's reading of the same filters
    const va = await t.ifindex("va");
    const mine = (await t.filters("vb", { parent: "ingress" })).find((f) => f.options?.keys)!;
    assert.equal(mine.handle, "800::800");
    assert.equal(mine.parent, "ffff:fff2");
    assert.equal(mine.prio, 10);
    assert.equal(mine.protocol, "ip");
    assert.equal(mine.options!.classid, "1:10");
    assert.deepEqual(mine.options!.match, {
      src: "10.0.0.0/24",
      dst: "10.1.0.1/32",
      ipProto: 6,
      sport: 1000,
      dport: 80,
    });
    const [a] = mine.options!.actions;
    assert.deepEqual(
      {
        kind: a.kind,
        mode: a.mode,
        direction: a.direction,
        ifindex: a.ifindex,
        verdict: a.verdict,
      },
      { kind: "mirred", mode: "redirect", direction: "egress", ifindex: va, verdict: "stolen" },
    );
    assert.equal(a.index, mirred.index);
    assert.equal(a.refcnt, mirred.ref);
    assert.equal(a.bindcnt, mirred.bind);
    assert.equal(Number(a.stats!.bytes), mirred.stats.bytes);
    assert.equal(a.stats!.packets, mirred.stats.packets);

    // what tc makes, the library reads
    await t.addQdisc("va", { kind: "ingress" });
    await tc(
      ns,
      "filter",
      "add",
      "dev",
      "va",
      "ingress",
      "prio",
      "7",
      "protocol",
      "ip",
      "u32",
      "match",
      "ip",
      "dst",
      "192.168.7.0/24",
      "match",
      "ip",
      "dport",
      "53",
      "0xffff",
      "flowid",
      "1:7",
      "action",
      "mirred",
      "egress",
      "mirror",
      "dev",
      "vb",
    );
    const [fromTc] = (await t.filters("va", { parent: "ingress" })).filter((f) => f.options?.keys);
    assert.equal(fromTc.prio, 7);
    assert.equal(fromTc.options!.classid, "1:7");
    assert.equal(fromTc.options!.terminal, true);
    assert.deepEqual(fromTc.options!.match, { dst: "192.168.7.0/24", dport: 53 });
    assert.deepEqual(
      fromTc.options!.actions.map((x) => [x.kind, x.mode, x.direction, x.verdict, x.ifindex]),
      [["mirred", "mirror", "egress", "pipe", await t.ifindex("vb")]],
    );
    // delete one priority: tc no longer shows it
    await t.deleteFilter("vb", { parent: "ingress", prio: 10 });
    assert.deepEqual(await tcJson(ns, "filter", "show", "dev", "vb", "ingress"), []);
  },
});

/** Loads `r0 = 0; exit` as a sched_cls program and pins it at `path` (python3's ctypes, bpf(2)). */
const PIN = `
import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
insns = struct.pack("<BBhi", 0xb7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)
ibuf = ctypes.create_string_buffer(insns, len(insns))
lic = ctypes.create_string_buffer(b"GPL")
attr = struct.pack("<IIQQIIQI", 3, 2, ctypes.addressof(ibuf), ctypes.addressof(lic), 0, 0, 0, 0)
abuf = ctypes.create_string_buffer(attr, 128)
fd = libc.syscall(321, 5, abuf, 128)
if fd < 0: raise OSError(ctypes.get_errno(), "BPF_PROG_LOAD")
path = ctypes.create_string_buffer(sys.argv[1].encode())
pattr = ctypes.create_string_buffer(struct.pack("<QII", ctypes.addressof(path), fd, 0), 128)
if libc.syscall(321, 6, pattr, 128) < 0: raise OSError(ctypes.get_errno(), "BPF_OBJ_PIN")`;

Deno.test({
  name: "tc: a bpf filter from a pinned program (bpf(2) BPF_OBJ_GET), as tc shows it",
  ignore: ignoreUnlessRoot || Deno.build.arch !== "x86_64",
  async fn() {
    await requireTools("tc", "python3");
    await using ns = await vethNs();
    const dir = await Deno.makeTempDir();
    await run("mount", "-t", "bpf", "bpf", dir);
    try {
      await run("python3", "-c", PIN, `${dir}/prog`);
      await using t = Tc.open({ netns: ns.name });
      await t.addQdisc("vb", { kind: "clsact" });
      await t.addFilter("vb", {
        parent: "ingress",
        prio: 4,
        protocol: "all",
        kind: "bpf",
        pinned: `${dir}/prog`,
        directAction: true,
      });
      const [f] = (await tcJson(ns, "filter", "show", "dev", "vb", "ingress"))
        .filter((x) => x.options);
      assert.equal(f.kind, "bpf");
      assert.equal(f.pref, 4);
      assert.equal(f.options["direct-action"], true);
      assert.equal(f.options.bpf_name, "prog");
      const [mine] = (await t.filters("vb", { parent: "ingress" })).filter((x) => x.options);
      assert.deepEqual(mine.options!.bpf, {
        directAction: true,
        name: "prog",
        id: f.options.prog.id,
        tag: f.options.prog.tag,
      });
      await assert.rejects(
        t.addFilter("vb", { parent: "ingress", kind: "bpf", pinned: `${dir}/none` }),
        /bpf: ENOENT .*BPF_OBJ_GET .*none/,
      );
    } finally {
      await run("umount", dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
