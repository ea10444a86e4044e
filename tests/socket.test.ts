/**
 * The socket against the host kernel, for what only a kernel proves (its
 * answers, compared with `ip`; its errors; overruns it provokes; netns;
 * descriptors; races it flags): every test runs in a namespace it
 * creates and deletes.
 */
import assert from "node:assert/strict";
import {
  type AttributeDecoder,
  DumpInterruptedError,
  type Message,
  MessageWriter,
  NETLINK,
  NetlinkError,
  NetlinkSocket,
  NLM_F,
  Overrun,
  SyscallError,
  TruncatedError,
} from "../mod.ts";
import { ignoreUnlessRoot, makeNetns, openFds, run } from "./helpers/netns.ts";
import { loadSys } from "../src/sys.ts";
import {
  getLink,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  linkName,
  newVeth,
  noOverrun,
} from "./helpers/link_messages.ts";

// libc stays loaded for the life of the process: load it before the
// resource sanitizer starts counting.
if (!ignoreUnlessRoot) loadSys();

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWROUTE = 24;
const RTNLGRP_LINK = 1;
const RTNLGRP_IPV4_ROUTE = 7;
const RTNLGRP_BRVLAN = 33;

const opts = { ignore: ignoreUnlessRoot, sanitizeResources: true, sanitizeOps: true };

function delLink(name: string): MessageWriter {
  const w = new MessageWriter().begin(RTM_DELLINK);
  w.fixed(16);
  w.string(IFLA_IFNAME, name);
  return w;
}

/** A fresh netns with `pairs` veth pairs, `${prefix}a${i}` and `${prefix}b${i}`. */
async function netnsWithVeths(prefix: string, pairs: number) {
  const ns = await makeNetns();
  for (let i = 0; i < pairs; i++) {
    await ns.ip("link", "add", `${prefix}a${i}`, "type", "veth", "peer", "name", `${prefix}b${i}`);
  }
  return ns;
}

/** A socket that reads one datagram of at most 4 KiB per call: a dump spans many reads. */
function smallReads(netns: string): NetlinkSocket {
  return NetlinkSocket.open(NETLINK.ROUTE, { netns, slotSize: 4096, batch: 1 });
}

Deno.test("dump links matches `ip -j link` in the same netns", opts, async () => {
  await using ns = await makeNetns();
  await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
  const got = [];
  for await (const m of sock.dump(getLink(0, NLM_F.DUMP))) {
    assert.equal(m.type, RTM_NEWLINK);
    assert.ok(m.flags & NLM_F.MULTI);
    got.push(linkName(m));
  }
  const want = (await ns.ipJson<{ ifindex: number; ifname: string }[]>("link"))
    .map((l) => ({ index: l.ifindex, name: l.ifname }));
  assert.deepEqual(got, want);
  assert.deepEqual(got.map((l) => l.name).sort(), ["lo", "va", "vb"]);
});

Deno.test("request one link by index; messages are owned copies", opts, async () => {
  await using ns = await makeNetns();
  await ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
  const [va] = await ns.ipJson<{ ifindex: number }[]>("link", "show", "va");
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
  const replies = await sock.request(getLink(va.ifindex), { timeoutMs: 5000 });
  assert.equal(replies.length, 1);
  assert.deepEqual(linkName(replies[0]), { index: va.ifindex, name: "va" });
  assert.equal(replies[0].portId, sock.portId);
  assert.equal(replies[0].sender, 0);
  // A later receive must not overwrite what an earlier one returned.
  const lo = await sock.request(getLink(1));
  assert.equal(linkName(lo[0]).name, "lo");
  assert.equal(linkName(replies[0]).name, "va");
});

Deno.test("error replies carry the errno name and the extended-ACK text", opts, async () => {
  await using ns = await makeNetns();
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
  await assert.rejects(sock.request(getLink(424242)), (e: NetlinkError) => {
    assert.ok(e instanceof NetlinkError);
    assert.equal(e.code, "ENODEV");
    assert.equal(e.errno, 19);
    return true;
  });
  // Strict checking rejects a GET with junk in the header, and says why.
  const bad = getLink(1);
  bad.view.setUint32(16 + 12, 1, true); // ifi_change
  await assert.rejects(sock.request(bad), (e: NetlinkError) => {
    assert.equal(e.code, "EINVAL");
    assert.match(e.extAck.message ?? "", /Invalid values in header/);
    return true;
  });
  // An unknown link kind: the offset points into the request.
  const kind = new MessageWriter().begin(RTM_NEWLINK, NLM_F.CREATE | NLM_F.EXCL);
  kind.fixed(16);
  kind.string(IFLA_IFNAME, "x0");
  const li = kind.nestStart(IFLA_LINKINFO);
  kind.string(IFLA_INFO_KIND, "no-such-kind");
  kind.nestEnd(li);
  await assert.rejects(sock.request(kind), (e: NetlinkError) => {
    assert.equal(e.code, "EOPNOTSUPP");
    assert.equal(e.extAck.message, "Unknown device type");
    return true;
  });
  // Dumps report errors too.
  const dump = getLink(0, NLM_F.DUMP);
  dump.view.setUint32(16 + 8, 5, true); // ifi_flags
  await assert.rejects(async () => {
    for await (const _ of sock.dump(dump)) { /* nothing */ }
  }, /link dump request/);
});

Deno.test(
  "veth create/delete by request while a second socket gets RTNLGRP_LINK events",
  opts,
  async () => {
    await using ns = await makeNetns();
    await using events = NetlinkSocket.open(NETLINK.ROUTE, {
      netns: ns.name,
      groups: [RTNLGRP_LINK],
    });
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
    assert.deepEqual(await sock.request(newVeth("ta", "tb")), []);
    const links = await ns.ipJson<{ ifname: string }[]>("link");
    assert.deepEqual(links.map((l) => l.ifname).sort(), ["lo", "ta", "tb"]);
    await assert.rejects(sock.request(newVeth("ta", "tc")), { code: "EEXIST" });
    await sock.request(delLink("ta"));
    assert.deepEqual((await ns.ipJson<{ ifname: string }[]>("link")).map((l) => l.ifname), ["lo"]);

    const seen: string[] = [];
    const ac = new AbortController();
    for await (const item of events.events({ signal: ac.signal })) {
      const ev = noOverrun(item);
      assert.equal(ev.group, RTNLGRP_LINK);
      assert.equal(ev.sender, 0);
      const { name } = linkName(ev);
      seen.push(
        `${ev.type === RTM_NEWLINK ? "new" : ev.type === RTM_DELLINK ? "del" : ev.type} ${name}`,
      );
      if (seen.includes("del ta") && seen.includes("del tb")) break;
    }
    assert.ok(seen.includes("new ta") && seen.includes("new tb"), seen.join(", "));
    assert.ok(seen.indexOf("new ta") < seen.indexOf("del ta"));
  },
);

Deno.test("an overrun is an item in the event stream, and the stream goes on", opts, async () => {
  await using ns = await makeNetns();
  await ns.ip("link", "add", "ra", "type", "veth", "peer", "name", "rb");
  await ns.ip("link", "set", "ra", "up");
  await ns.ip("link", "set", "rb", "up");
  await ns.ip("addr", "add", "10.9.0.1/16", "dev", "ra");
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, {
    netns: ns.name,
    groups: [RTNLGRP_IPV4_ROUTE],
    receiveBufferSize: 4096,
  });
  const batch = Array.from(
    { length: 3000 },
    (_, i) => `route add 10.${10 + (i >> 8)}.${i & 255}.0/24 dev ra`,
  ).join("\n");
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, batch + "\n");
  await run("ip", "-n", ns.name, "-batch", file);
  await Deno.remove(file);
  let overruns = 0;
  let routes = 0;
  const it = sock.events();
  for (;;) {
    const { value } = await it.next();
    if (value instanceof Overrun) overruns++;
    else if (value!.type === RTM_NEWROUTE) routes++;
    // Everything queued is read; now one more event proves the stream lives on.
    if (overruns && routes > 0 && routes < 3000) break;
  }
  assert.ok(overruns >= 1);
  assert.equal(sock.stats.overruns, overruns);
  assert.ok(routes < 3000, `all ${routes} routes fit: no overrun provoked`);
  await ns.ip("route", "add", "10.200.0.0/24", "dev", "ra");
  for (;;) {
    const { value } = await it.next();
    if (value!.type !== RTM_NEWROUTE) continue;
    const ad = value!.attributes(12);
    let dst = "";
    while (ad.next()) if (ad.type === 1) dst = [...ad.value()].join(".");
    if (dst === "10.200.0.0") break;
  }
  await it.return!();
});

Deno.test("receive buffer: SO_RCVBUFFORCE grants what was asked", opts, () => {
  const sock = NetlinkSocket.open(NETLINK.ROUTE, { receiveBufferSize: 8 << 20 });
  try {
    assert.ok(sock.receiveBufferSize >= 8 << 20, `${sock.receiveBufferSize}`);
  } finally {
    sock.close();
  }
});

Deno.test("1000 open/close cycles leave no descriptor behind", opts, async () => {
  await using ns = await makeNetns();
  const before = openFds();
  for (let i = 0; i < 1000; i++) {
    const sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name, groups: [RTNLGRP_LINK] });
    if (i % 100 === 0) {
      const waiting = sock.events().next();
      await sock.close();
      await waiting;
    } else {
      await sock.close();
    }
  }
  assert.equal(openFds(), before);
});

Deno.test(
  "messages from other processes: unicast refused, multicast dropped and counted, or accepted",
  opts,
  async () => {
    await using ns = await makeNetns();
    await using a = NetlinkSocket.open(NETLINK.USERSOCK, { netns: ns.name });
    await using strict = NetlinkSocket.open(NETLINK.USERSOCK, { netns: ns.name, groups: [1] });
    await using open = NetlinkSocket.open(NETLINK.USERSOCK, {
      netns: ns.name,
      acceptForeign: true,
    });
    const hello = new MessageWriter().begin(0x20, 0, 5).string(1, "hi").finish();
    // Connected to the kernel, a socket's unicast is refused at the sender.
    assert.throws(() => a.send(hello, { portId: strict.portId }), (e: unknown) => {
      assert.ok(e instanceof SyscallError);
      assert.equal(e.code, "ECONNREFUSED");
      assert.equal(e.syscall, "sendto");
      return true;
    });
    // USERSOCK has no kernel receiver: what goes to the kernel (send(2),
    // without an address) is refused too.
    assert.throws(() => a.send(hello), { code: "ECONNREFUSED", syscall: "send" });
    await assert.rejects(a.request(hello), { code: "ECONNREFUSED", syscall: "send" });
    const dumpAll = new MessageWriter().begin(0x20, NLM_F.DUMP).finish();
    await assert.rejects(a.request(dumpAll), { code: "ECONNREFUSED", syscall: "send" });
    // Multicast cannot be refused: it is dropped and counted. (USERSOCK has
    // no kernel receiver, so after the broadcast the send reports ECONNREFUSED.)
    assert.throws(() => a.send(hello, { groups: 1 }), { code: "ECONNREFUSED" });
    a.send(hello, { portId: open.portId });
    const got = await open.events().next();
    assert.equal(got.value!.sender, a.portId);
    assert.equal(got.value!.type, 0x20);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(strict.events({ signal: ac.signal }).next(), { name: "AbortError" });
    assert.equal(strict.stats.foreignDropped, 1);
  },
);

Deno.test("groups above 32 are joined with NETLINK_ADD_MEMBERSHIP", opts, () => {
  const sock = NetlinkSocket.open(NETLINK.ROUTE, { groups: [RTNLGRP_BRVLAN] });
  try {
    sock.leave(RTNLGRP_BRVLAN);
    sock.join(RTNLGRP_BRVLAN);
  } finally {
    sock.close();
  }
});

Deno.test("a missing netns is a SyscallError naming ENOENT", opts, () => {
  assert.throws(
    () => NetlinkSocket.open(NETLINK.ROUTE, { netns: "nlts-does-not-exist" }),
    (e: SyscallError) => e instanceof SyscallError && e.code === "ENOENT",
  );
});

Deno.test("the socket lives in its netns; the process stays in its own", opts, async () => {
  await using ns = await makeNetns();
  await ns.ip("link", "add", "only-here", "type", "veth", "peer", "name", "also-here");
  await using inNs = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
  await using host = NetlinkSocket.open(NETLINK.ROUTE);
  const names = async (s: NetlinkSocket) =>
    (await Array.fromAsync(s.dump(getLink(0, NLM_F.DUMP)), linkName)).map((l) => l.name);
  assert.ok((await names(inNs)).includes("only-here"));
  assert.ok(!(await names(host)).includes("only-here"));
});

Deno.test("a script whose sockets are closed exits by itself", opts, async () => {
  await using ns = await makeNetns();
  const script = `
    import { NETLINK, NetlinkSocket } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    const sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ${
    JSON.stringify(ns.name)
  }, groups: [1] });
    const ac = new AbortController();
    const it = sock.events({ signal: ac.signal }).next().catch(() => "aborted");
    setTimeout(() => ac.abort(), 30);
    console.log(await it);
    const again = sock.events().next();
    setTimeout(() => sock.close(), 30);
    console.log(JSON.stringify(await again));
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const out = await child.output();
  clearTimeout(killer);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), 'aborted\n{"done":true}\n');
});

Deno.test("AttributeDecoder reads real kernel replies (IFLA_LINKINFO nest)", opts, async () => {
  await using ns = await makeNetns();
  await ns.ip("link", "add", "ka", "type", "veth", "peer", "name", "kb");
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
  const [va] = await ns.ipJson<{ ifindex: number }[]>("link", "show", "ka");
  const [m] = await sock.request(getLink(va.ifindex));
  let kind = "";
  const ad: AttributeDecoder = m.attributes(16);
  while (ad.next()) {
    if (ad.type !== IFLA_LINKINFO) continue;
    const info = ad.nested();
    while (info.next()) if (info.type === IFLA_INFO_KIND) kind = info.string();
  }
  assert.equal(kind, "veth");
});

Deno.test(
  "a dump racing changes is reported as DumpInterruptedError; retries recover",
  opts,
  async () => {
    await using ns = await makeNetns();
    const file = await Deno.makeTempFile();
    await Deno.writeTextFile(
      file,
      Array.from({ length: 200 }, (_, i) => `link add d${i} type veth peer name e${i}`).join("\n") +
        "\n",
    );
    await run("ip", "-n", ns.name, "-batch", file);
    // Another process adds and deletes links while we dump.
    const churn = new Deno.Command("sh", {
      args: [
        "-c",
        `while :; do ip -n ${ns.name} link add c0 type veth peer name c1; ip -n ${ns.name} link del c0; done`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name, slotSize: 4096 });
      let interrupted: DumpInterruptedError | undefined;
      for (let i = 0; i < 500 && !interrupted; i++) {
        try {
          for await (const _ of sock.dump(getLink(0, NLM_F.DUMP))) {
            await new Promise((r) => setTimeout(r, 0)); // let the churn run between chunks
          }
        } catch (e) {
          if (!(e instanceof DumpInterruptedError)) throw e;
          interrupted = e;
        }
      }
      assert.ok(interrupted, "no dump was interrupted in 500 tries");
      assert.equal(interrupted.attempts, 1);
      // Buffered with retries: either a consistent result or the last attempt's messages.
      try {
        const links = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { retries: 50 }));
        assert.ok(links.length >= 401, `${links.length}`);
      } catch (e) {
        assert.ok(e instanceof DumpInterruptedError);
        assert.equal(e.attempts, 51);
        assert.ok(e.messages.length >= 401);
      }
    } finally {
      churn.kill();
      await churn.status;
      await Deno.remove(file);
    }
  },
);

Deno.test("a dump left early is read to its end before the next dump starts", opts, async () => {
  await using ns = await netnsWithVeths("l", 10);
  // The kernel is mid-dump when the loop stops.
  await using sock = smallReads(ns.name);
  for (let round = 0; round < 3; round++) {
    for await (const _ of sock.dump(getLink(0, NLM_F.DUMP))) break;
    // The kernel would answer EBUSY while the first dump is unfinished.
    const links = await Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP)), linkName);
    assert.equal(links.length, 21);
    for await (const _ of sock.dump(getLink(0, NLM_F.DUMP))) break;
    assert.equal((await sock.request(getLink(0, NLM_F.DUMP), { map: linkName })).length, 21);
  }
  assert.deepEqual(await sock.request(getLink(1), { map: linkName }), [{ index: 1, name: "lo" }]);
});

Deno.test(
  "request() of a dump that races a change rejects with DumpInterruptedError",
  opts,
  async () => {
    await using ns = await netnsWithVeths("r", 10);
    // The kernel builds the part after next while the mapper runs, so a
    // change made there interrupts the dump.
    await using sock = smallReads(ns.name);
    await using other = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
    let changed = false;
    const change = (m: Message) => {
      if (!changed) {
        const bytes = newVeth("rx", "ry").finish();
        bytes[6] |= NLM_F.REQUEST; // send() sends bytes as they are
        other.send(bytes); // the kernel applies it inside sendto
        changed = true;
      }
      return linkName(m);
    };
    const err = await sock.request(getLink(0, NLM_F.DUMP), { map: change }).catch((e) => e);
    assert.ok(err instanceof DumpInterruptedError, String(err));
    assert.equal(err.attempts, 1);
    assert.ok(err.messages.length >= 21, `${err.messages.length}`);
    // The streaming dump with a mapper reports it the same way.
    changed = false;
    await ns.ip("link", "del", "rx");
    await assert.rejects(
      Array.fromAsync(sock.dump(getLink(0, NLM_F.DUMP), { map: change })),
      DumpInterruptedError,
    );
  },
);

Deno.test(
  "a cut datagram that held a dump's DONE (IPv6 addresses) ends it; the next dump runs",
  opts,
  async () => {
    await using ns = await makeNetns();
    // The kernel sends an IPv6 address dump's last address and NLMSG_DONE in
    // one datagram: cut, the DONE is lost, and the kernel sends nothing more.
    await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name, slotSize: 64 });
    const getAddr6 = () => {
      const w = new MessageWriter().begin(22, /* RTM_GETADDR */ NLM_F.DUMP);
      w.buffer[w.fixed(8)] = 10; // struct ifaddrmsg, AF_INET6
      return w;
    };
    await assert.rejects(Array.fromAsync(sock.dump(getAddr6())), TruncatedError);
    const addrs = await Array.fromAsync(sock.dump(getAddr6(), { timeoutMs: 2000 }));
    const ip = await ns.ipJson<{ addr_info: unknown[] }[]>("-6", "addr", "show");
    const expected = ip.reduce((n, l) => n + l.addr_info.length, 0);
    assert.ok(expected >= 1, "lo has ::1");
    assert.equal(addrs.length, expected);
    assert.equal(sock.stats.truncated, 1);
  },
);
