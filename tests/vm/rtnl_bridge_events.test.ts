/**
 * Bridge VLAN events (kind "vlan") in the VM (this host's bridge has no
 * vlan filtering): with `Rtnl.events(["vlan"])` subscribed, the library
 * adds and deletes VLANs of a vlan-filtering bridge's port, and each event
 * says what `bridge -j -d vlan show` shows of that VLAN then (port, id,
 * range, pvid, untagged, state). (`bridge monitor vlan` is not compared:
 * in the guest its stdout is a pipe, which bridge does not flush per line,
 * and the guest has neither stdbuf nor script to give it a tty.)
 */
import assert from "node:assert/strict";
import { Rtnl, type RtnlEvent } from "../../src/rtnl/mod.ts";
import type { BridgeVlanSpec } from "../../src/rtnl/bridge_vlans.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["bridge", "veth"];

type Vlan = Extract<RtnlEvent, { kind: "vlan" }>;
type ToolVlan = { vlan: number; vlanEnd?: number; flags?: string[]; state?: string };

/** `bridge -j -d vlan show dev DEV`: the port's VLANs as bridge prints them, one per id. */
async function toolVlans(ns: Netns, dev: string): Promise<ToolVlan[]> {
  const out = await run("bridge", "-n", ns.name, "-j", "-d", "vlan", "show", "dev", dev);
  const links = JSON.parse(out || "[]") as { ifname: string; vlans: ToolVlan[] }[];
  return (links.find((l) => l.ifname === dev)?.vlans ?? []).flatMap(({ vlanEnd, ...t }) =>
    Array.from({ length: (vlanEnd ?? t.vlan) - t.vlan + 1 }, (_, i) => ({
      ...t,
      vlan: t.vlan + i,
    }))
  );
}

/** Reads events until one is a vlan event for `vid`, bounded by the iterator's signal. */
async function until(
  it: AsyncIterableIterator<RtnlEvent>,
  action: "new" | "del",
  vid: number,
  seen: Vlan[],
  pending?: Promise<IteratorResult<RtnlEvent>>,
): Promise<Vlan> {
  for (;;) {
    const r = await (pending ?? it.next());
    pending = undefined;
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
  name: "vlan events: the library's VLAN changes arrive typed, as bridge -d vlan show says",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "br0", "type", "bridge", "vlan_filtering", "1");
    await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
    await ns.ip("link", "set", "va", "master", "br0");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const va = (await rtnl.getLink("va")).index;

    const events = rtnl.events(["vlan"], { signal: AbortSignal.timeout(20_000) });
    const first = events.next(); // subscribed from here
    try {
      const seen: Vlan[] = [];
      let pending: Promise<IteratorResult<RtnlEvent>> | undefined = first;

      const got: Vlan[] = [];
      for (const [spec, action] of STEPS) {
        await (action === "new" ? rtnl.addBridgeVlan(spec) : rtnl.deleteBridgeVlan(spec));
        const already = seen.find((e) => e.action === action && e.vlan.vid === spec.vid);
        const e: Vlan = already ?? await until(events, action, spec.vid, seen, pending);
        pending = undefined;
        seen.splice(0, seen.length);
        got.push(e);
        const tool = await toolVlans(ns, "va");
        console.error(JSON.stringify({ event: e, bridge: tool }));
        assert.equal(e.vlan.ifindex, va);
        assert.equal(e.vlan.vidEnd, spec.vidEnd, `vlan ${spec.vid}: vidEnd`);
        assert.equal(e.vlan.global, undefined);
        const ids = tool;
        for (let vid = spec.vid; vid <= (spec.vidEnd ?? spec.vid); vid++) {
          const t = ids.find((x) => x.vlan === vid);
          if (action === "del") {
            assert.equal(t, undefined, `vlan ${vid} deleted, bridge still shows it`);
            continue;
          }
          assert.ok(t, `vlan ${vid}: an event, and bridge does not show it`);
          assert.ok(t.state !== undefined && e.vlan.state !== undefined, `vlan ${vid}: a state`);
          assert.deepEqual(
            {
              pvid: e.vlan.pvid,
              untagged: e.vlan.untagged,
              state: e.vlan.state,
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
    } finally {
      await events.return?.();
    }
  },
});

Deno.test({
  name: "vlan events: the monitor CLI follows them, as bridge -d vlan show says",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "br0", "type", "bridge", "vlan_filtering", "1");
    await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
    await ns.ip("link", "set", "va", "master", "br0");
    await using rtnl = Rtnl.open({ netns: ns.name });
    const va = (await rtnl.getLink("va")).index;
    const cli = new URL("../../src/cli/monitor.ts", import.meta.url).pathname;
    const mon = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", "--allow-read", cli, "vlan", "--netns", ns.name, "--json"]
        .concat(["--count", "1", "--timeout", "30000"]),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = mon.output();
    // changes until the monitor, once listening, prints one and exits
    let exited = false;
    output.then(() => exited = true, () => exited = true);
    for (let i = 0; !exited; i++) {
      assert.ok(i < 60, "the monitor printed nothing");
      await rtnl.addBridgeVlan({ dev: "va", vid: 40 + i, untagged: true });
      await new Promise((r) => setTimeout(r, 500));
    }
    const out = await output;
    const text = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const line = JSON.parse(text);
    const tool = (await toolVlans(ns, "va")).find((t) => t.vlan === line.vid);
    assert.ok(tool, `bridge shows no vlan ${line.vid}: ${text}`);
    assert.deepEqual(line, {
      kind: "vlan",
      action: "new",
      ifindex: va,
      vid: tool.vlan,
      ...(tool.flags?.includes("PVID") ? { pvid: true } : {}),
      ...(tool.flags?.includes("Egress Untagged") ? { untagged: true } : {}),
      state: tool.state,
    });
  },
});
