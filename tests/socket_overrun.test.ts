/**
 * One overrun shape: every event stream (the socket's, Rtnl's, a family
 * client's, proc events') yields the same `Overrun` where events were
 * lost, says who dropped them, and goes on. On the fake kernel: no root.
 */
import assert from "node:assert/strict";
import { isOverrun, NETLINK, NetlinkSocket, Overrun } from "../mod.ts";
import { Rtnl } from "../src/rtnl/mod.ts";
import { FamilyClient } from "../src/ynl/mod.ts";
import { ProcEvents } from "../src/connector/proc.ts";
import { rtLink } from "../src/families/rt_link.ts";
import { FakeKernel, message, overrun } from "../src/testing/mod.ts";
import { linkPayload, RTM_NEWLINK } from "./helpers/fake_rtnl.ts";

const RTNLGRP_LINK = 1;
const signal = () => AbortSignal.timeout(5000);

/** The port id of the one fake socket that joined `group`. */
function portIn(kernel: FakeKernel, group: number): number {
  const s = kernel.sockets.filter((s) => s.groups.has(group));
  assert.equal(s.length, 1);
  return s[0].portId;
}

Deno.test("socket events(): an ENOBUFS is an Overrun by the kernel, then the stream goes on", async () => {
  using kernel = new FakeKernel(() => undefined);
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
  kernel.unicast(sock.portId, overrun());
  kernel.multicast(RTNLGRP_LINK, message(RTM_NEWLINK, linkPayload(1, "lo")));
  const events = sock.events({ signal: signal() });
  const first = (await events.next()).value;
  assert.ok(first instanceof Overrun);
  assert.ok(isOverrun(first));
  assert.equal(first.cause, "kernel");
  assert.equal(first.kind, "overrun");
  const next = (await events.next()).value;
  assert.ok(!isOverrun(next) && next!.type === RTM_NEWLINK);
  assert.equal(sock.stats.overruns, 1);
});

Deno.test("socket events(): events past maxQueuedEvents are one Overrun by the queue", async () => {
  using kernel = new FakeKernel(() => undefined);
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, {
    sys: kernel,
    groups: [RTNLGRP_LINK],
    maxQueuedEvents: 2,
  });
  for (let i = 1; i <= 5; i++) {
    kernel.multicast(RTNLGRP_LINK, message(RTM_NEWLINK, linkPayload(i, `l${i}`)));
  }
  // A request reads (and queues) the events while nobody reads them.
  await sock.request({ type: 18, payload: linkPayload(1, "lo") });
  const got: (number | string)[] = [];
  for await (const ev of sock.events({ signal: signal() })) {
    got.push(ev instanceof Overrun ? ev.cause : ev.type);
    if (got.length === 3) break;
  }
  assert.deepEqual(got, [RTM_NEWLINK, RTM_NEWLINK, "queue"]);
  assert.equal(sock.stats.eventsDropped, 3);
});

Deno.test("Rtnl.events, a family client's events and proc events yield the same Overrun", async () => {
  using kernel = new FakeKernel(() => undefined);
  // Rtnl: its event socket opens at the first next().
  await using rtnl = Rtnl.open({ sys: kernel });
  const rtnlEvents = rtnl.events(["link"], { signal: signal() });
  const first = rtnlEvents.next();
  kernel.unicast(portIn(kernel, RTNLGRP_LINK), overrun());
  kernel.multicast(RTNLGRP_LINK, message(RTM_NEWLINK, linkPayload(3, "v0")));
  const item = (await first).value;
  assert.ok(item instanceof Overrun && item.kind === "overrun");
  const link = (await rtnlEvents.next()).value;
  assert.ok(link?.kind === "link" && link.link.name === "v0");
  await rtnlEvents.return?.();

  // A family client over a socket of the user's.
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [RTNLGRP_LINK] });
  const client = FamilyClient.attach(rtLink, sock);
  kernel.unicast(sock.portId, overrun());
  kernel.multicast(RTNLGRP_LINK, message(RTM_NEWLINK, linkPayload(4, "v1")));
  const decoded = client.events({ signal: signal() });
  assert.ok((await decoded.next()).value instanceof Overrun);
  const v1 = (await decoded.next()).value;
  assert.ok(
    !(v1 instanceof Overrun) && (v1 as { attrs: { ifname?: string } }).attrs.ifname === "v1",
  );
  await decoded.return(undefined);
  await sock.close();

  // Proc events (the connector's group 1, CN_IDX_PROC).
  await using proc = ProcEvents.open({ sys: kernel });
  kernel.unicast(kernel.sockets.find((s) => s.protocol === NETLINK.CONNECTOR)!.portId, overrun());
  const procItem = (await proc.events({ signal: signal() }).next()).value;
  assert.ok(procItem instanceof Overrun && procItem.cause === "kernel");
});
