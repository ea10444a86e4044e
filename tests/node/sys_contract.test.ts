/**
 * Runs the shared {@linkcode checks} under Deno against `ffi/deno.ts`.
 * Node and Bun run the same checks against `ffi/node.ts`
 * (`sys_contract_runner.ts`, through `tests/node/package.sh`).
 */
import { loadSys } from "../../ffi/deno.ts";
import { canNetns, ignoreUnlessRoot, makeNetns } from "../helpers/netns.ts";
import { checks } from "./sys_contract.ts";

// Before any test: the resource sanitizer would count the library as a leak.
const sys = loadSys();

for (const check of checks) {
  Deno.test({
    name: `Sys contract (deno): ${check.name}`,
    ignore: check.netns ? ignoreUnlessRoot : false,
    async fn() {
      if (!check.netns) return await check.run(sys, {});
      if (!canNetns) throw new Error("CI=true: needs root for ip netns");
      await using ns = await makeNetns();
      await check.run(sys, { netnsPath: `/var/run/netns/${ns.name}` });
    },
  });
}
