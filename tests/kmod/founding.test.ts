/**
 * The founding scenario end to end: examples/founding.ts, whose P2 and P3
 * are separate processes, against the module's real timer.
 */
import assert from "node:assert/strict";

Deno.test("founding scenario: R3 expires, P2 and P3 are notified, the listener sees it", async () => {
  const script = new URL("../../examples/founding.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "--no-config", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const t = new TextDecoder();
  const text = t.decode(out.stdout);
  console.log(text);
  assert.equal(out.code, 0, text + t.decode(out.stderr));
  const order = [
    /listener +pid \d+ joined the change group; ready/,
    /P1 +added R3 10\.0\.3\.0\/24 via 192\.0\.2\.3 dev eth1, lifetime 10s/,
    /P1 +table: 10\.0\.3\.0\/24 via 192\.0\.2\.3 dev eth1 expires in [\d.]+s 2 watcher\(s\)/,
    /P1 +waiting for the kernel's timer to delete R3/,
    /P1 +table now: 10\.0\.1\.0\/24, 10\.0\.2\.0\/24/,
    /P1 +done: P2 and P3 were notified, the listener saw it/,
  ];
  let at = 0;
  for (const re of order) {
    const m = re.exec(text.slice(at));
    assert.ok(m, `missing, or out of order: ${re}`);
    at += m.index + m[0].length;
  }
  const lines = text.split("\n");
  const idx = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const added = idx(/P1 +added R3/);
  for (const who of ["P2", "P3"]) {
    const ready = idx(new RegExp(`${who} +pid \\d+ watching R3`));
    const told = idx(new RegExp(`${who} +kernel unicast: R3 deleted \\(expired\\), notified`));
    assert.ok(
      added < ready && ready < told,
      `${who}: added ${added}, ready ${ready}, told ${told}`,
    );
  }
  assert.ok(idx(/listener +kernel multicast: deleted \(expired\) 10\.0\.3\.0\/24/) > added);
  // every process is separate
  const pids = new Set([...text.matchAll(/pid (\d+)/g)].map((m) => m[1]));
  assert.equal(pids.size, 4, "P1, the listener, P2 and P3");
});
