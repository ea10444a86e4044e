/**
 * A test as a user of the library writes one: it imports the library and
 * its test kit (`./testing`, src/testing/mod.ts) and nothing else, and
 * runs without root, a namespace or a kernel. The code under test is the
 * user's: a link lister, an MTU lookup that treats ENODEV as "none", an
 * event watcher, and a client of the user's own generic netlink family.
 */
import assert from "node:assert/strict";
import { FamilyClient, type FamilySpec } from "../src/ynl/mod.ts";
import {
  type Message,
  MessageWriter,
  NETLINK,
  NetlinkError,
  NetlinkSocket,
  NLM_F,
  Overrun,
} from "../mod.ts";
import {
  dump,
  error,
  FakeKernel,
  type FakeRequest,
  familyFromSpec,
  genlController,
  message,
  overrun,
  reply,
} from "../src/testing/mod.ts";

// ---- the user's code ----------------------------------------------------

const RTM_NEWLINK = 16, RTM_GETLINK = 18, IFLA_IFNAME = 3, IFLA_MTU = 4;

function linkRequest(index: number, flags = 0): MessageWriter {
  const w = new MessageWriter().begin(RTM_GETLINK, flags);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  return w;
}

function attr(m: Message, type: number): { u32(): number; string(): string } | undefined {
  const ad = m.attributes(16);
  while (ad.next()) if (ad.type === type) return ad;
  return undefined;
}

async function linkNames(sock: NetlinkSocket): Promise<string[]> {
  const names: string[] = [];
  for await (const m of sock.dump(linkRequest(0))) names.push(attr(m, IFLA_IFNAME)!.string());
  return names;
}

async function mtu(sock: NetlinkSocket, index: number): Promise<number | undefined> {
  try {
    const [m] = await sock.request(linkRequest(index));
    return attr(m, IFLA_MTU)?.u32();
  } catch (e) {
    if (e instanceof NetlinkError && e.code === "ENODEV") return undefined;
    throw e;
  }
}

/** Counts link events until `n`; an overrun means "re-dump", counted apart. */
async function watch(sock: NetlinkSocket, n: number): Promise<{ links: number; resyncs: number }> {
  let links = 0, resyncs = 0;
  for await (const ev of sock.events({ signal: AbortSignal.timeout(5000) })) {
    if (ev instanceof Overrun) resyncs++;
    else if (ev.type === RTM_NEWLINK && ++links === n) break;
  }
  return { links, resyncs };
}

/** The user's own generic netlink family: one "double" operation. */
const demo: FamilySpec = {
  name: "demo",
  protocol: "genetlink",
  version: 1,
  structs: {},
  enums: {},
  sets: { main: { name: "main", attrs: [{ type: 1, name: "value", key: "value", kind: "u32" }] } },
  subMessages: {},
  ops: {
    double: {
      name: "double",
      set: "main",
      do: {
        request: { value: 1, attributes: ["value"] },
        reply: { value: 1, attributes: ["value"] },
      },
    },
  },
  mcastGroups: { events: -1 },
};

// ---- the tests ----------------------------------------------------------

function link(index: number, name: string, mtu: number): Uint8Array {
  const w = new MessageWriter().begin(0);
  w.view.setInt32(w.fixed(16) + 4, index, true);
  w.string(IFLA_IFNAME, name).u32(IFLA_MTU, mtu);
  return w.finish().subarray(16).slice();
}

const links = [link(1, "lo", 65536), link(2, "eth0", 1500)];

function rtnl(req: FakeRequest) {
  const m = req.message;
  if (m.flags & NLM_F.DUMP) return dump(req, RTM_NEWLINK, links);
  const index = new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(4, true);
  if (!links[index - 1]) return error(req, 19, { message: "no such device" });
  return reply(req, RTM_NEWLINK, links[index - 1]);
}

Deno.test("user: list links and look MTUs up, ENODEV is none", async () => {
  using kernel = new FakeKernel(rtnl);
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  assert.deepEqual(await linkNames(sock), ["lo", "eth0"]);
  assert.equal(await mtu(sock, 2), 1500);
  assert.equal(await mtu(sock, 9), undefined);
  // what the code sent: a dump, then two requests asking for an ACK
  assert.deepEqual(kernel.requests.map((r) => r.message.flags & NLM_F.ACK), [0, 4, 4]);
});

Deno.test("user: the watcher resyncs after an overrun and goes on", async () => {
  using kernel = new FakeKernel(() => undefined);
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel, groups: [1] });
  kernel.multicast(1, message(RTM_NEWLINK, links[0]));
  kernel.unicast(sock.portId, overrun());
  kernel.multicast(1, message(RTM_NEWLINK, links[1]));
  assert.deepEqual(await watch(sock, 2), { links: 2, resyncs: 1 });
});

Deno.test("user: a client of the user's own genl family", async () => {
  const family = (req: FakeRequest) => {
    const value = req.message.attributes(4);
    let v = 0;
    while (value.next()) if (value.type === 1) v = value.u32();
    const w = new MessageWriter().begin(0);
    const at = w.fixed(4);
    w.buffer[at] = 1; // the reply's command
    w.u32(1, v * 2);
    return reply(req, req.message.type, w.finish().subarray(16).slice());
  };
  using kernel = new FakeKernel(genlController([familyFromSpec(demo)], family));
  await using client = await FamilyClient.open(demo, { sys: kernel });
  const [answer] = await client.do("double", { attrs: { value: 21 } });
  assert.deepEqual(answer.attrs, { value: 42 });
  assert.equal(answer.op, "double");
  assert.ok(client.groups.events > 0);
});
