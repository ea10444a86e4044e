/**
 * Module parameters: another protocol number, and a bounded table. Reloads
 * the module, so it runs with no socket of the protocol open.
 */
import assert from "node:assert/strict";
import { NlrTable } from "../../src/nlrtable/mod.ts";
import { SyscallError } from "../../mod.ts";
import { exec, rejectsWith, reload } from "./helpers.ts";

Deno.test("protocol=30 max_entries=3: the table is full at 3, protocol 31 is gone", async () => {
  await reload("protocol=30", "max_entries=3");
  try {
    assert.throws(
      () => NlrTable.open(),
      (e) => e instanceof SyscallError && e.code === "EPROTONOSUPPORT",
    );
    await using table = NlrTable.open({ protocol: 30 });
    for (let i = 1; i <= 3; i++) await table.add({ dst: `10.30.${i}.0/24` });
    await rejectsWith(table.add({ dst: "10.30.4.0/24" }), "ENOSPC", /Table is full/);
    await table.delete("10.30.1.0/24");
    await table.add({ dst: "10.30.4.0/24" });
    const all = [];
    for await (const e of table.list()) all.push(e.dst);
    assert.deepEqual(all, ["10.30.2.0/24", "10.30.3.0/24", "10.30.4.0/24"]);
    // an open socket of the protocol pins the module
    const busy = await exec("rmmod", "nlrtable");
    assert.notEqual(busy.code, 0, "rmmod must fail while a socket is open");
  } finally {
    await reload(); // entries left in the table are freed on unload
  }
  await using table = NlrTable.open();
  assert.equal((await table.greet()).greeting, "Hello from nlrtable");
});

Deno.test("a bad protocol parameter is refused at load time", async () => {
  const rm = await exec("rmmod", "nlrtable");
  assert.equal(rm.code, 0, rm.out);
  try {
    const bad = await exec("insmod", "/nlrtable.ko", "protocol=40");
    assert.notEqual(bad.code, 0);
    const taken = await exec("insmod", "/nlrtable.ko", "protocol=0"); // rtnetlink's
    assert.notEqual(taken.code, 0);
  } finally {
    const ins = await exec("insmod", "/nlrtable.ko");
    assert.equal(ins.code, 0, ins.out);
  }
});
