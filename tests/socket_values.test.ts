/**
 * Messages as values (issue 18): `request`, `dump` and `send` take a plain
 * `{ type, flags?, payload? }` as well as a writer or bytes, and anything
 * else is a TypeError saying what they take. On the fake kernel.
 */
import assert from "node:assert/strict";
import { type Message, NETLINK, NetlinkSocket, NLM_F } from "../mod.ts";
import { messageBytes } from "../src/message_init.ts";
import { FakeKernel } from "../src/testing/mod.ts";
import { FakeLinks, RTM_GETLINK, RTM_NEWLINK } from "./helpers/fake_rtnl.ts";

const IFLA_IFNAME = 3;
const opts = { sanitizeResources: true, sanitizeOps: true };

function ifinfomsg(index: number): Uint8Array {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setInt32(4, index, true);
  return b;
}

function linkName(m: Message): string {
  const ad = m.attributes(16);
  while (ad.next()) if (ad.type === IFLA_IFNAME) return ad.string();
  return "";
}

function fake(): { links: FakeLinks; kernel: FakeKernel } {
  const links = new FakeLinks();
  links.add("v0");
  links.add("v1");
  return { links, kernel: new FakeKernel(links.handler) };
}

Deno.test("request, dump and send take { type, flags?, payload? }", opts, async () => {
  const { kernel } = fake();
  using _ = kernel;
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
  const payload = ifinfomsg(2);
  const [v0] = await sock.request({ type: RTM_GETLINK, payload });
  assert.equal(v0.type, RTM_NEWLINK);
  assert.equal(linkName(v0), "v0");
  const sent = kernel.requests.at(-1)!.message;
  assert.equal(sent.length, 32);
  assert.equal(sent.flags, NLM_F.REQUEST | NLM_F.ACK);
  assert.deepEqual(sent.payload, payload);
  // The caller's payload is copied, not written to.
  assert.deepEqual(payload, ifinfomsg(2));
  const names = await Array.fromAsync(
    sock.dump({ type: RTM_GETLINK, payload: ifinfomsg(0) }),
    linkName,
  );
  assert.deepEqual(names, ["lo", "v0", "v1"]);
  assert.deepEqual(
    await sock.request({ type: RTM_GETLINK, flags: NLM_F.DUMP, payload: ifinfomsg(0) }, {
      map: linkName,
    }),
    ["lo", "v0", "v1"],
  );
  // Flags given are kept.
  const [lo] = await sock.request({ type: RTM_GETLINK, flags: NLM_F.ECHO, payload: ifinfomsg(1) });
  assert.equal(linkName(lo), "lo");
  assert.equal(kernel.requests.at(-1)!.message.flags, NLM_F.REQUEST | NLM_F.ACK | NLM_F.ECHO);
  // send() sets nothing: the request goes as given, its answer to the event stream.
  const before = kernel.requests.length;
  sock.send({ type: RTM_GETLINK, flags: NLM_F.REQUEST | NLM_F.ACK, payload: ifinfomsg(1) });
  assert.equal(kernel.requests.length, before + 1);
  const m = kernel.requests.at(-1)!.message;
  assert.deepEqual([m.type, m.flags, m.seq, m.length], [RTM_GETLINK, 5, 0, 32]);
});

Deno.test(
  "anything else is a TypeError (or RangeError) that says what is expected",
  opts,
  async () => {
    const { kernel } = fake();
    using _ = kernel;
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { sys: kernel });
    const expected = /takes a MessageWriter, a Uint8Array or \{ type, flags\?, payload\? \}/;
    const bad: [unknown, RegExp, ErrorConstructor][] = [
      [{}, /needs a type/, TypeError],
      [
        { type: RTM_GETLINK, flag: 1 },
        /unknown message key "flag" \(did you mean "flags"\?\)/,
        TypeError,
      ],
      [{ type: 70000 }, /message type: 70000 is not an integer in 0\.\.65535/, RangeError],
      [{ type: 1.5 }, /message type/, RangeError],
      [{ type: "18" }, /message type: takes a number/, TypeError],
      [{ type: RTM_GETLINK, flags: -1 }, /message flags/, RangeError],
      [
        { type: RTM_GETLINK, payload: [1, 2] },
        /payload takes a Uint8Array, got an array/,
        TypeError,
      ],
      [new Map(), expected, TypeError],
      [null, expected, TypeError],
      ["18", expected, TypeError],
      [[RTM_GETLINK], expected, TypeError],
      [new Uint16Array(8), expected, TypeError],
    ];
    for (const [input, message, type] of bad) {
      const what = String(JSON.stringify(input));
      // deno-lint-ignore no-explicit-any
      const value = input as any;
      await assert.rejects(sock.request(value), (e: Error) => {
        assert.ok(e instanceof type, `request(${what}): ${e}`);
        assert.match(e.message, message);
        return true;
      });
      assert.throws(() => sock.dump(value), type, `dump(${what})`);
      assert.throws(() => sock.send(value), type, `send(${what})`);
    }
    assert.throws(() => sock.dump(null as never), /^TypeError: dump\(\) takes/);
    assert.throws(() => sock.send({} as never), /^TypeError: send\(\): the message needs a type/);
    // Nothing reached the kernel.
    assert.equal(kernel.requests.length, 0);
  },
);

Deno.test("a message without a payload is its header alone", () => {
  const b = messageBytes({ type: 1, flags: 0x8001 }, "send()");
  assert.deepEqual([...b], [16, 0, 0, 0, 1, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]);
});
