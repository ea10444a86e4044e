/**
 * Conntrack against the host kernel and Debian's `conntrack` tool: two
 * namespaces joined by a veth, UDP and TCP traffic from python3 (bounded),
 * an nftables chain with a `ct` rule so the namespace tracks connections.
 * What the library lists `conntrack -L -o extended,id` lists, field by
 * field; filters agree with conntrack's; delete-by-filter removes exactly
 * the matching entries; create/update show in conntrack -L; events arrive.
 */
import assert from "node:assert/strict";
import { NetlinkError } from "../mod.ts";
import { Conntrack, type ConntrackEntry, type ConntrackEvent } from "../src/conntrack/mod.ts";
import { checkFilter, filterPlacement, kernelFilter, matches } from "../src/conntrack/filter.ts";
import { toEntry } from "../src/conntrack/entry.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run, waitOperUp } from "./helpers/netns.ts";
import { requireTools } from "./helpers/tools.ts";

const A = "10.77.0.1", B = "10.77.0.2";

async function sh(ns: Netns, ...args: string[]): Promise<string> {
  return await run("ip", "netns", "exec", ns.name, ...args);
}

/** Two namespaces joined by a veth; `a` tracks connections (an nft ct rule) with counters on. */
async function pair(): Promise<{ a: Netns; b: Netns } & AsyncDisposable> {
  await requireTools("conntrack", "nft", "python3");
  const a = await makeNetns(), b = await makeNetns();
  await a.ip("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.name);
  await a.ip("addr", "add", `${A}/24`, "dev", "va");
  await b.ip("addr", "add", `${B}/24`, "dev", "vb");
  await a.ip("link", "set", "va", "up");
  await b.ip("link", "set", "vb", "up");
  await waitOperUp(a, "va");
  await waitOperUp(b, "vb");
  await sh(a, "nft", "add table inet t");
  await sh(a, "nft", "add chain inet t out { type filter hook output priority 0 ; }");
  await sh(a, "nft", "add rule inet t out ct state new counter");
  await sh(a, "sh", "-c", "echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct");
  await sh(a, "sh", "-c", "echo 1 > /proc/sys/net/netfilter/nf_conntrack_timestamp");
  return {
    a,
    b,
    async [Symbol.asyncDispose]() {
      await a[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
    },
  };
}

const SERVER = `
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("${B}", 5000)); u.settimeout(10)
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("${B}", 5001)); t.listen(); t.settimeout(10)
print("ready", flush=True)
d, peer = u.recvfrom(100); u.sendto(d, peer)
c, _ = t.accept(); c.settimeout(10); c.sendall(c.recv(100)); c.close()
`;

const CLIENT = `
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("${A}", 40000)); u.settimeout(5)
u.sendto(b"hello", ("${B}", 5000)); u.recvfrom(100)
u.sendto(b"nobody", ("${B}", 5002))
t = socket.create_connection(("${B}", 5001), timeout=5, source_address=("${A}", 40001))
t.sendall(b"x"); t.recv(100); t.close()
import struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
echo = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"ping"
echo = echo[:2] + struct.pack("!H", csum(echo)) + echo[4:]
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); r.settimeout(5)
r.sendto(echo, ("${B}", 0)); r.recvfrom(100)
`;

/** One UDP exchange (a reply), one UDP datagram nobody answers, one TCP connection, one ICMP echo: a to b. */
async function traffic(a: Netns, b: Netns): Promise<void> {
  const server = new Deno.Command("ip", {
    args: ["netns", "exec", b.name, "timeout", "20", "python3", "-c", SERVER],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = server.stdout.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /ready/);
  reader.releaseLock();
  await sh(a, "timeout", "20", "python3", "-c", CLIENT);
  const out = await server.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** One entry in the shape both sides can give. */
interface Row {
  family: string;
  protocol: number;
  state?: string;
  orig: Record<string, string>;
  reply: Record<string, string>;
  unreplied: boolean;
  assured: boolean;
  mark: string;
  zone: string;
  use: string;
  id: string;
}

/** `conntrack -L -o extended,id` (with conntrack's own filter arguments) in `ns`, parsed. */
async function conntrackList(ns: Netns, ...filter: string[]): Promise<Row[]> {
  const get = filter[0] === "-G";
  const out = await sh(
    ns,
    "conntrack",
    get ? "-G" : "-L",
    "-o",
    "extended,id",
    ...filter.slice(get ? 1 : 0),
  );
  const rows: Row[] = [];
  for (const whole of out.split("\n")) {
    // -o ktimestamp adds delta-time=N (seconds since the start: not compared)
    const line = whole.replace(/\[start=[^\]]+\]/, "").replace(/delta-time=\d+/, "");
    const tok = line.trim().split(/\s+/);
    if (tok.length < 6 || !/^ipv[46]$/.test(tok[0])) continue;
    const row: Row = {
      family: tok[0],
      protocol: Number(tok[3]),
      orig: {},
      reply: {},
      unreplied: false,
      assured: false,
      mark: "0",
      zone: "0",
      use: "",
      id: "",
    };
    let dir: Record<string, string> | undefined;
    for (const t of tok.slice(5)) {
      if (t === "[UNREPLIED]") row.unreplied = true;
      else if (t === "[ASSURED]") row.assured = true;
      else if (/^[A-Z_0-9]+$/.test(t)) row.state = t;
      else if (t.includes("=")) {
        const [k, v] = t.split("=");
        if (k === "src") dir = dir === undefined ? row.orig : row.reply;
        if (k === "id" && row.use !== "") row.id = v; // -o id: the entry's id, after use=
        else if (
          ["src", "dst", "sport", "dport", "type", "code", "id", "packets", "bytes"].includes(k)
        ) {
          dir![k] = v;
        }
        if (k === "mark") row.mark = v;
        if (k === "zone") row.zone = v;
        if (k === "use") row.use = v;
      }
    }
    rows.push(row);
  }
  return rows.sort((x, y) => Number(x.id) - Number(y.id));
}

/** The library's entry in conntrack's shape. */
function libraryRow(e: ConntrackEntry): Row {
  const dir = (t: ConntrackEntry["orig"], c: ConntrackEntry["countersOrig"]) => {
    const d: Record<string, string> = { src: t.src, dst: t.dst };
    if (t.sport !== undefined) [d.sport, d.dport] = [String(t.sport), String(t.dport)];
    if (t.icmpType !== undefined) {
      [d.type, d.code, d.id] = [String(t.icmpType), String(t.icmpCode), String(t.icmpId)];
    }
    if (c) [d.packets, d.bytes] = [String(c.packets), String(c.bytes)];
    return d;
  };
  const row: Row = {
    family: `ipv${e.family}`,
    protocol: e.orig.protocol,
    orig: dir(e.orig, e.countersOrig),
    reply: dir(e.reply, e.countersReply),
    unreplied: !e.statusNames.includes("seen-reply"),
    assured: e.statusNames.includes("assured"),
    mark: String(e.mark ?? 0),
    zone: String(e.zone ?? 0),
    use: String(e.use ?? ""),
    id: String(e.id),
  };
  if (e.tcpState) row.state = e.tcpState.toUpperCase().replaceAll("-", "_");
  return row;
}

const rows = (es: ConntrackEntry[]) =>
  es.map(libraryRow).sort((x, y) => Number(x.id) - Number(y.id));
const ids = (rs: { id: string }[]) => rs.map((r) => r.id).sort();

Deno.test({
  name: "the entries UDP and TCP traffic makes: conntrack -L -o extended,id agrees field by field",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await traffic(p.a, p.b);
    await using ct = await Conntrack.open({ netns: p.a.name });
    const mine = await ct.list();
    const tool = await conntrackList(p.a);
    assert.deepEqual(rows(mine), tool);
    // the three flows are there, as they happened
    const udp = mine.find((e) => e.orig.dport === 5000)!;
    assert.deepEqual(udp.orig, { src: A, dst: B, protocol: 17, sport: 40000, dport: 5000 });
    assert.ok(udp.statusNames.includes("seen-reply"));
    assert.ok(udp.countersOrig!.packets >= 1n && udp.countersReply!.packets >= 1n);
    assert.ok(!mine.find((e) => e.orig.dport === 5002)!.statusNames.includes("seen-reply"));
    const icmp = mine.find((e) => e.orig.protocol === 1)!;
    assert.deepEqual(icmp.orig, {
      src: A,
      dst: B,
      protocol: 1,
      icmpId: 0x1234,
      icmpType: 8,
      icmpCode: 0,
    });
    assert.deepEqual([icmp.reply.icmpType, icmp.reply.icmpId], [0, 0x1234]);
    const tcp = mine.find((e) => e.orig.dport === 5001)!;
    assert.equal(tcp.orig.sport, 40001);
    assert.ok(tcp.tcpState !== undefined && tcp.statusNames.includes("assured"), tcp.tcpState);
    // with nf_conntrack_timestamp on, CTA_TIMESTAMP is a nest (the supplement's fix of the spec)
    assert.ok(
      mine.every((e) => (e.timestamp?.start ?? 0n) > 0n && e.timestamp?.stop === undefined),
    );
    // get finds one by its tuple, as the dump has it
    const got = await ct.get({ src: A, dst: B, protocol: "udp", sport: 40000, dport: 5000 });
    assert.equal(got?.id, udp.id);
    assert.equal(
      await ct.get({ src: A, dst: B, protocol: "udp", sport: 40000, dport: 5999 }),
      undefined,
    );
  },
});

/** Entries of several zones, marks and states: conntrack -I's and the library's. */
async function populate(a: Netns, ct: Conntrack): Promise<void> {
  const ins = (...args: string[]) => sh(a, "conntrack", "-I", "-t", "300", ...args);
  await ins(
    "-s",
    "10.9.0.1",
    "-d",
    "10.9.0.2",
    "-p",
    "udp",
    "--sport",
    "1000",
    "--dport",
    "53",
    "-m",
    "0x11",
  );
  await ins(
    "-s",
    "10.9.0.1",
    "-d",
    "10.9.0.3",
    "-p",
    "udp",
    "--sport",
    "1001",
    "--dport",
    "53",
    "-w",
    "3",
  );
  await ins(
    "-s",
    "10.9.0.4",
    "-d",
    "10.9.0.2",
    "-p",
    "udp",
    "--sport",
    "1002",
    "--dport",
    "123",
    "-m",
    "0x21",
  );
  await ct.create({
    orig: { src: "10.9.0.5", dst: "10.9.0.2", protocol: "tcp", sport: 2000, dport: 80 },
    timeout: 300,
    tcpState: "established",
    status: ["seen-reply", "assured"],
    mark: 0x12,
  });
  await ct.create({
    orig: { src: "10.9.0.5", dst: "10.9.0.6", protocol: "tcp", sport: 2001, dport: 443 },
    timeout: 300,
    tcpState: "syn-sent",
    zone: 3,
  });
  await ct.create({
    orig: { src: "fd00::1", dst: "fd00::2", protocol: "udp", sport: 3000, dport: 53 },
    timeout: 300,
  });
}

Deno.test({
  name:
    "filters (zone, mark/mask, status, tuple, family) select what conntrack -L's filters select",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await using ct = await Conntrack.open({ netns: p.a.name });
    await populate(p.a, ct);
    await traffic(p.a, p.b);
    const all = await ct.list();
    assert.deepEqual(rows(all), await conntrackList(p.a));
    const cases: [string, Parameters<Conntrack["list"]>[0], string[]][] = [
      ["zone", { zone: 3 }, ["-w", "3"]],
      ["mark/mask", { mark: 0x10, markMask: 0xf0 }, ["-m", "0x10/0xf0"]],
      ["mark", { mark: 0x21 }, ["-m", "0x21"]],
      ["status", { status: ["assured"] }, ["-u", "ASSURED"]],
      ["protocol and port", { orig: { protocol: "udp", dport: 53 } }, [
        "-p",
        "udp",
        "--dport",
        "53",
      ]],
      ["orig source", { orig: { src: "10.9.0.5" } }, ["-s", "10.9.0.5"]],
      ["reply source", { reply: { src: "10.9.0.2" } }, ["-r", "10.9.0.2"]],
      ["family", { family: 6 }, ["-f", "ipv6"]],
      ["tuple and zone", { zone: 3, orig: { protocol: "tcp" } }, ["-w", "3", "-p", "tcp"]],
    ];
    for (const [what, filter, args] of cases) {
      const mine = await ct.list(filter);
      const tool = await conntrackList(p.a, ...args);
      assert.ok(
        tool.length > 0 && tool.length < all.length,
        `${what}: ${tool.length} of ${all.length}`,
      );
      assert.deepEqual(rows(mine), tool, what);
    }
  },
});

Deno.test({
  name:
    "the kernel's part of a filter is filtered in the kernel (CTA_FILTER, mark, status, family)",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await using ct = await Conntrack.open({ netns: p.a.name });
    await populate(p.a, ct);
    const all = await ct.list();
    for (
      const filter of [
        { orig: { dst: "10.9.0.2", protocol: "udp" as const, dport: 53 } },
        { reply: { src: "10.9.0.2" } },
        { mark: 0x10, markMask: 0xf0 },
        { status: ["assured" as const] },
        { family: 6 as const },
      ]
    ) {
      const f = checkFilter(filter);
      const k = kernelFilter(f);
      // the raw dump with only what the kernel is sent: no client-side check
      const raw = [];
      for await (
        const d of ct.family.dump("get", { header: { nfgenFamily: k.family }, attrs: k.attrs })
      ) raw.push(toEntry(d));
      const want = all.filter((e) => matches(f, e));
      assert.ok(want.length > 0 && want.length < all.length, JSON.stringify(filter));
      assert.deepEqual(ids(rows(raw)), ids(rows(want)), JSON.stringify(filter));
    }
    // the zone is checked on this side: nothing of it goes to the kernel
    assert.deepEqual(kernelFilter(checkFilter({ zone: 3 })), { family: 0, attrs: {} });
    // and the library says where each field goes
    assert.deepEqual(filterPlacement({ zone: 3, mark: 1, orig: { dst: "10.9.0.2", dport: 53 } }), {
      kernel: ["family", "mark", "orig.dst"],
      client: ["zone", "orig.dport"],
    });
    assert.deepEqual(filterPlacement({ orig: { protocol: "udp", dport: 53 } }), {
      kernel: [],
      client: ["orig.protocol", "orig.dport"],
    });
    assert.deepEqual(filterPlacement({ family: 4, reply: { protocol: "udp", dport: 53 } }), {
      kernel: ["family", "reply.protocol", "reply.dport"],
      client: [],
    });
  },
});

Deno.test({
  name: "delete by filter removes exactly the matching entries, as conntrack -L shows",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await using ct = await Conntrack.open({ netns: p.a.name });
    await populate(p.a, ct);
    await traffic(p.a, p.b);
    for (
      const filter of [
        { orig: { protocol: "udp" as const, dport: 53 }, family: 4 as const },
        { zone: 3 },
        { mark: 0x12 },
        { orig: { dst: B, protocol: "tcp" as const } },
      ]
    ) {
      const before = await conntrackList(p.a);
      const doomed = (await ct.list(filter)).map((e) => String(e.id));
      assert.ok(doomed.length > 0, JSON.stringify(filter));
      assert.equal(await ct.delete(filter), doomed.length);
      const after = await conntrackList(p.a);
      assert.deepEqual(ids(after), ids(before.filter((r) => !doomed.includes(r.id))));
    }
    await assert.rejects(ct.delete({}), TypeError);
  },
});

Deno.test({
  name: "create and update show in conntrack -L; conntrack -I's entry the library gets",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await using ct = await Conntrack.open({ netns: p.a.name });
    const orig = { src: "10.9.1.1", dst: "10.9.1.2", protocol: "udp" as const, sport: 7, dport: 9 };
    await ct.create({ orig, timeout: 200, mark: 5, zone: 4 });
    let tool = await conntrackList(p.a);
    assert.equal(tool.length, 1);
    assert.deepEqual(
      [tool[0].orig, tool[0].reply, tool[0].mark, tool[0].zone],
      [
        { src: "10.9.1.1", dst: "10.9.1.2", sport: "7", dport: "9", packets: "0", bytes: "0" },
        { src: "10.9.1.2", dst: "10.9.1.1", sport: "9", dport: "7", packets: "0", bytes: "0" },
        "5",
        "4",
      ],
    );
    // a get holds a reference while it answers (use is one more; conntrack -G takes no zone)
    const got = rows([(await ct.get(orig, { zone: 4 }))!]);
    assert.equal(Number(got[0].use), Number(tool[0].use) + 1);
    assert.deepEqual(got.map((r) => ({ ...r, use: "" })), tool.map((r) => ({ ...r, use: "" })));
    await assert.rejects(
      ct.create({ orig, timeout: 200, zone: 4 }),
      (e) => e instanceof NetlinkError && e.code === "EEXIST",
    );
    await ct.update({ orig, zone: 4, mark: 0x30, markMask: 0xf0 });
    tool = await conntrackList(p.a);
    assert.equal(tool[0].mark, String(0x35));
    await ct.update({ orig, zone: 4, timeout: 1000 });
    const timeout = (await sh(p.a, "conntrack", "-L", "-o", "extended")).trim().split(/\s+/)[4];
    assert.ok(Number(timeout) > 200, timeout);
    await assert.rejects(
      ct.update({ orig: { ...orig, dport: 10 }, mark: 1 }),
      (e) => e instanceof NetlinkError && e.code === "ENOENT",
    );
    // with NAT set up at creation, the kernel translates the reply tuple
    const natted = {
      src: "10.9.2.1",
      dst: "10.9.2.2",
      protocol: "udp" as const,
      sport: 7,
      dport: 9,
    };
    await ct.create({ orig: natted, timeout: 100, snat: { address: "10.9.2.99", port: 6000 } });
    const n = (await ct.get(natted))!;
    assert.deepEqual(n.reply, {
      src: "10.9.2.2",
      dst: "10.9.2.99",
      protocol: 17,
      sport: 9,
      dport: 6000,
    });
    assert.ok(n.statusNames.includes("src-nat"), n.statusNames.join());
    const nt = await conntrackList(p.a, "-s", "10.9.2.1");
    assert.deepEqual(nt[0].reply, {
      src: "10.9.2.2",
      dst: "10.9.2.99",
      sport: "9",
      dport: "6000",
      packets: "0",
      bytes: "0",
    });
    await assert.rejects(
      ct.create({ orig: { ...natted, sport: 8 }, timeout: 100, snat: { address: "fd00::1" } }),
      TypeError,
    );
    await sh(
      p.a,
      "conntrack",
      "-I",
      "-s",
      "10.9.1.3",
      "-d",
      "10.9.1.4",
      "-p",
      "tcp",
      "--sport",
      "5",
      "--dport",
      "6",
      "-t",
      "50",
      "--state",
      "ESTABLISHED",
      "-u",
      "SEEN_REPLY,ASSURED",
    );
    const e = await ct.get({
      src: "10.9.1.3",
      dst: "10.9.1.4",
      protocol: "tcp",
      sport: 5,
      dport: 6,
    });
    assert.equal(e?.tcpState, "established");
    // use differs by the reference a get holds while it answers: the rest is conntrack -G's
    const noUse = (rs: Row[]) => rs.map((r) => ({ ...r, use: "" }));
    const g = ["-s", "10.9.1.3", "-d", "10.9.1.4", "-p", "tcp", "--sport", "5", "--dport", "6"];
    assert.deepEqual(noUse(rows([e!])), noUse(await conntrackList(p.a, "-G", ...g)));
  },
});

Deno.test({
  name:
    "flush by mark and flush all in the kernel; count and per-CPU stats agree with conntrack -C and -S",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await using ct = await Conntrack.open({ netns: p.a.name });
    await populate(p.a, ct);
    await traffic(p.a, p.b);
    const count = await ct.count();
    assert.equal(String(count.entries), (await sh(p.a, "conntrack", "-C")).trim());
    assert.equal(
      count.maxEntries,
      Number(await Deno.readTextFile("/proc/sys/net/netfilter/nf_conntrack_max")),
    );
    const stats = await ct.stats();
    const tool = (await sh(p.a, "conntrack", "-S")).trim().split("\n").map((l) =>
      Object.fromEntries(l.trim().split(/\s+/).map((kv) => kv.split("=")))
    );
    assert.equal(stats.length, tool.length);
    const names: Record<string, string> = {
      insertFailed: "insert_failed",
      earlyDrop: "early_drop",
      searchRestart: "search_restart",
      clashResolve: "clash_resolve",
      chainToolong: "chaintoolong",
    };
    for (const [i, s] of stats.entries()) {
      for (const [k, v] of Object.entries(s)) {
        if (
          k === "searched" || k === "new" || k === "ignore" || k === "delete" || k === "deleteList"
        ) continue;
        assert.equal(String(v), tool[i][names[k] ?? k], `cpu ${i} ${k}`);
      }
    }
    await ct.flush({ mark: 0x10, markMask: 0xf0 });
    const left = await conntrackList(p.a);
    assert.ok(left.length > 0 && left.every((r) => (Number(r.mark) & 0xf0) !== 0x10));
    assert.equal(left.length, count.entries - 2);
    await ct.flush();
    assert.equal((await sh(p.a, "conntrack", "-C")).trim(), "0");
    await assert.rejects(ct.flush({ zone: 3 } as never), TypeError);
  },
});

Deno.test({
  name: "events: new for a flow's first packet, update for a mark, destroy for a deletion",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await using ct = await Conntrack.open({ netns: p.a.name });
    const signal = AbortSignal.timeout(15_000);
    const events = ct.events(["new", "update", "destroy"], {
      signal,
      filter: { orig: { protocol: "udp", dport: 5000 } },
    });
    const first = events.next(); // subscribed from here
    await traffic(p.a, p.b);
    const seen: ConntrackEvent[] = [(await first).value];
    const want = { src: A, dst: B, protocol: 17, sport: 40000, dport: 5000 };
    const created = seen[0];
    assert.ok(created.kind === "new", created.kind);
    assert.deepEqual(created.entry.orig, want);
    const entry = (await ct.get(want))!;
    await ct.update({ orig: want, mark: 77 });
    await ct.delete({ orig: want });
    for await (const ev of events) {
      seen.push(ev);
      if (ev.kind === "destroy") break;
    }
    const kinds = seen.map((e) => e.kind);
    assert.ok(!kinds.includes("overrun"));
    const update = seen.find((e) => e.kind === "update" && e.entry.mark === 77);
    assert.ok(update, kinds.join());
    const destroy = seen.at(-1)!;
    assert.ok(destroy.kind === "destroy" && destroy.entry.id === entry.id);
    // the filter held: the TCP flow and the other datagram never came
    assert.ok(seen.every((e) => e.kind === "overrun" || e.entry.orig.dport === 5000));
  },
});

Deno.test({
  name: "bad filters and tuples are typed errors before anything is sent",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ct = await Conntrack.open();
    const tries: [() => unknown, ErrorConstructor][] = [
      [() => ct.list({ zoen: 3 } as never), TypeError],
      [() => ct.list({ orig: { dport: 70000 } }), RangeError],
      [() => ct.list({ family: 4, orig: { src: "fd00::1" } }), TypeError],
      [() => ct.list({ orig: { protocol: "tcpp" as never } }), TypeError],
      [() => ct.list({ status: ["asured" as never] }), TypeError],
      [() => ct.list({ markMask: 1 }), TypeError],
      [() => ct.get({ src: "10.0.0.1", dst: "10.0.0.2", protocol: "udp" }), TypeError],
      [
        () =>
          ct.create({
            orig: { src: "10.0.0.1", dst: "::1", protocol: "udp", sport: 1, dport: 2 },
            timeout: 1,
          }),
        TypeError,
      ],
      [() => Array.from([ct.events(["nwe" as never])]), TypeError],
    ];
    for (const [f, E] of tries) {
      await assert.rejects(async () => await f(), E);
    }
  },
});

Deno.test({
  name: "events: a stream that falls behind reports an overrun and goes on",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    // the socket keeps 16 events for a consumer that does not read, then drops and says so
    await using ct = await Conntrack.open({ netns: ns.name, maxQueuedEvents: 16 });
    const signal = AbortSignal.timeout(15_000);
    const events = ct.events(["new"], { signal, receiveBufferSize: 4096 });
    const first = events.next(); // subscribed; nothing read while the entries are made
    for (let i = 0; i < 400; i++) {
      await ct.create({
        orig: { src: "10.8.0.1", dst: "10.8.0.2", protocol: "udp", sport: 1000 + i, dport: 53 },
        timeout: 60,
      });
    }
    const kinds: string[] = [(await first).value.kind];
    while (!kinds.includes("overrun") && kinds.length < 400) {
      kinds.push((await events.next()).value.kind);
    }
    assert.ok(kinds.includes("overrun"), `${kinds.length} events, no overrun`);
    assert.ok(kinds.length < 400, "some events were lost");
    // and the stream goes on after it: once what the kernel queued is read (the socket
    // stays congested, dropping, until then), a new entry's event arrives
    let seen: ConntrackEvent | undefined;
    const reader = (async () => {
      while (seen === undefined) {
        const ev = (await events.next()).value;
        if (ev.kind === "new" && ev.entry.orig.dst === "10.8.0.3") seen = ev;
      }
    })();
    for (let i = 0; seen === undefined && i < 100; i++) {
      await ct.create({
        orig: { src: "10.8.0.1", dst: "10.8.0.3", protocol: "udp", sport: 1 + i, dport: 53 },
        timeout: 60,
      });
      await new Promise((r) => setTimeout(r, 50));
    }
    await reader;
    assert.ok(seen, "an event after the overrun");
    await events.return?.();
  },
});

Deno.test({
  name: "under source NAT the reply tuple is the translated one, as conntrack -L shows",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using p = await pair();
    await sh(p.a, "nft", "add table ip nat");
    await sh(p.a, "nft", "add chain ip nat post { type nat hook postrouting priority 100 ; }");
    await sh(p.a, "nft", `add rule ip nat post udp dport 5000 snat to ${A}:41000`);
    await traffic(p.a, p.b);
    await using ct = await Conntrack.open({ netns: p.a.name });
    const [e] = await ct.list({ orig: { protocol: "udp", dport: 5000 } });
    assert.deepEqual(e.orig, { src: A, dst: B, protocol: 17, sport: 40000, dport: 5000 });
    assert.deepEqual(e.reply, { src: B, dst: A, protocol: 17, sport: 5000, dport: 41000 });
    assert.ok(e.statusNames.includes("src-nat") && e.statusNames.includes("src-nat-done"));
    assert.deepEqual(rows(await ct.list()), await conntrackList(p.a));
    // a filter on the reply's translated port, kernel-side with the family known
    const byReply = await ct.list({ family: 4, reply: { protocol: "udp", dport: 41000 } });
    assert.deepEqual(
      rows(byReply),
      await conntrackList(p.a, "-p", "udp", "--reply-port-dst", "41000"),
    );
    assert.equal(byReply.length, 1);
  },
});

Deno.test({
  name: "events: the signal ends a waiting stream with its reason, and the socket goes",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    await using ct = await Conntrack.open({ netns: ns.name });
    const stop = new AbortController();
    const events = ct.events(["new", "destroy"], { signal: stop.signal });
    const waiting = events.next();
    const reason = new Error("enough");
    stop.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    assert.deepEqual(await events.next(), { value: undefined, done: true });
    // the resource sanitizer checks that the event socket was closed
  },
});
