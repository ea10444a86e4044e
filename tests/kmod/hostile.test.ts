/**
 * Hostile input: 10,000 random and malformed datagrams as root and 10,000
 * as an unprivileged user. The module keeps answering, refuses every
 * unprivileged mutation with EPERM, and keeps its table; the harness then
 * checks dmesg and a clean unload.
 */
import assert from "node:assert/strict";
import { NlrTable } from "../../src/nlrtable/mod.ts";
import { asNobody } from "./helpers.ts";

interface Summary {
  uid: number;
  sent: number;
  replies: number;
  errors: Record<string, number>;
  mutationsSent: number;
  mutationReplies: Record<string, number>;
  greets: number;
  overruns: number;
}

const worker = new URL("./fuzz_worker.ts", import.meta.url).pathname;
const COUNT = 10_000;

async function fuzz(cmd: Deno.Command): Promise<Summary> {
  const out = await cmd.output();
  const t = new TextDecoder();
  assert.equal(out.code, 0, t.decode(out.stdout) + t.decode(out.stderr));
  const s = JSON.parse(t.decode(out.stdout).trim().split("\n").at(-1)!) as Summary;
  console.log(JSON.stringify(s));
  return s;
}

Deno.test("10,000 malformed datagrams as root: the module keeps answering", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "192.0.2.0/24", gateway: "198.51.100.1", oif: "sentinel0" });
  const s = await fuzz(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--no-config", worker, "7", String(COUNT)],
      stdout: "piped",
      stderr: "piped",
    }),
  );
  assert.equal(s.uid, 0);
  assert.equal(s.greets, COUNT / 100);
  assert.equal(s.overruns, 0, "no reply was lost");
  assert.ok(s.sent >= COUNT * 0.99, `sent ${s.sent}`);
  // the kernel refused most of it, for several different reasons
  assert.ok(Object.keys(s.errors).length >= 4, JSON.stringify(s.errors));
  assert.ok((s.errors.EINVAL ?? 0) > 1000, JSON.stringify(s.errors));
  assert.deepEqual(await table.get("192.0.2.0/24"), {
    dst: "192.0.2.0/24",
    ipVersion: 4,
    gateway: "198.51.100.1",
    oif: "sentinel0",
    watchers: 0,
  });
  // whatever the fuzz managed to add goes; timers and watches included
  for await (const e of table.list({ retries: 3 })) await table.delete(e.dst).catch(() => {});
  for await (const e of table.list()) assert.fail(`left over: ${e.dst}`);
});

Deno.test("10,000 malformed datagrams unprivileged: every mutation is EPERM", async () => {
  await using table = NlrTable.open();
  await table.add({ dst: "192.0.2.0/24" });
  const s = await fuzz(asNobody("./fuzz_worker.ts", "11", String(COUNT)));
  assert.equal(s.uid, 65534);
  assert.equal(s.greets, COUNT / 100);
  assert.equal(s.overruns, 0, "no reply was lost");
  const mutationReplies = Object.values(s.mutationReplies).reduce((a, b) => a + b, 0);
  assert.ok(s.mutationsSent > 200, `only ${s.mutationsSent} mutations sent`);
  assert.equal(mutationReplies, s.mutationsSent, "every mutation was answered");
  assert.deepEqual(Object.keys(s.mutationReplies), ["EPERM"]);
  assert.equal((await table.get("192.0.2.0/24")).dst, "192.0.2.0/24");
  for await (const e of table.list()) assert.equal(e.dst, "192.0.2.0/24", "nobody added nothing");
  await table.delete("192.0.2.0/24");
});
