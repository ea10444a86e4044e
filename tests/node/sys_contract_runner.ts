/**
 * Runs the shared {@linkcode checks} under Node or Bun against
 * `ffi/node.ts`. Plain JS plus `node:child_process` (for `ip netns`), so
 * that one bundle runs on both: `package.sh` builds it with esbuild.
 *
 * Prints one line per check and ends with `N passed, N failed`; the exit
 * code is 1 when anything failed. With CI=true, the netns checks fail
 * instead of skipping when this is not root.
 */
import { execFileSync } from "node:child_process";
import { loadSys } from "../../ffi/node.ts";
import { checks } from "./sys_contract.ts";

const runtime = (globalThis as { Bun?: { version: string } }).Bun
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `node ${process.version}`;
const root = process.getuid?.() === 0;
const ci = process.env.CI === "true";

const sys = loadSys();
let passed = 0;
let failed = 0;
let skipped = 0;
for (const check of checks) {
  const label = `Sys contract (${runtime}): ${check.name}`;
  if (check.netns && !root && !ci) {
    skipped++;
    console.log(`${label} ... skipped (not root)`);
    continue;
  }
  const t0 = performance.now();
  let ns: string | undefined;
  try {
    if (check.netns) {
      ns = `nlts-${Math.random().toString(16).slice(2, 10)}`;
      execFileSync("ip", ["netns", "add", ns]);
    }
    await check.run(sys, ns ? { netnsPath: `/var/run/netns/${ns}` } : {});
    passed++;
    console.log(`${label} ... ok (${(performance.now() - t0).toFixed(1)} ms)`);
  } catch (e) {
    failed++;
    console.log(
      `${label} ... FAILED\n  ${e instanceof Error ? e.stack ?? e.message : e}`,
    );
  } finally {
    if (ns) execFileSync("ip", ["netns", "del", ns]);
  }
}
console.log(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exitCode = failed ? 1 : 0;
