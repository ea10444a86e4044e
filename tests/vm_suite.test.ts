/**
 * The VM suite (kmod/vm/suite.ts): boots trixie-backports' Linux 7.2 in
 * qemu with the modules tests/vm/*.test.ts name and runs those files
 * there; each file is a step here. Also the suite's module resolution, on
 * a modules.dep excerpt.
 */
import assert from "node:assert/strict";
import { declaredModules, loadOrder, parseModuleIndex } from "../kmod/vm/modules.ts";
import { runSuite } from "../kmod/vm/suite.ts";
import { canNetns } from "./helpers/netns.ts";

// qemu, the tools and the packages are installed by the suite, which needs
// root; with CI=true nothing skips
const ignore = !canNetns && Deno.env.get("CI") !== "true";

Deno.test({
  name: "vm suite on 7.2: every tests/vm/*.test.ts passes; dmesg has no WARNING/BUG",
  ignore,
  async fn(t) {
    const result = await runSuite({ log: (s) => console.log(`[vm] ${s}`) });
    console.log(`[vm] ${result.kver}: loaded ${result.modules.join(" ")}`);
    for (const f of result.files) {
      await t.step(f.file, () => {
        const summary = /^ok \| \d+ passed.*$/m.exec(f.output)?.[0];
        assert.equal(f.rc, 0, f.output.slice(-6000));
        assert.ok(summary, `${f.file} printed no passing summary:\n${f.output.slice(-3000)}`);
        console.log(`${f.file}: ${summary}`);
      });
    }
    assert.deepEqual(result.problems, []);
  },
});

// from 7.2's modules.dep and modules.builtin
const DEP =
  `kernel/drivers/net/wireless/virtual/mac80211_hwsim.ko.xz: kernel/net/mac80211/mac80211.ko.xz kernel/net/wireless/cfg80211.ko.xz kernel/net/rfkill/rfkill.ko.xz kernel/lib/crypto/libarc4.ko.xz
kernel/net/mac80211/mac80211.ko.xz: kernel/net/wireless/cfg80211.ko.xz kernel/net/rfkill/rfkill.ko.xz kernel/lib/crypto/libarc4.ko.xz
kernel/net/wireless/cfg80211.ko.xz: kernel/net/rfkill/rfkill.ko.xz
kernel/net/rfkill/rfkill.ko.xz:
kernel/lib/crypto/libarc4.ko.xz:
kernel/net/8021q/8021q.ko.xz: kernel/net/802/garp.ko.xz kernel/net/802/stp.ko.xz kernel/net/802/mrp.ko.xz kernel/net/llc/llc.ko.xz
kernel/net/802/garp.ko.xz: kernel/net/802/stp.ko.xz kernel/net/llc/llc.ko.xz
kernel/net/802/stp.ko.xz: kernel/net/llc/llc.ko.xz
kernel/net/802/mrp.ko.xz:
kernel/net/llc/llc.ko.xz:
kernel/drivers/net/dummy.ko.xz:
`;
const BUILTIN = "kernel/net/sched/sch_fq_codel.ko\nkernel/net/ipv4/tcp_cubic.ko\n";

Deno.test("vm modules: each module comes after what it needs; built-ins are skipped", () => {
  const index = parseModuleIndex(DEP, BUILTIN);
  const order = loadOrder(index, ["mac80211_hwsim", "8021q", "sch_fq_codel", "dummy"]);
  const base = order.map((p) => p.slice(p.lastIndexOf("/") + 1, p.indexOf(".ko")));
  assert.deepEqual(base, [
    "rfkill",
    "cfg80211",
    "libarc4",
    "mac80211",
    "mac80211_hwsim",
    "llc",
    "stp",
    "garp",
    "mrp",
    "8021q",
    "dummy",
  ]);
  // "-" and "_" name the same module
  assert.deepEqual(loadOrder(index, ["mac80211-hwsim"]).length, 5);
});

Deno.test("vm modules: an unknown module is a RangeError naming it and who needs it", () => {
  const index = parseModuleIndex("kernel/a.ko.xz: kernel/b.ko.xz\n");
  assert.throws(() => loadOrder(index, ["nosuch"]), RangeError);
  assert.throws(() => loadOrder(index, ["a"]), /no module "b" in this kernel \(needed by a\)/);
});

Deno.test("vm modules: VM_MODULES is read from a test file's text", () => {
  assert.deepEqual(
    declaredModules(`export const VM_MODULES: string[] = [\n  "bonding", // bond\n  'dummy',\n];`),
    ["bonding", "dummy"],
  );
  assert.deepEqual(declaredModules("Deno.test('x', () => {});"), []);
  assert.throws(() => declaredModules("export const VM_MODULES = [NAMES];"), SyntaxError);
  assert.throws(() => declaredModules(`export const VM_MODULES = ["../etc"];`), TypeError);
});
