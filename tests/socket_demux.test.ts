/**
 * The demultiplexer alone (src/socket/demux.ts): routing by sequence
 * number and port id, draining what was given up on, the event queue's
 * limit and overruns. No socket, no kernel.
 */
import assert from "node:assert/strict";
import { Message, NLM_F, NLMSG, Overrun, OverrunError } from "../mod.ts";
import { Demux, type DemuxStats, isFinal, OverrunMark } from "../src/socket/demux.ts";
import { message } from "../src/testing/mod.ts";

const PORT = 4242;
const RTM_NEWLINK = 16;

function stats(): DemuxStats {
  return { foreignDropped: 0, overruns: 0, eventsDropped: 0 };
}

function msg(type: number, seq: number, portId = PORT, sender = 0, group = 0): Message {
  const bytes = message(type, new Uint8Array(type === NLMSG.ERROR ? 20 : 16), 0, seq, portId);
  return new Message(bytes, 0, bytes.length, sender, group);
}

Deno.test("replies go to their request by seq and port; the rest to the event stream", () => {
  const s = stats();
  const demux = new Demux({ portId: PORT, firstSeq: 100 }, s);
  const a = demux.register(false, false);
  const d = demux.register(true, true);
  assert.deepEqual([a.seq, d.seq, d.isDump, d.borrows], [100, 101, true, true]);
  assert.equal(demux.route(msg(RTM_NEWLINK, 100)), a);
  assert.equal(demux.route(msg(RTM_NEWLINK, 101, 0)), d); // port id 0: the kernel's
  assert.equal(demux.route(msg(RTM_NEWLINK, 100, PORT + 1)), demux.events); // another port's
  assert.equal(demux.route(msg(RTM_NEWLINK, 0)), demux.events); // seq 0: an event
  assert.equal(demux.route(msg(RTM_NEWLINK, 100, PORT, 0, 1)), demux.events); // multicast
  assert.equal(demux.route(msg(RTM_NEWLINK, 555)), demux.events); // nobody's
  assert.equal(demux.route(msg(RTM_NEWLINK, 100, PORT, 77)), undefined); // a process sent it
  assert.equal(s.foreignDropped, 1);
  const open = new Demux({ portId: PORT, acceptForeign: true }, stats());
  assert.equal(open.route(msg(RTM_NEWLINK, 0, 0, 77)), open.events);
  // The final message settles: unregistered as finished, the seq is free.
  assert.ok(isFinal(msg(NLMSG.ERROR, 100)) && isFinal(msg(NLMSG.DONE, 101)));
  assert.equal(demux.route(msg(NLMSG.ERROR, 100)), a);
  assert.ok(a.over);
  demux.unregister(a, true);
  assert.equal(demux.pending.size, 1);
  assert.equal(demux.route(msg(RTM_NEWLINK, 100)), demux.events);
});

Deno.test("sequence numbers skip those in flight and 0, and wrap below 2^30", () => {
  const demux = new Demux({ portId: PORT, firstSeq: 0x3fffffff }, stats());
  const a = demux.register(false, false);
  assert.equal(a.seq, 0x3fffffff);
  assert.equal(demux.directSeq(), 1); // wrapped past 0
  const b = demux.register(false, false);
  assert.equal(b.seq, 2);
  const c = demux.adopt(3, true);
  assert.equal(demux.route(msg(RTM_NEWLINK, 3)), c);
  assert.equal(demux.register(false, false).seq, 4);
  assert.ok(!demux.idle);
  demux.forget(c);
  assert.equal(demux.pending.get(3), undefined);
});

Deno.test("an abandoned request drains: its reply is dropped, later ACKs forget it", () => {
  const demux = new Demux({ portId: PORT, firstSeq: 10 }, stats());
  const old = demux.register(false, false);
  const older = demux.register(false, false);
  const now = demux.register(false, false);
  demux.unregister(old, false);
  demux.unregister(older, false);
  assert.ok(old.discard && old.live);
  assert.equal(demux.route(msg(RTM_NEWLINK, 10)), undefined); // dropped
  assert.equal(demux.route(msg(NLMSG.ERROR, 10)), undefined); // its ACK: forgotten
  assert.ok(!old.live);
  // The kernel answers in order: the ACK of a later request ends the older one too.
  assert.equal(demux.route(msg(NLMSG.ERROR, 12)), now);
  assert.ok(!older.live);
  demux.unregister(now, true);
  assert.ok(demux.idle);
});

Deno.test("a dump given up on is drained before the next; a reply already routed is not", () => {
  const demux = new Demux({ portId: PORT, firstSeq: 1 }, stats());
  const d = demux.register(true, false);
  demux.unregister(d, false);
  assert.ok(demux.abandonedDump());
  assert.equal(demux.route(msg(RTM_NEWLINK, 1)), undefined);
  assert.equal(demux.route(msg(NLMSG.DONE, 1)), undefined);
  assert.ok(!demux.abandonedDump() && demux.idle);
  // Its DONE routed (queued, not taken) before the consumer left: nothing to drain.
  const e = demux.register(true, false);
  assert.equal(demux.route(msg(NLMSG.DONE, e.seq)), e);
  demux.unregister(e, false);
  assert.ok(!demux.abandonedDump() && demux.idle);
  // A dump whose datagram was cut may never see its DONE: dropCutDumps forgets it.
  const f = demux.register(true, false);
  const g = demux.register(true, false);
  demux.markCut(msg(RTM_NEWLINK, f.seq));
  demux.markCut(msg(RTM_NEWLINK, 999)); // nobody's: nothing happens
  demux.unregister(f, false);
  demux.unregister(g, false);
  demux.dropCutDumps();
  assert.ok(!f.live && g.live && demux.abandonedDump());
});

Deno.test("a full event queue drops events and reports them once as an overrun", () => {
  const s = stats();
  const demux = new Demux({ portId: PORT, maxQueuedEvents: 2 }, s);
  for (let i = 0; i < 5; i++) demux.deliver(demux.events, msg(RTM_NEWLINK, 0));
  assert.equal(s.eventsDropped, 3);
  assert.deepEqual(drain(demux), [RTM_NEWLINK, RTM_NEWLINK, NLMSG.OVERRUN]);
  demux.eventTaken();
  demux.deliver(demux.events, msg(RTM_NEWLINK, 0));
  demux.deliver(demux.events, msg(RTM_NEWLINK, 0));
  demux.deliver(demux.events, msg(RTM_NEWLINK, 0));
  assert.deepEqual(drain(demux), [RTM_NEWLINK, RTM_NEWLINK, NLMSG.OVERRUN]);
  // A request's inbox has no limit.
  const r = demux.register(false, false);
  for (let i = 0; i < 5; i++) demux.deliver(r, msg(RTM_NEWLINK, r.seq));
  assert.equal(r.size, 5);
  const mark = new OverrunMark("queue");
  assert.equal(mark.type, NLMSG.OVERRUN);
  assert.equal(mark.flags & NLM_F.MULTI, 0);
  assert.ok(mark.overrun instanceof Overrun && mark.overrun.cause === "queue");
});

function drain(demux: Demux): number[] {
  const types: number[] = [];
  for (let m = demux.events.shift(); m; m = demux.events.shift()) {
    // An overrun's mark says who dropped the events.
    if (m instanceof OverrunMark) assert.equal(m.overrun.cause, "queue");
    types.push(m.type);
  }
  return types;
}

Deno.test("an overrun fails requests, not dumps; failAll and close reach everyone", () => {
  const s = stats();
  const demux = new Demux({ portId: PORT }, s);
  const req = demux.register(false, false);
  const dump = demux.register(true, false);
  const gone = demux.register(false, false);
  demux.unregister(gone, false);
  demux.overrun();
  assert.equal(s.overruns, 1);
  assert.ok(req.error instanceof OverrunError);
  assert.equal(dump.error, undefined);
  assert.equal(gone.error, undefined);
  const mark = demux.events.shift();
  assert.ok(mark instanceof OverrunMark && mark.overrun.cause === "kernel");
  const boom = new Error("boom");
  demux.failAll(boom);
  assert.equal(dump.error, boom);
  assert.equal(demux.events.error, boom);
  const closed = new Error("closed");
  demux.close(closed);
  assert.ok(demux.idle && !req.live && !dump.live);
  assert.equal(req.error instanceof OverrunError, true); // the first error stays
});
