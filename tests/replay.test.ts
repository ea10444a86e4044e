/**
 * Record/replay: the committed fixture (a real conversation, recorded by
 * tests/fixtures/record.ts) played back without a kernel; and, as root, a
 * conversation recorded now and replayed at once gives the same answers.
 */
import assert from "node:assert/strict";
import { MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";
import { loadSys } from "../src/sys.ts";
import {
  type RecordedMessage,
  type Recording,
  replay,
  ReplayMismatchError,
} from "../src/testing/mod.ts";
import { converse, record } from "./fixtures/record.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

if (!ignoreUnlessRoot) loadSys();
const opts = { sanitizeResources: true, sanitizeOps: true };
const fixture: Recording = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/conversation.json", import.meta.url)),
);

/** The names the fixture's decoded RTM_NEWLINK replies hold, in order. */
function recordedNames(): string[] {
  const out: string[] = [];
  for (const step of fixture.sockets[0].steps) {
    if (!("receive" in step)) continue;
    for (const m of step.receive as RecordedMessage[]) {
      if (m.type === 16) out.push((m.decoded as { attrs: { ifname: string } }).attrs.ifname);
    }
  }
  return out;
}

Deno.test(
  "replay: the recorded dump, request and genl lookups, without a kernel",
  opts,
  async () => {
    using kernel = replay(fixture);
    const learnt = await converse(kernel);
    const names = recordedNames(); // the dump's three, then lo again
    assert.deepEqual(names.slice(0, 3).sort(), ["lo", "va", "vb"]);
    assert.deepEqual(learnt.links, names.slice(0, 3));
    assert.equal(learnt.lo, "lo");
    assert.equal(learnt.nlctrl.id, 0x10);
    assert.deepEqual(learnt.nlctrl.groups, { notify: 0x10 });
    assert.equal(learnt.missing, "ENOENT");
  },
);

Deno.test(
  "replay: a request other than the recorded one is a ReplayMismatchError",
  opts,
  async () => {
    using kernel = replay(fixture);
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    const w = new MessageWriter().begin(18);
    w.view.setInt32(w.fixed(16) + 4, 7, true); // not the recorded dump
    await assert.rejects(sock.request(w), (e: unknown) => {
      assert.ok(e instanceof ReplayMismatchError);
      assert.match(e.message, /expected .*"type":18/);
      return true;
    });
  },
);

Deno.test(
  "record now, replay at once: the same answers as the kernel's",
  { ...opts, ignore: ignoreUnlessRoot },
  async () => {
    await using ns = await makeNetns();
    await ns.ip("link", "add", "ra", "type", "veth", "peer", "name", "rb");
    const { learnt, recording } = await record(ns.name);
    assert.deepEqual(learnt.links.slice().sort(), ["lo", "ra", "rb"]);
    // the recording is plain JSON
    const again = JSON.parse(JSON.stringify(recording));
    using kernel = replay(again);
    assert.deepEqual(await converse(kernel), learnt);
  },
);
