// Bad input is a TypeError or RangeError before anything is sent, never a
// silent change (issue 19, defects 4 to 7).
import assert from "node:assert/strict";
import { AttributeDecoder, Message, MessageWriter, NETLINK, NetlinkSocket } from "../mod.ts";
import {
  type Attrs,
  decodeAttrs,
  decodeStruct,
  encodeAttrs,
  FamilyClient,
  type FamilySpec,
} from "../src/ynl/mod.ts";
import { type RouteSpec, Rtnl } from "../src/rtnl/mod.ts";
import { rtLink } from "../src/families/rt_link.ts";
import { rtRoute } from "../src/families/rt_route.ts";
import { type NlrRouteSpec, routeRequest } from "../src/nlrtable/entry.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

Deno.test("a writer made with capacity 0 grows (it used to spin forever)", () => {
  for (const capacity of [0, 1, 3]) {
    const w = new MessageWriter(capacity);
    w.begin(18).fixed(16);
    w.string(3, "x".repeat(300));
    const [m] = Message.parseAll(w.finish());
    assert.equal(m.type, 18);
    assert.equal(m.length, 16 + 16 + 4 + 304);
  }
});

Deno.test("a capacity that is not a non-negative integer is a RangeError", () => {
  for (const capacity of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => new MessageWriter(capacity), RangeError, String(capacity));
  }
});

/** Runs `f` on a fresh writer with a begun message; asserts it throws `type` and wrote nothing. */
function rejects(f: (w: MessageWriter) => unknown, type: ErrorConstructor, pattern: RegExp) {
  const w = new MessageWriter(64).begin(16);
  const before = w.length;
  assert.throws(() => f(w), (e: unknown) => {
    assert.ok(e instanceof type, `${e} is not a ${type.name}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
  assert.equal(w.length, before, "nothing written");
}

Deno.test("writer: out-of-range and fractional numbers are RangeErrors", () => {
  rejects((w) => w.u8(1, 300), RangeError, /attribute 1 \(u8\): 300 is not an integer in 0\.\.255/);
  rejects((w) => w.u8(1, -1), RangeError, /0\.\.255/);
  rejects((w) => w.u16(1, 0x10000), RangeError, /0\.\.65535/);
  rejects((w) => w.u32(1, 2 ** 40 + 5), RangeError, /attribute 1 \(u32\).*0\.\.4294967295/);
  rejects((w) => w.u32(1, -1), RangeError, /u32/);
  rejects((w) => w.u32(1, 1.7), RangeError, /1\.7 is not an integer/);
  rejects((w) => w.u32(1, NaN), RangeError, /NaN/);
  rejects((w) => w.u32be(1, 2 ** 32), RangeError, /u32/);
  rejects((w) => w.u16be(1, -3), RangeError, /u16/);
  rejects((w) => w.s8(1, 128), RangeError, /-128\.\.127/);
  rejects((w) => w.s16(1, -0x8001), RangeError, /-32768\.\.32767/);
  rejects((w) => w.s32(1, 2 ** 31), RangeError, /s32/);
  rejects((w) => w.u64(1, -1n), RangeError, /u64/);
  rejects((w) => w.u64(1, 1n << 64n), RangeError, /u64/);
  rejects((w) => w.s64(1, 1n << 63n), RangeError, /s64/);
  rejects((w) => w.u64be(1, -5n), RangeError, /u64/);
});

Deno.test("writer: attribute and message header fields out of range are RangeErrors", () => {
  rejects((w) => w.u32(0x10001, 1), RangeError, /attribute type: 65537/);
  rejects((w) => w.flag(-1), RangeError, /attribute type/);
  rejects((w) => w.nestStart(0x10000), RangeError, /nest type/);
  rejects((w) => w.nestEnd(1000), RangeError, /nest token/);
  rejects((w) => w.fixed(-4), RangeError, /fixed header size: -4/);
  rejects((w) => w.fixed(2.5), RangeError, /fixed header size/);
  const w = new MessageWriter(64);
  assert.throws(() => w.begin(70000), RangeError, "type");
  assert.throws(() => w.begin(16, 0x10000), RangeError, "flags");
  assert.throws(() => w.begin(16, 0, -1), RangeError, "seq");
  assert.throws(() => w.begin(16, 0, 0, 2 ** 32), RangeError, "portId");
  assert.equal(w.length, 0);
});

Deno.test("writer: values of the wrong type are TypeErrors", () => {
  rejects((w) => w.u32(1, "7" as unknown as number), TypeError, /takes a number.*string "7"/);
  rejects((w) => w.u8(1, {} as unknown as number), TypeError, /takes a number/);
  rejects((w) => w.u64(1, 5 as unknown as bigint), TypeError, /takes a bigint/);
  rejects((w) => w.u64(1, "x" as unknown as bigint), TypeError, /takes a bigint/);
  rejects((w) => w.string(1, {} as unknown as string), TypeError, /takes a string, got Object/);
  rejects((w) => w.string(1, "eth\0x"), TypeError, /holds a NUL/);
  rejects((w) => w.put(1, [1, 2] as unknown as Uint8Array), TypeError, /Uint8Array/);
  rejects((w) => w.raw("ab" as unknown as Uint8Array), TypeError, /Uint8Array/);
});

Deno.test("writer: the limits themselves are accepted", () => {
  const w = new MessageWriter(64).begin(0xffff, 0xffff, 0xffffffff, 0xffffffff);
  w.u8(1, 255).u16(2, 0xffff).u32(3, 0xffffffff).u64(4, (1n << 64n) - 1n);
  w.s8(5, -128).s16(6, -0x8000).s32(7, -0x80000000).s64(8, -(1n << 63n));
  w.u32(0xffff, 0).fixed(0);
  const [m] = Message.parseAll(w.finish());
  assert.equal(m.type, 0xffff);
  assert.equal(m.seq, 0xffffffff);
});

Deno.test("a link kind named like an Object.prototype member keeps its data as bytes", () => {
  for (const kind of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const data = new Uint8Array([8, 0, 1, 0, 42, 0, 0, 0]);
    const w = new MessageWriter(64).begin(16);
    encodeAttrs(rtLink, "linkinfo-attrs", w, { kind, data });
    const [m] = Message.parseAll(w.finish());
    const decoded = decodeAttrs(rtLink, "linkinfo-attrs", m.attributes());
    assert.equal(decoded.kind, kind);
    assert.ok(decoded.data instanceof Uint8Array, `${kind}: data is ${decoded.data}`);
    assert.deepEqual([...(decoded.data as Uint8Array)], [...data]);
  }
});

Deno.test("names from outside are not looked up through Object.prototype", () => {
  assert.throws(() => decodeAttrs(rtLink, "constructor", new AttributeDecoder(new Uint8Array())), {
    name: "TypeError",
    message: /has no attribute set constructor/,
  });
  assert.throws(() => decodeStruct(rtLink, "toString", new Uint8Array(16)), {
    name: "TypeError",
    message: /has no struct toString/,
  });
  const sock = NetlinkSocket.open(NETLINK.ROUTE);
  try {
    const link = FamilyClient.attach(rtLink, sock);
    assert.throws(() => link.encode("constructor"), /has no operation constructor/);
    assert.throws(() => link.join("toString"), /has no multicast group toString/);
  } finally {
    sock.close();
  }
});

function encodeOp(spec: FamilySpec, op: string, request: { header?: Attrs; attrs?: Attrs }) {
  const sock = NetlinkSocket.open(NETLINK.ROUTE);
  try {
    return FamilyClient.attach(spec, sock).encode(op, request).finish().slice();
  } finally {
    sock.close();
  }
}

Deno.test("a fixed-header key that is not a field is a TypeError naming it (and the nearest)", () => {
  // ifiFlag for ifiFlags: the link was set down, silently
  assert.throws(
    () => encodeOp(rtLink, "newlink", { header: { ifiIndex: 1, ifiFlag: 1, ifiChange: 1 } }),
    { name: "TypeError", message: /ifinfomsg has no field ifiFlag \(did you mean "ifiFlags"\?\)/ },
  );
  assert.throws(
    () => encodeOp(rtRoute, "newroute", { header: { rtmTabel: 5 } }),
    { name: "TypeError", message: /rtmsg has no field rtmTabel \(did you mean "rtmTable"\?\)/ },
  );
  // an attribute typo says the nearest too
  assert.throws(
    () => encodeOp(rtRoute, "newroute", { attrs: { priorty: 5 } }),
    { name: "TypeError", message: /has no attribute priorty \(did you mean "priority"\?\)/ },
  );
  // the spec's names and the keys are both fields
  const ok = encodeOp(rtLink, "newlink", { header: { "ifi-index": 1, ifiFlags: 1 } });
  assert.equal(new DataView(ok.buffer).getInt32(16 + 4, true), 1);
  assert.equal(new DataView(ok.buffer).getUint32(16 + 8, true), 1);
});

/** Asserts that encoding `attrs` (or `header`) for newroute throws `type` matching `pattern`. */
function refuses(
  request: { header?: Attrs; attrs?: Attrs },
  type: ErrorConstructor,
  pattern: RegExp,
) {
  assert.throws(() => encodeOp(rtRoute, "newroute", request), (e: unknown) => {
    assert.ok(e instanceof type, `${e} is not a ${type.name}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

Deno.test("codec: out-of-range, fractional and wrongly typed values are refused, named", () => {
  const prio = /route-attrs\.priority: .* 0\.\.4294967295 \(u32\)/;
  refuses({ attrs: { priority: -1 } }, RangeError, prio);
  refuses({ attrs: { priority: 1.7 } }, RangeError, prio);
  refuses({ attrs: { priority: NaN } }, RangeError, prio);
  refuses({ attrs: { table: 2 ** 32 + 7 } }, RangeError, /table/);
  refuses({ attrs: { oif: "eth0" } }, TypeError, /oif: takes an integer.*string "eth0"/);
  refuses({ attrs: { oif: {} } }, TypeError, /oif: takes an integer.*Object/);
  // a binary with a display hint takes its text as ynl does; text that is no address is refused
  refuses({ attrs: { dst: "10.0.0" } }, TypeError, /not an IP address: "10.0.0"/);
  refuses({ attrs: { dst: 7 } }, TypeError, /dst/);
  refuses({ header: { rtmTable: 256 } }, RangeError, /rtmsg\.rtmTable: 256 .* 0\.\.255 \(u8\)/);
  refuses({ header: { rtmDstLen: -1 } }, RangeError, /rtmDstLen/);
  refuses({ header: { rtmFlags: "1" } }, TypeError, /rtmFlags: takes an integer/);
});

Deno.test("codec: strings, 64-bit values, flags and nests are checked", () => {
  const link = (attrs: Attrs) => () => encodeOp(rtLink, "newlink", { attrs });
  assert.throws(link({ ifname: {} }), { name: "TypeError", message: /ifname: takes a string/ });
  assert.throws(link({ ifname: 5 }), { name: "TypeError", message: /ifname: takes a string/ });
  assert.throws(link({ ifname: "a\0b" }), { name: "TypeError", message: /holds a NUL/ });
  assert.throws(link({ linkinfo: "veth" }), {
    name: "TypeError",
    message: /linkinfo: takes an obj/,
  });
  assert.throws(link({ linkinfo: { kind: 7 } }), {
    name: "TypeError",
    message: /kind: takes a str/,
  });
  assert.throws(link({ mtu: 2 ** 32 }), { name: "RangeError", message: /link-attrs\.mtu/ });
  assert.throws(link({ carrier: 256 }), { name: "RangeError", message: /carrier: 256.*\(u8\)/ });
  // u64: a bigint or a safe integer; anything else is a TypeError or RangeError, not SyntaxError
  const w = new MessageWriter();
  const stats = (v: unknown) => () =>
    encodeAttrs(rtLink, "linkinfo-bridge-attrs", w.reset().begin(16), { helloTimer: v });
  assert.throws(stats("abc"), { name: "TypeError", message: /helloTimer: takes a bigint/ });
  assert.throws(stats(-1n), { name: "RangeError", message: /helloTimer: -1 is not in 0\.\./ });
  assert.throws(stats(1n << 64n), RangeError);
  assert.throws(stats(1.5), RangeError);
  stats(7)();
  stats(7n)();
  // a flag takes a boolean: "false" was sent as set
  const flag = (v: unknown) => () =>
    encodeAttrs(rtLink, "linkinfo-brport-attrs", w.reset().begin(16), { flush: v });
  assert.throws(flag("false"), { name: "TypeError", message: /flush: a flag takes true or false/ });
  assert.throws(flag(1), TypeError);
  flag(true)();
  assert.equal(w.finish().length, 16 + 4);
  flag(false)();
  assert.equal(w.finish().length, 16);
});

Deno.test({
  name: "Rtnl: route inputs that the kernel would get changed are refused, nothing sent",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    const lo = 1;
    const bad: [RouteSpec, ErrorConstructor, RegExp][] = [
      [
        { dst: "10.9.0.0/16", dev: lo, metric: -1 },
        RangeError,
        /route metric: -1 .*0\.\.4294967295/,
      ],
      [{ dst: "10.9.0.0/16", dev: lo, metric: 1.7 }, RangeError, /route metric: 1\.7/],
      [{ dst: "10.9.0.0/16", dev: lo, metric: NaN }, RangeError, /route metric: NaN/],
      [{ dst: "10.9.0.0/16", dev: lo, table: 2 ** 32 + 7 }, RangeError, /route table: 4294967303/],
      [{ dst: "10.9.0.0/16", dev: lo, table: -1 }, RangeError, /route table/],
      [{ dst: "10.9.0.0/16", dev: {} as unknown as string }, TypeError, /route dev: a link name/],
      [{ dst: "10.9.0.0/16", dev: 0 }, RangeError, /route dev: 0 .*1\.\./],
      [{ dst: "10.9.0.0/16", dev: 1.5 }, RangeError, /route dev/],
      [{ dst: 5 as unknown as string, dev: lo }, TypeError, /a prefix is text, got number 5/],
      [
        { dst: "10.9.0.0/16", dev: lo, metirc: 5 } as RouteSpec,
        TypeError,
        /a route has no field metirc \(did you mean "metric"\?\)/,
      ],
    ];
    for (const [spec, type, pattern] of bad) {
      await assert.rejects(rtnl.addRoute(spec), (e: unknown) => {
        assert.ok(e instanceof type, `${JSON.stringify(spec)}: ${e} is not a ${type.name}`);
        assert.match((e as Error).message, pattern);
        return true;
      });
    }
    await assert.rejects(rtnl.getLink({} as unknown as string), TypeError);
    await assert.rejects(rtnl.setLinkUp(-3), RangeError);
    // nothing reached the kernel: the namespace has no route in 10.9/16, in any table
    const routes = await ns.ipJson<{ dst: string }[]>("route", "show", "table", "all");
    assert.deepEqual(routes.filter((r) => r.dst.startsWith("10.9.")), []);
    // and the checks let good values through
    await rtnl.addRoute({ dst: "10.9.0.0/16", dev: "lo", metric: 0xffffffff, table: 2 ** 32 - 1 });
    const [r] = await ns.ipJson<{ dst: string; metric: number; table: string }[]>(
      "route",
      "show",
      "table",
      String(2 ** 32 - 1),
    );
    assert.equal(r.dst, "10.9.0.0/16");
    assert.equal(r.metric, 0xffffffff);
  },
});

Deno.test("Rtnl.events: a misspelt group is a TypeError with the nearest and the valid names", () => {
  const rtnl = Rtnl.open();
  try {
    assert.throws(() => rtnl.events(["rout" as "route"]), {
      name: "TypeError",
      message: /unknown event kind "rout" \(did you mean "route"\?\); valid: link, address/,
    });
    assert.throws(() => rtnl.events(["constructor" as "link"]), TypeError);
  } finally {
    rtnl.close();
  }
});

Deno.test("NlrTable entries out of the module's limits are refused before sending", () => {
  const entry = (spec: Record<string, unknown>) => () =>
    routeRequest(spec as unknown as NlrRouteSpec);
  assert.throws(entry({ dst: "10.0.0.0/24", lifetimeMs: -1 }), {
    name: "RangeError",
    message: /lifetimeMs: -1 is not an integer number of ms in 0\.\.604800000/,
  });
  assert.throws(entry({ dst: "10.0.0.0/24", lifetimeMs: 1.5 }), RangeError);
  assert.throws(entry({ dst: "10.0.0.0/24", lifetimeMs: 604800001 }), RangeError);
  assert.throws(entry({ dst: "10.0.0.0/24", lifetimeMs: "5" }), TypeError);
  assert.throws(entry({ dst: "10.0.0.0/24", oif: {} }), { name: "TypeError", message: /oif:/ });
  assert.throws(entry({ dst: "10.0.0.0/24", oif: "x".repeat(16) }), TypeError);
  assert.throws(entry({ dst: "10.0.0.0/24", gateway: 7 }), TypeError);
  assert.throws(entry({ dst: "10.0.0.0/24", lifetime: 5 }), {
    name: "TypeError",
    message: /no field lifetime \(did you mean "lifetimeMs"\?\)/,
  });
  entry({ dst: "10.0.0.0/24", oif: "x".repeat(15), lifetimeMs: 604800000 })();
});

Deno.test("a request's own keys are checked: header and attrs, nothing else", () => {
  assert.throws(() => encodeOp(rtLink, "newlink", { attr: { ifname: "x" } } as never), {
    name: "TypeError",
    message:
      /rt-link newlink: a request is \{ header\?, attrs\? \}, not attr \(did you mean "attrs"\?\)/,
  });
  assert.throws(() => encodeOp(rtLink, "newlink", { headers: {} } as never), /"header"/);
});
