// The library's errors: one errno-carrying base, messages that read like
// the kernel's tools, errors.ts a leaf (issue 19's errors section, issue 18 item 4).
import assert from "node:assert/strict";
import {
  ErrnoError,
  errnoName,
  errnoText,
  errorOf,
  Message,
  NETLINK,
  NetlinkError,
  NetlinkSocket,
  NLM_F,
  resolveFamily,
  Rtnl,
  SyscallError,
} from "../mod.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

Deno.test("errors.ts imports nothing: no module cycle runs through it", async () => {
  const text = await Deno.readTextFile(new URL("../src/errors.ts", import.meta.url));
  assert.deepEqual(text.match(/^\s*(import|export .* from)\b.*$/gm) ?? [], []);
  assert.doesNotMatch(text, /import\(/);
});

Deno.test("NetlinkError and SyscallError share one errno-carrying base", () => {
  const n = new NetlinkError(-17, {}, { operation: "RTM_NEWROUTE", seq: 9, type: 24 });
  const s = new SyscallError("bind", -1, "group 7");
  for (const e of [n, s]) assert.ok(e instanceof ErrnoError && e instanceof Error);
  assert.deepEqual(
    [n.errno, n.code, n.text, n.operation, n.seq, n.type],
    [17, "EEXIST", "File exists", "RTM_NEWROUTE", 9, 24],
  );
  assert.equal(n.message, "RTM_NEWROUTE: EEXIST (File exists)");
  assert.deepEqual([s.errno, s.code, s.operation, s.syscall], [1, "EPERM", "bind", "bind"]);
  assert.equal(s.message, "bind: EPERM (Operation not permitted: group 7)");
  assert.equal(errnoName(19), "ENODEV");
  assert.equal(errnoText(-19), "No such device");
  assert.equal(errnoName(4095), "E4095");
});

Deno.test("NetlinkError's message: extended-ACK text, attribute, offset", () => {
  const e = new NetlinkError(22, { message: "Invalid prefix length" }, {
    operation: "RTM_NEWADDR",
  });
  assert.equal(e.message, "RTM_NEWADDR: EINVAL (Invalid prefix length)");
  assert.equal(e.extAck.message, "Invalid prefix length");
  const at = new NetlinkError(34, { message: "too big", offset: 36 }, { type: 16 });
  assert.equal(at.message, "message type 16: ERANGE (too big) at byte 36 of the request");
  const named = at.withContext({ operation: "RTM_NEWLINK", attribute: "ifname" });
  assert.equal(named.message, "RTM_NEWLINK: ERANGE (too big) at attribute ifname");
  assert.deepEqual([named.type, named.extAck.offset, named.code], [16, 36, "ERANGE"]);
  assert.equal(new NetlinkError(19).message, "ENODEV (No such device)");
});

Deno.test("errorOf reads the request's type from the echoed header, and its seq", () => {
  const b = new Uint8Array(36);
  const v = new DataView(b.buffer);
  v.setUint32(0, 36, true);
  v.setUint16(4, 2, true); // NLMSG_ERROR
  v.setUint16(6, NLM_F.CAPPED, true);
  v.setUint32(8, 4242, true);
  v.setInt32(16, -17, true);
  v.setUint32(20, 36, true);
  v.setUint16(24, 24, true); // RTM_NEWROUTE
  const e = errorOf(new Message(b, 0, 36), 17, {});
  assert.deepEqual([e.type, e.seq, e.code], [24, 4242, "EEXIST"]);
  assert.equal(e.message, "message type 24: EEXIST (File exists)");
});

Deno.test({
  name: "kernel: a duplicate route through Rtnl reads RTM_NEWROUTE: EEXIST (File exists)",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    await rtnl.addRoute({ dst: "10.7.0.0/16", dev: "lo" });
    const e = await rtnl.addRoute({ dst: "10.7.0.0/16", dev: "lo" }).then(
      () => assert.fail("the second add succeeded"),
      (e) => e,
    );
    assert.ok(e instanceof NetlinkError, String(e));
    assert.equal(e.message, "RTM_NEWROUTE: EEXIST (File exists)");
    assert.deepEqual([e.code, e.errno, e.operation, e.type], ["EEXIST", 17, "RTM_NEWROUTE", 24]);
    assert.ok(typeof e.seq === "number" && e.seq > 0, `seq ${e.seq}`);
    // ip says the same
    const ip = await new Deno.Command("ip", {
      args: ["-n", ns.name, "route", "add", "10.7.0.0/16", "dev", "lo"],
      stderr: "piped",
    }).output();
    assert.match(new TextDecoder().decode(ip.stderr), /File exists/);
  },
});

Deno.test({
  name: "kernel: an extended ACK's text and attribute are in the message",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using rtnl = Rtnl.open({ netns: ns.name });
    // a prefix length of 33 for IPv4: the kernel's extended ACK says why
    const local = new Uint8Array([10, 0, 0, 1]);
    const e = await rtnl.addr.do("newaddr", {
      header: { ifaFamily: 2, ifaPrefixlen: 33, ifaIndex: 1 },
      attrs: { ifaLocal: local, ifaAddress: local },
    }, { flags: NLM_F.CREATE | NLM_F.EXCL }).then(() => assert.fail("accepted"), (e) => e);
    assert.ok(e instanceof NetlinkError, String(e));
    assert.equal(e.code, "EINVAL");
    assert.ok(e.extAck.message, "the kernel said why");
    assert.equal(e.message, `RTM_NEWADDR: EINVAL (${e.extAck.message})`);
    assert.match(e.message, /prefix length/i);
    // an attribute the kernel's policy refuses: the offset is named by the spec
    const f = await rtnl.link.do("newlink", {
      attrs: { ifname: "x".repeat(20), linkinfo: { kind: "veth" } },
    }, { flags: NLM_F.CREATE | NLM_F.EXCL }).then(() => assert.fail("accepted"), (e) => e);
    assert.ok(f instanceof NetlinkError, String(f));
    assert.equal(f.attribute, "ifname");
    assert.match(f.message, /^RTM_NEWLINK: E[A-Z]+ \(.+\) at attribute ifname$/);
  },
});

Deno.test({
  name: "kernel: a family the kernel lacks is named in the error",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using sock = NetlinkSocket.open(NETLINK.GENERIC, { netns: ns.name });
    const e = await resolveFamily(sock, "no-such-family").then(
      () => assert.fail("found"),
      (e) => e,
    );
    assert.ok(e instanceof NetlinkError, String(e));
    assert.equal(e.code, "ENOENT");
    assert.match(e.message, /^CTRL_CMD_GETFAMILY "no-such-family": ENOENT \(/);
  },
});
