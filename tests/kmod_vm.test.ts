/**
 * The kernel module in real kernels: builds kmod/ (W=1, warnings fail),
 * boots Debian's kernels in qemu with it (bookworm's 6.1,
 * bookworm-backports' 6.12 and trixie-backports' 7.2, built for in a
 * Debian 13 root), runs tests/kmod/ there, unloads it and checks dmesg.
 * Also checkpatch. See kmod/vm/harness.ts.
 */
import assert from "node:assert/strict";
import { checkpatch, runVm } from "../kmod/vm/harness.ts";
import { canNetns } from "./helpers/netns.ts";

// qemu and the packages are installed by the harness, which needs root;
// with CI=true nothing skips
const ignore = !canNetns && Deno.env.get("CI") !== "true";

for (const kernel of ["bookworm", "backports", "trixie"] as const) {
  Deno.test({
    name: `kmod on ${kernel}: tests/kmod/ pass in the VM; rmmod is clean; dmesg has no WARNING/BUG`,
    ignore,
    async fn() {
      const result = await runVm("test", { kernel, log: (s) => console.log(`[vm] ${s}`) });
      const summary = /^ok \| \d+ passed.*$/m.exec(result.output)?.[0];
      console.log(summary ?? result.output.slice(-3000));
      assert.deepEqual(result.problems, [], result.output.slice(-6000));
      assert.ok(summary, "the guest printed its test summary");
    },
  });
}

Deno.test({
  name: "kmod: checkpatch.pl --strict finds nothing",
  ignore,
  async fn() {
    const { clean, report } = await checkpatch();
    assert.ok(clean, report);
  },
});
