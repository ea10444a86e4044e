/** The README's main command (the demo) runs and shows the whole timeline. */
import assert from "node:assert/strict";
import { ignoreUnlessRoot } from "./helpers/netns.ts";

Deno.test({
  name: "examples/veth_events.ts: requests acknowledged, events seen, errors typed",
  ignore: ignoreUnlessRoot,
  async fn() {
    const demo = new URL("../examples/veth_events.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", "--allow-read", "--allow-run", demo],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
    for (
      const line of [
        /RTM_NEWLINK demo0\/demo1: acknowledged/,
        /again: EEXIST/,
        /dump: lo, demo1, demo0/,
        /kernel says: link demo0 new/,
        /kernel says: link demo1 deleted/,
        /both ends of the pair reported deleted/,
      ]
    ) assert.match(text, line);
  },
});

Deno.test({
  name: "examples/conntrack_watch.ts --demo: the table, its events and a prune by mark",
  ignore: ignoreUnlessRoot,
  async fn() {
    const demo = new URL("../examples/conntrack_watch.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", demo, "--demo"],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
    for (
      const line of [
        /^0 entries of at most \d+$/m,
        /^new +proto 17 10\.0\.0\.1:5353 -> 10\.0\.0\.2:53 \[UNREPLIED\] mark=17 zone=0$/m,
        /^update +proto 17 10\.0\.0\.1:5353 -> 10\.0\.0\.2:53 \[UNREPLIED\] mark=18 zone=0$/m,
        /^new +proto 17 10\.0\.0\.1:5354 -> 10\.0\.0\.2:53 \[UNREPLIED\] mark=0 zone=0$/m,
        /^pruned 1 entries with mark bits 0x10$/m,
        /^1 entries left$/m,
      ]
    ) assert.match(text, line);
  },
});
