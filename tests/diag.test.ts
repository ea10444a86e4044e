/**
 * Socket diagnostics against the host kernel, in a fresh netns: the sockets
 * a child opens there are listed by the library exactly as iproute2's `ss`
 * shows them (state, addresses, ports, queues, uid, inode, memory, tcp_info),
 * port and state filters run in the kernel, and SOCK_DESTROY closes one.
 */
import assert from "node:assert/strict";
import { type InetSocket, SockDiag } from "../src/diag/inet.ts";
import { portBytecode } from "../src/diag/bytecode.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run } from "./helpers/netns.ts";

const FIXTURE = new URL("./fixtures/sockets.py", import.meta.url).pathname;
const NOBODY = 65534;

async function holder(ns: Netns): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns.name, "/usr/bin/python3", FIXTURE, ns.name],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!new TextDecoder().decode(value).includes("ready")) {
    throw new Error(
      "the socket fixture did not start (needs /usr/bin/python3: apt-get install -y python3)",
    );
  }
  return child;
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  await child.stdin.close();
  await child.status;
  await child.stdout.cancel();
}

const SS_STATES: Record<string, string> = {
  ESTAB: "established",
  LISTEN: "listen",
  UNCONN: "close",
  "SYN-SENT": "syn-sent",
  "SYN-RECV": "syn-recv",
  "TIME-WAIT": "time-wait",
  "CLOSE-WAIT": "close-wait",
};

interface SsRow {
  state: string;
  rq: number;
  sq: number;
  local: string;
  peer: string;
  ext: Record<string, string>;
}

/** `ss -H -n -e [-m -i]` lines: the row, then its indented detail line, as key:value. */
function parseSs(text: string): SsRow[] {
  const rows: SsRow[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const f = line.trim().split(/\s+/);
    if (/^\s/.test(line) && rows.length) {
      for (const t of f) {
        const m = /^([a-z_]+)[:]?(.*)$/.exec(t);
        if (m) rows.at(-1)!.ext[m[1]] = m[2];
      }
      continue;
    }
    const ext: Record<string, string> = {};
    for (const t of f.slice(5)) {
      const m = /^([a-z_]+):(.*)$/.exec(t);
      if (m) ext[m[1]] = m[2];
    }
    rows.push({ state: f[0], rq: +f[1], sq: +f[2], local: f[3], peer: f[4], ext });
  }
  return rows;
}

function endpoint(addr: string, port: number, family: 4 | 6, wild: boolean): string {
  const a = wild && (addr === "0.0.0.0" || addr === "::")
    ? (family === 6 ? "[::]" : "0.0.0.0")
    : family === 6
    ? `[${addr}]`
    : addr;
  return `${a}:${port === 0 && wild ? "*" : port}`;
}

function compareInet(lib: InetSocket[], ss: SsRow[], tcp: boolean): void {
  assert.equal(lib.length, ss.length, "as many sockets as ss lists");
  for (const row of ss) {
    const s = lib.find((s) =>
      endpoint(s.src, s.sport, s.family, false) === row.local &&
      endpoint(s.dst, s.dport, s.family, true) === row.peer
    );
    assert.ok(s, `ss lists ${row.local} ${row.peer}; the library does not`);
    assert.equal(s.state, SS_STATES[row.state], `${row.local} state`);
    assert.equal(s.rqueue, row.rq, `${row.local} recv-q`);
    assert.equal(s.wqueue, row.sq, `${row.local} send-q`);
    assert.equal(s.inode, Number(row.ext.ino), `${row.local} inode`);
    assert.equal(s.uid, Number(row.ext.uid ?? 0), `${row.local} uid`);
    const skmem = /r(\d+),rb(\d+),t(\d+),tb(\d+)/.exec(row.ext.skmem ?? "");
    assert.ok(skmem, "ss -m shows skmem");
    const mem = s.attrs.skmeminfo!;
    assert.deepEqual(
      [mem.rmemAlloc, mem.rcvbuf, mem.wmemAlloc, mem.sndbuf],
      skmem.slice(1).map(Number),
      `${row.local} skmem`,
    );
    if (tcp && s.state === "established") {
      const info = s.attrs.info!;
      assert.equal(info.sndMss, Number(row.ext.mss), `${row.local} mss`);
      assert.equal(info.sndCwnd, Number(row.ext.cwnd), `${row.local} cwnd`);
      assert.equal(info.bytesReceived ?? 0n, BigInt(row.ext.bytes_received ?? 0), "bytes_received");
      assert.equal(info.rto! / 1000, Number(row.ext.rto), `${row.local} rto`);
      const ws = info.wscale!; // snd in the low nibble, rcv in the high (tcp.h bit-fields)
      assert.equal(`${ws & 0xf},${ws >> 4}`, row.ext.wscale, `${row.local} wscale`);
      assert.equal(s.attrs.cong, "bbr" in row.ext ? "bbr" : s.attrs.cong);
    }
  }
}

const ss = (ns: Netns, ...args: string[]) => run("ip", "netns", "exec", ns.name, "ss", ...args);

Deno.test({
  name: "diag: TCP and UDP sockets (v4 and v6) match ss -tan/-uan -e -m -i field by field",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    const child = await holder(ns);
    try {
      await using diag = await SockDiag.open({ netns: ns.name });
      compareInet(
        await diag.inet({ protocol: "tcp" }),
        parseSs(await ss(ns, "-H", "-tan", "-e", "-m", "-i")),
        true,
      );
      compareInet(
        await diag.inet({ protocol: "udp" }),
        parseSs(await ss(ns, "-H", "-uan", "-e", "-m")),
        false,
      );
      const uid = (await diag.inet()).map((s) => s.uid);
      assert.ok(uid.includes(NOBODY), "the fixture's sockets are nobody's");
    } finally {
      await stop(child);
    }
  },
});

Deno.test({
  name: "diag: state and port filters run in the kernel and agree with ss filters",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    const child = await holder(ns);
    try {
      await using diag = await SockDiag.open({ netns: ns.name });
      const key = (s: InetSocket) => `${s.src}:${s.sport}>${s.dst}:${s.dport}`;
      const listen = await diag.inet({ states: ["listen"] });
      assert.deepEqual(listen.map((s) => s.sport).sort(), [4001, 4002]);
      assert.equal(listen.length, parseSs(await ss(ns, "-H", "-tln")).length);
      const sport = await diag.inet({ sport: 4001 });
      assert.equal(sport.length, parseSs(await ss(ns, "-H", "-tan", "sport", "=", ":4001")).length);
      assert.ok(sport.length > 0 && sport.every((s) => s.sport === 4001), sport.map(key).join());
      const both = await diag.inet({ dport: 4002, states: ["established"], family: 6 });
      assert.deepEqual(both.map((s) => [s.dport, s.state, s.family]), [[4002, "established", 6]]);
      assert.deepEqual(await diag.inet({ sport: 4001, family: 6 }), []);
      assert.deepEqual(portBytecode({}), undefined);
      assert.throws(() => portBytecode({ sport: 70000 }), RangeError);
      await assert.rejects(diag.inet({ states: ["listening" as "listen"] }), TypeError);
    } finally {
      await stop(child);
    }
  },
});

Deno.test({
  name: "diag: unix sockets match ss -xa -e (name, state, queues, inode, peer, pending)",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    const child = await holder(ns);
    try {
      await using diag = await SockDiag.open({ netns: ns.name });
      const lib = await diag.unix();
      const rows = (await ss(ns, "-H", "-xan", "-e")).split("\n").filter((l) => l.trim());
      assert.equal(lib.length, rows.length, "as many unix sockets as ss lists");
      for (const line of rows) {
        const f = line.trim().split(/\s+/);
        const [, state, rq, sq, local, ino, , peer] = f;
        const s = lib.find((s) => s.inode === Number(ino));
        assert.ok(s, `ss lists unix inode ${ino}`);
        assert.equal(s.state, SS_STATES[state], `${ino} state`);
        assert.equal(s.rqueue, Number(rq), `${ino} recv-q`);
        assert.equal(s.wqueue, Number(sq), `${ino} send-q`);
        assert.equal(s.name ?? "*", local, `${ino} name`);
        assert.equal(s.peer, Number(peer), `${ino} peer`);
        const peers = /peers: ([\d,]+)/.exec(line)?.[1];
        assert.deepEqual(s.pending, peers ? peers.split(",").map(Number) : [], `${ino} pending`);
        assert.equal(s.uid, NOBODY, `${ino} uid`);
      }
      assert.ok(lib.some((s) => s.name === `@nlts-diag-${ns.name}` && s.state === "listen"));
    } finally {
      await stop(child);
    }
  },
});

Deno.test({
  name: "diag: SOCK_DESTROY aborts a TCP connection; a gone socket is a typed error",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    const child = await holder(ns);
    try {
      await using diag = await SockDiag.open({ netns: ns.name });
      const [client] = await diag.inet({ dport: 4001, states: ["established"] });
      assert.ok(client);
      await diag.destroy(client);
      const after = parseSs(await ss(ns, "-H", "-tan", "dport", "=", ":4001"));
      assert.deepEqual(after.filter((r) => r.state === "ESTAB"), [], "ss no longer shows it");
      await assert.rejects(diag.destroy(client), (e: Error) => e.name === "DestroyError");
      const [udp] = await diag.inet({ protocol: "udp" });
      await assert.rejects(diag.destroy(udp), TypeError);
    } finally {
      await stop(child);
    }
  },
});

async function cli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      new URL("../src/cli/ss.ts", import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const t = new TextDecoder();
  return { code: out.code, stdout: t.decode(out.stdout), stderr: t.decode(out.stderr) };
}

Deno.test("ss.ts: --help, and usage errors exit 2 with one line", async () => {
  const help = await cli("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: ss.ts/);
  for (const bad of [["--bogus"], ["state", "nope"], ["--sport", "99999"], ["-4", "-6"], ["x"]]) {
    const r = await cli(...bad);
    assert.equal(r.code, 2, bad.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test({
  name: "ss.ts: --json lists what ss -tln shows; a missing netns exits 1 with one line",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using ns = await makeNetns();
    const child = await holder(ns);
    try {
      const r = await cli("-t", "-l", "--json", "--netns", ns.name);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as { sport: number; inode: number; state: string }[];
      const ref = parseSs(await ss(ns, "-H", "-tln", "-e"));
      assert.deepEqual(
        rows.map((s) => [s.sport, s.inode, s.state]).sort(),
        ref.map((s) => [Number(s.local.split(":").at(-1)), Number(s.ext.ino), "listen"]).sort(),
      );
      const gone = await cli("--netns", `${ns.name}-none`);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr.trim().split("\n").length, 1, gone.stderr);
    } finally {
      await stop(child);
    }
  },
});
