/**
 * Run as an unprivileged user by privileges.test.ts: mutations must fail
 * with EPERM; get, list, watch and the change group must work. Prints
 * "ready" once it watches, then one JSON line when R is deleted.
 */
import { NetlinkError } from "../../mod.ts";
import { NlrTable } from "../../src/nlrtable/mod.ts";

const R = "10.60.0.0/24";
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof NetlinkError ? e.code : String(e);
  }
};

await using table = NlrTable.open();
const result: Record<string, unknown> = { uid: Deno.uid() };
const step = (s: string) => console.error(`worker: ${s}`);
step("open");
result.add = await codeOf(table.add({ dst: "10.61.0.0/24" }));
result.replace = await codeOf(table.add({ dst: R, oif: "x" }, { replace: true }));
result.delete = await codeOf(table.delete(R));
step("mutations refused");
result.get = (await table.get(R)).dst;
const listed = [];
for await (const e of table.list()) listed.push(e.dst);
result.list = listed;
step("read");
const changes = table.changes({ signal: AbortSignal.timeout(30_000) });
const change = changes.next(); // the first next() subscribes
step("changes");
await using watch = await table.watch(R);
step("watching");
console.log("ready");
for await (const ev of watch) result.watch = `${ev.kind} ${ev.reason} ${ev.entry.dst}`;
step("notified");
const ch = (await change).value;
if (ch) result.change = ch.kind === "deleted" ? `${ch.kind} ${ch.reason} ${ch.entry.dst}` : ch.kind;
await changes.return?.();
console.log(JSON.stringify(result));
