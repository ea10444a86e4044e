/**
 * Bridge VLAN events (kind "vlan") in the VM (this host's bridge has no
 * vlan filtering): with `Rtnl.events(["vlan"])` subscribed, the library
 * adds and deletes VLANs of a vlan-filtering bridge's port, and each event
 * says what `bridge -j -d vlan show` shows of that VLAN then (port, id,
 * range, pvid, untagged, state), and what `bridge monitor vlan`, following
 * the same changes, prints.
 */
import assert from "node:assert/strict";
import { Rtnl, type RtnlEvent } from "../../src/rtnl/mod.ts";
import type { BridgeVlanSpec } from "../../src/rtnl/bridge_vlans.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["bridge", "veth"];

type Vlan = Extract<RtnlEvent, { kind: "vlan" }>;
type ToolVlan = { vlan: number; vlanEnd?: number; flags?: string[]; state?: string };

/** `bridge -j -d vlan show dev DEV`: the port's VLANs as bridge prints them. */
async function toolVlans(ns: Netns, dev: string): Promise<ToolVlan[]> {
  const out = await run("bridge", "-n", ns.name, "-j", "-d", "vlan", "show", "dev", dev);
  const links = JSON.parse(out || "[]") as { ifname: string; vlans: ToolVlan[] }[];
  return links.find((l) => l.ifname === dev)?.vlans ?? [];
}

/** Reads events until one is a vlan event for `vid`, bounded by the iterator's signal. */
async function until(
  it: AsyncIterableIterator<RtnlEvent>,
  action: "new" | "del",
  vid: number,
  seen: Vlan[],
): Promise<Vlan> {
  for (;;) {
    const r = await it.next();
    assert.ok(!r.done, `the events ended before vlan ${action} ${vid}`);
    const e = r.value;
    if (e.kind !== "vlan") continue;
    seen.push(e);
    if (e.action === action && e.vlan.vid === vid) return e;
  }
}

/** Changes made by the library, each with the event it must cause. */
const STEPS: [BridgeVlanSpec, "new" | "del"][] = [
  [{ dev: "va", vid: 10, pvid: true, untagged: true }, "new"],
  [{ dev: "va", vid: 20, vidEnd: 22 }, "new"],
  [{ dev: "va", vid: 30, untagged: true }, "new"],
  [{ dev: "va", vid: 10 }, "del"],
  [{ dev: "va", vid: 20, vidEnd: 22 }, "del"],
];

Deno.test({
  name: "vlan events: the library's VLAN changes arrive typed, as bridge vlan show and monitor say",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "br0", "type", "bridge", "vlan_filtering", "1");
    await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
    await ns.ip("link", "set", "va", "master", "br0");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const va = (await rtnl.getLink("va")).index;

    // line-buffered: bridge does not flush its vlan lines into a pipe
    const monitor = new Deno.Command("stdbuf", {
      args: ["-oL", "bridge", "-n", ns.name, "monitor", "vlan"],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const events = rtnl.events(["vlan"], { signal: AbortSignal.timeout(20_000) });
    const first = events.next(); // subscribed from here
    // the monitor is subscribed once it prints what a change causes
    const text = new TextDecoder();
    let printed = "";
    const reader = monitor.stdout.getReader();
    let read: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
    const readUntil = async (done: (s: string) => boolean, ms = 10_000) => {
      const stop = AbortSignal.timeout(ms);
      const stopped = new Promise<"stop">((ok) => stop.addEventListener("abort", () => ok("stop")));
      while (!done(printed)) {
        read ??= reader.read();
        const r = await Promise.race([read, stopped]);
        if (r === "stop") throw new Error(`bridge monitor vlan printed:\n${printed}`);
        read = undefined;
        if (r.done) break;
        printed += text.decode(r.value, { stream: true });
      }
    };
    try {
      // a warm-up change, until the monitor prints it: both listen from then
      for (let i = 0; !/\s9\d\b/.test(printed); i++) {
        assert.ok(i < 5, `bridge monitor printed nothing: ${printed}`);
        await run("bridge", "-n", ns.name, "vlan", "add", "dev", "va", "vid", String(90 + i));
        await readUntil((s) => /\s9\d\b/.test(s), 2000).catch(() => {});
      }
      printed = "";
      const seen: Vlan[] = [];
      const pending = (await first).value as RtnlEvent;
      if (pending.kind === "vlan") seen.push(pending);

      const got: Vlan[] = [];
      for (const [spec, action] of STEPS) {
        await (action === "new" ? rtnl.addBridgeVlan(spec) : rtnl.deleteBridgeVlan(spec));
        const already = seen.find((e) => e.action === action && e.vlan.vid === spec.vid);
        const e = already ?? await until(events, action, spec.vid, seen);
        seen.splice(0, seen.length);
        got.push(e);
        const tool = await toolVlans(ns, "va");
        assert.equal(e.vlan.ifindex, va);
        assert.equal(e.vlan.vidEnd, spec.vidEnd, `vlan ${spec.vid}: vidEnd`);
        assert.equal(e.vlan.global, undefined);
        const ids = tool.flatMap((t) =>
          Array.from({ length: (t.vlanEnd ?? t.vlan) - t.vlan + 1 }, (_, i) => ({
            ...t,
            vlan: t.vlan + i,
          }))
        );
        for (let vid = spec.vid; vid <= (spec.vidEnd ?? spec.vid); vid++) {
          const t = ids.find((x) => x.vlan === vid);
          if (action === "del") {
            assert.equal(t, undefined, `vlan ${vid} deleted, bridge still shows it`);
            continue;
          }
          assert.ok(t, `vlan ${vid}: an event, and bridge does not show it`);
          assert.deepEqual(
            {
              pvid: e.vlan.pvid,
              untagged: e.vlan.untagged,
              state: t.state === undefined ? undefined : e.vlan.state,
            },
            {
              pvid: t.flags?.includes("PVID") ?? false,
              untagged: t.flags?.includes("Egress Untagged") ?? false,
              state: t.state,
            },
            `vlan ${vid}`,
          );
        }
        // what the library asked for
        assert.deepEqual([e.action, e.vlan.pvid, e.vlan.untagged], [
          action,
          action === "new" ? spec.pvid ?? false : e.vlan.pvid,
          action === "new" ? spec.untagged ?? false : e.vlan.untagged,
        ]);
      }
      assert.equal(got.filter((e) => e.vlan.state !== undefined).length >= 1, true, "a state");

      // bridge monitor vlan saw the same changes: one line per event, in order
      const range = (e: Vlan) => `${e.vlan.vid}${e.vlan.vidEnd ? `-${e.vlan.vidEnd}` : ""}`;
      const wanted = (s: string) =>
        got.every((e) => new RegExp(`(^|\\s)${range(e)}(\\s|$)`, "m").test(s));
      await readUntil((s) => wanted(s) && (s.match(/Deleted/g)?.length ?? 0) >= 2);
      console.error(`bridge monitor vlan printed:\n${printed}`);
      const lines = printed.split("\n").filter((l) => /^(Deleted )?\S+\s+\d/.test(l));
      const fromTool = lines.map((l) => {
        const m = l.match(/^(Deleted )?(\S+)\s+(\d+)(?:-(\d+))?(.*)$/)!;
        return {
          action: m[1] ? "del" : "new",
          dev: m[2],
          vid: Number(m[3]),
          vidEnd: m[4] === undefined ? undefined : Number(m[4]),
          pvid: /PVID/.test(m[5]),
          untagged: /Egress Untagged/.test(m[5]),
        };
      });
      const fromLib = got.map((e) => ({
        action: e.action,
        dev: "va",
        vid: e.vlan.vid,
        vidEnd: e.vlan.vidEnd,
        pvid: e.vlan.pvid,
        untagged: e.vlan.untagged,
      }));
      for (const want of fromLib) {
        assert.ok(
          fromTool.some((t) => JSON.stringify(t) === JSON.stringify(want)),
          `bridge monitor vlan: no line for ${JSON.stringify(want)} in\n${printed}`,
        );
      }
    } finally {
      reader.releaseLock();
      monitor.kill();
      await monitor.status;
      await events.return?.();
    }
  },
});
