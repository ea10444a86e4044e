/**
 * The npm package, packed and installed into an empty project, on Node
 * against the host kernel (tests/node/package.sh does the work).
 */
import assert from "node:assert/strict";
import { ignoreUnlessRoot } from "../helpers/netns.ts";

Deno.test({
  name: "npm package: Sys contract and a plain script on Node and Bun, from the packed tarball",
  ignore: ignoreUnlessRoot,
  async fn() {
    const script = new URL("./package.sh", import.meta.url).pathname;
    const out = await new Deno.Command("bash", {
      args: [script],
      env: { DENO: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.match(text, /PASS: npm package on node .* and bun /);
  },
});
