/**
 * Bridge VLAN events decoded from bytes laid out by hand as Linux 7.2's
 * br_vlan_notify() sends them (struct br_vlan_msg, then BRIDGE_VLANDB_ENTRY
 * nests), delivered by a fake kernel on RTNLGRP_BRVLAN through
 * `rtnlEvents`: the whole receive path, no root, no VM. The VM suite
 * (tests/vm/rtnl_bridge_events.test.ts) checks them against a real kernel.
 */
import assert from "node:assert/strict";
import { rtnlEvents } from "../src/rtnl/events.ts";
import type { RtnlEvent } from "../src/rtnl/mod.ts";
import { FakeKernel } from "../src/testing/mod.ts";

// Numbers of include/uapi/linux/rtnetlink.h and if_bridge.h, typed here on
// purpose: the test checks the spec-generated tables against them.
const RTM_NEWVLAN = 112, RTM_DELVLAN = 113, RTNLGRP_BRVLAN = 33, AF_BRIDGE = 7;
const BRIDGE_VLANDB_ENTRY = 1, BRIDGE_VLANDB_GLOBAL_OPTIONS = 2, NLA_F_NESTED = 0x8000;
const ENTRY_INFO = 1, ENTRY_RANGE = 2, ENTRY_STATE = 3, ENTRY_MCAST_ROUTER = 6;
const GOPTS_ID = 1, GOPTS_RANGE = 2;
const PVID = 2, UNTAGGED = 4, BRENTRY = 32, BR_STATE_FORWARDING = 3, BR_STATE_BLOCKING = 4;

/** One attribute: header, payload, padding to 4. */
function attr(type: number, payload: Uint8Array): Uint8Array {
  const len = 4 + payload.length;
  const out = new Uint8Array((len + 3) & ~3);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, len, true);
  dv.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};
const u8 = (v: number) => new Uint8Array([v]);
const u16 = (v: number) => new Uint8Array(new Uint16Array([v]).buffer);
const vlanInfo = (flags: number, vid: number) => cat(u16(flags), u16(vid));

/** An RTM_NEWVLAN/RTM_DELVLAN message for `ifindex` with `attrs`. */
function vlanMessage(type: number, ifindex: number, ...attrs: Uint8Array[]): Uint8Array {
  const hdr = new Uint8Array(8);
  const dv = new DataView(hdr.buffer);
  dv.setUint8(0, AF_BRIDGE);
  dv.setUint32(4, ifindex, true);
  const body = cat(hdr, ...attrs);
  const nl = new Uint8Array(16);
  const nv = new DataView(nl.buffer);
  nv.setUint32(0, 16 + body.length, true);
  nv.setUint16(4, type, true);
  return cat(nl, body);
}

Deno.test("vlan events: RTM_NEWVLAN/RTM_DELVLAN decoded from the kernel's bytes", async () => {
  using kernel = new FakeKernel(() => []);
  const it = rtnlEvents({ sys: kernel }, ["vlan"], { signal: AbortSignal.timeout(5000) });
  const first = it.next(); // opens the socket and joins the group
  assert.ok(kernel.sockets[0].groups.has(RTNLGRP_BRVLAN), "joined RTNLGRP_BRVLAN");
  const bytes = cat(
    // a port's vid 10, pvid untagged, forwarding, with an option the event leaves out
    vlanMessage(
      RTM_NEWVLAN,
      4,
      attr(
        BRIDGE_VLANDB_ENTRY | NLA_F_NESTED,
        cat(
          attr(ENTRY_INFO, vlanInfo(PVID | UNTAGGED, 10)),
          attr(ENTRY_STATE, u8(BR_STATE_FORWARDING)),
          attr(ENTRY_MCAST_ROUTER, u8(1)),
        ),
      ),
    ),
    // a range 20-22, blocking
    vlanMessage(
      RTM_NEWVLAN,
      5,
      attr(
        BRIDGE_VLANDB_ENTRY | NLA_F_NESTED,
        cat(
          attr(ENTRY_INFO, vlanInfo(BRENTRY, 20)),
          attr(ENTRY_RANGE, u16(22)),
          attr(ENTRY_STATE, u8(BR_STATE_BLOCKING)),
        ),
      ),
    ),
    // a deletion: info only
    vlanMessage(
      RTM_DELVLAN,
      4,
      attr(BRIDGE_VLANDB_ENTRY | NLA_F_NESTED, attr(ENTRY_INFO, vlanInfo(UNTAGGED, 10))),
    ),
    // global options of the bridge's vids 30-31
    vlanMessage(
      RTM_NEWVLAN,
      3,
      attr(
        BRIDGE_VLANDB_GLOBAL_OPTIONS | NLA_F_NESTED,
        cat(attr(GOPTS_ID, u16(30)), attr(GOPTS_RANGE, u16(31))),
      ),
    ),
  );
  assert.equal(kernel.multicast(RTNLGRP_BRVLAN, bytes), 1);
  const seen: RtnlEvent[] = [(await first).value as RtnlEvent];
  for await (const e of it) {
    seen.push(e);
    if (seen.length === 4) break;
  }
  assert.deepEqual(seen, [
    {
      kind: "vlan",
      action: "new",
      vlan: {
        ifindex: 4,
        vid: 10,
        pvid: true,
        untagged: true,
        flags: PVID | UNTAGGED,
        state: "forwarding",
      },
    },
    {
      kind: "vlan",
      action: "new",
      vlan: {
        ifindex: 5,
        vid: 20,
        vidEnd: 22,
        pvid: false,
        untagged: false,
        flags: BRENTRY,
        state: "blocking",
      },
    },
    {
      kind: "vlan",
      action: "del",
      vlan: { ifindex: 4, vid: 10, pvid: false, untagged: true, flags: UNTAGGED },
    },
    {
      kind: "vlan",
      action: "new",
      vlan: {
        ifindex: 3,
        vid: 30,
        vidEnd: 31,
        pvid: false,
        untagged: false,
        flags: 0,
        global: true,
      },
    },
  ]);
});

Deno.test("vlan events: a kind that is not one is a TypeError naming vlan", () => {
  assert.throws(() => rtnlEvents({}, ["vlans" as "vlan"]), (e: Error) => {
    return e instanceof TypeError && /did you mean "vlan"\?.*valid: .*\bvlan\b/.test(e.message);
  });
});
