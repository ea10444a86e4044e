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
