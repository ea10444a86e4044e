/** Kernel uevents: the parser, and a socket in a netns that sees its veth. */
import assert from "node:assert/strict";
import { isUdevMessage, Overrun, parseUevent, type Uevent, uevents } from "../src/uevent.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

loadSys();
const enc = new TextEncoder();

Deno.test("uevent parser: ACTION@DEVPATH and pairs; udev's format skipped; junk refused", () => {
  const ev = parseUevent(
    enc.encode(
      "add@/devices/virtual/net/v0\0ACTION=add\0DEVPATH=/devices/virtual/net/v0\0SUBSYSTEM=net\0INTERFACE=v0\0IFINDEX=5\0SEQNUM=1234\0",
    ),
  );
  assert.deepEqual(ev, {
    action: "add",
    devpath: "/devices/virtual/net/v0",
    subsystem: "net",
    seqnum: 1234,
    env: {
      ACTION: "add",
      DEVPATH: "/devices/virtual/net/v0",
      SUBSYSTEM: "net",
      INTERFACE: "v0",
      IFINDEX: "5",
      SEQNUM: "1234",
    },
  });
  const udev = enc.encode("libudev\0\xfe\xed\xca\xfe........ACTION=add\0");
  assert.ok(isUdevMessage(udev));
  assert.equal(parseUevent(udev), undefined);
  for (const junk of ["", "noatsign\0A=B\0", "add@\0", "add@/x\0novalue\0", "@/x\0"]) {
    assert.equal(parseUevent(enc.encode(junk)), undefined, JSON.stringify(junk));
  }
});

Deno.test({
  name: "a uevent socket opened in a netns receives the uevents of a veth created there",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    const stream = uevents({ netns: ns.name, signal: AbortSignal.timeout(10_000) });
    const seen: Uevent[] = [];
    const reading = (async () => {
      for await (const ev of stream) {
        if (ev instanceof Overrun) continue;
        seen.push(ev);
        const adds = seen.filter((e) => e.action === "add" && e.subsystem === "net");
        if (
          adds.some((e) => e.env.INTERFACE === "ua") && adds.some((e) => e.env.INTERFACE === "ub")
        ) {
          return;
        }
      }
    })();
    await ns.ip("link", "add", "ua", "type", "veth", "peer", "name", "ub");
    await reading;
    const ua = seen.find((e) => e.env.INTERFACE === "ua")!;
    assert.equal(ua.devpath, "/devices/virtual/net/ua");
    const ipIndex = (await ns.ipJson<{ ifindex: number }[]>("link", "show", "ua"))[0].ifindex;
    assert.equal(Number(ua.env.IFINDEX), ipIndex);
    await stream.return?.();
  },
});
