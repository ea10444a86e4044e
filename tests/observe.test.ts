/**
 * Process events (proc connector) and taskstats against the host kernel: a
 * child this test spawns shows up as fork, exec and exit events with its
 * pid, and taskstats for a running child agree with /proc/PID/stat and
 * /proc/PID/status.
 */
import assert from "node:assert/strict";
import { decodeProcEvent, Overrun, type ProcEvent, ProcEvents } from "../src/connector/proc.ts";
import { Taskstats } from "../src/taskstats/client.ts";
import { ignoreUnlessRoot } from "./helpers/netns.ts";

Deno.test({
  name: "proc events: a spawned child is seen to fork, exec and exit with its pid",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using events = ProcEvents.open();
    const ac = new AbortController();
    const seen: ProcEvent[] = [];
    const reading = (async () => {
      try {
        for await (const ev of events.events({ signal: ac.signal })) {
          if (!(ev instanceof Overrun)) seen.push(ev);
        }
      } catch (e) {
        if (!ac.signal.aborted) throw e;
      }
    })();
    const child = new Deno.Command("/bin/sh", { args: ["-c", "exit 3"] }).spawn();
    const status = await child.status;
    assert.equal(status.code, 3);
    const pid = child.pid;
    const has = (type: string) =>
      seen.some((e) =>
        e.type === type && (e.type === "fork" ? e.pid : "pid" in e && e.pid) === pid
      );
    const deadline = AbortSignal.timeout(10_000);
    while (!(has("fork") && has("exec") && has("exit")) && !deadline.aborted) {
      await new Promise((r) => setTimeout(r, 20));
    }
    ac.abort();
    await reading;
    const fork = seen.find((e) => e.type === "fork" && e.pid === pid);
    assert.ok(fork && fork.type === "fork", "fork seen");
    assert.equal(fork.parentTgid, Deno.pid, "forked by this process");
    assert.equal(fork.tgid, pid);
    assert.ok(seen.some((e) => e.type === "exec" && e.pid === pid && e.tgid === pid), "exec seen");
    const exit = seen.find((e) => e.type === "exit" && e.pid === pid);
    assert.ok(exit && exit.type === "exit", "exit seen");
    assert.equal(exit.exitCode >> 8, 3, "exit status 3 (wait status)");
    assert.equal(exit.exitSignal, 17, "SIGCHLD to the parent");
    assert.equal(exit.parentTgid, Deno.pid);
    assert.ok(seen.indexOf(fork) < seen.indexOf(exit));
  },
});

Deno.test("proc events: a short or lying cn_msg is a ParseError", () => {
  assert.throws(() => decodeProcEvent(new Uint8Array(10)), { name: "ParseError" });
  const p = new Uint8Array(20 + 16);
  new DataView(p.buffer).setUint16(16, 200, true);
  assert.throws(() => decodeProcEvent(p), { name: "ParseError" });
});

async function procStat(pid: number) {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const close = stat.lastIndexOf(")");
  const comm = stat.slice(stat.indexOf("(") + 1, close);
  const f = stat.slice(close + 2).split(" "); // f[0] is field 3 (state)
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
  const gid = Number(/^Gid:\s+(\d+)/m.exec(status)![1]);
  const hz = 100; // USER_HZ on Linux
  return {
    comm,
    ppid: Number(f[1]),
    utimeUs: Number(f[11]) * 1e6 / hz,
    stimeUs: Number(f[12]) * 1e6 / hz,
    nice: Number(f[16]),
    uid,
    gid,
  };
}

Deno.test({
  name: "taskstats: a running child's stats match /proc/PID/stat and status",
  ignore: ignoreUnlessRoot,
  async fn() {
    // a child that burns some CPU, then waits
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 30"],
      stdout: "null",
    }).spawn();
    try {
      const t0 = Date.now();
      while ((await procStat(child.pid)).comm !== "sleep" && Date.now() - t0 < 10_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await using ts = await Taskstats.open();
      const s = await ts.pid(child.pid);
      const p = await procStat(child.pid);
      assert.ok((s.version ?? 0) >= 1);
      assert.equal(s.acPid, child.pid);
      assert.equal(s.acPpid, p.ppid);
      assert.equal(s.acPpid, Deno.pid);
      assert.equal(s.acComm, p.comm);
      assert.equal(s.acUid, p.uid);
      assert.equal(s.acGid, p.gid);
      assert.equal(s.acNice, p.nice);
      // CPU times: /proc rounds to ticks; allow a generous margin
      const cpu = Number(s.acUtime! + s.acStime!);
      const procCpu = p.utimeUs + p.stimeUs;
      assert.ok(Math.abs(cpu - procCpu) <= 50_000 + procCpu * 0.5, `${cpu} vs ${procCpu} us`);
      const g = await ts.tgid(child.pid);
      assert.ok(g.acEtime !== undefined && g.nvcsw !== undefined);
      await assert.rejects(ts.pid(0x7ffffff0), { name: "NetlinkError", code: "ESRCH" });
      await assert.rejects(ts.pid(-1), RangeError);
    } finally {
      child.kill();
      await child.status;
    }
  },
});

Deno.test({
  name: "proc events: a burst into a small receive buffer is reported as overrun items",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using events = ProcEvents.open({ receiveBufferSize: 4096 });
    // nobody reads while 40 children fork, exec and exit: the buffer overflows
    await Promise.all(Array.from({ length: 40 }, () => new Deno.Command("true").output()));
    const ac = new AbortController();
    let overruns = 0, others = 0;
    const timer = setTimeout(() => ac.abort(), 500);
    try {
      for await (const ev of events.events({ signal: ac.signal })) {
        if (ev instanceof Overrun) overruns++;
        else others++;
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
    }
    assert.ok(overruns >= 1, `an overrun item (${others} events read)`);
    assert.ok(others >= 1, "the stream goes on after an overrun");
  },
});
