/**
 * Mutations need CAP_NET_ADMIN; reading, watching and joining the change
 * group do not. The unprivileged side is a separate process run as nobody.
 */
import assert from "node:assert/strict";
import { NlrTable } from "../../src/nlrtable/mod.ts";
import { asNobody, lines } from "./helpers.ts";

Deno.test("unprivileged: mutations get EPERM; get, list, watch and the group work", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "10.60.0.0/24", gateway: "192.0.2.60" });
  const child = asNobody("./unprivileged_worker.ts").spawn();
  const err = new Response(child.stderr).text();
  const out = lines(child.stdout);
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000); // a hang fails, with stderr
  try {
    const first = await out.next();
    if (first.value !== "ready") assert.fail(`the worker is not ready: ${await err}`);
    assert.equal((await table.get("10.60.0.0/24")).watchers, 1, "the worker watches");
  } finally {
    await table.delete("10.60.0.0/24");
  }
  const last = await out.next();
  const status = await child.status;
  clearTimeout(timer);
  assert.equal(status.code, 0, await err);
  assert.deepEqual(JSON.parse(last.value as string), {
    uid: 65534,
    add: "EPERM",
    replace: "EPERM",
    delete: "EPERM",
    get: "10.60.0.0/24",
    list: ["10.60.0.0/24"],
    watch: "deleted request 10.60.0.0/24",
    change: "deleted request 10.60.0.0/24",
  });
  for await (const _ of out) { /* drain */ }
});
