/**
 * The kernel module in a real kernel: builds kmod/ (W=1, warnings fail),
 * boots Debian's kernel in qemu with it, runs tests/kmod/ there, unloads it
 * and checks dmesg. See kmod/vm/harness.ts.
 */
import assert from "node:assert/strict";
import { runVm } from "../kmod/vm/harness.ts";
import { canNetns } from "./helpers/netns.ts";

Deno.test({
  name: "kmod: tests/kmod/ pass inside a VM; rmmod is clean; dmesg has no WARNING/BUG/Oops",
  // qemu and the packages are installed by the harness, which needs root;
  // with CI=true nothing skips
  ignore: !canNetns && Deno.env.get("CI") !== "true",
  async fn() {
    const result = await runVm("test", { log: (s) => console.log(`[vm] ${s}`) });
    const summary = /^ok \| \d+ passed.*$/m.exec(result.output)?.[0];
    console.log(summary ?? result.output.slice(-3000));
    assert.deepEqual(result.problems, [], result.output.slice(-6000));
    assert.ok(summary, "the guest printed its test summary");
  },
});
