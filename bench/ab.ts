/**
 * A/B of `NetlinkSocket` in one process: another tree's (A, `--base`, e.g.
 * `git worktree add --detach /tmp/base main`) against this tree's (B), on
 * the W1 (route dump, `request()` + map and `dump()` stream, 10k and 100k
 * routes), W2 (route event burst: CPU per event; drain of a queued burst)
 * and W3 (request round trip, map and owned) workloads of bench/main.ts.
 * Rounds alternate A and B (the order flips every round); it prints the
 * medians, B/A and the median of the per-round ratios. The machine's noise
 * is large: use `--cpu` (this process's CPU time, not wall time), many
 * rounds, and run it with `--base` set to a copy of this tree too, as a
 * control (identical code loaded second measured up to ~4% slower on W1);
 * `--swap` loads B first. Needs root (a netns); never asserts a time.
 *
 *     deno run -A bench/ab.ts --base /tmp/base [--only w1,w2,w3] [--rounds 15] [--cpu] [--swap]
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { MessageWriter } from "../src/writer.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    base: { type: "string" },
    only: { type: "string" },
    rounds: { type: "string" },
    cpu: { type: "boolean" },
    swap: { type: "boolean" },
  },
});
if (!values.base) {
  console.error("usage: ab.ts --base DIR [--only w1,w2,w3] [--rounds N] [--cpu] [--swap]");
  Deno.exit(2);
}
const only = new Set((values.only ?? "w1,w2,w3").split(","));
const ROUNDS = Number(values.rounds ?? 15);
const NS = `ab${Deno.pid}`;
const dirs = {
  A: new URL(`file://${values.base.replace(/\/$/, "")}/`).href,
  B: new URL("../", import.meta.url).href,
};
const order = values.swap ? ["B", "A"] as const : ["A", "B"] as const;
// deno-lint-ignore no-explicit-any
const mods: Record<string, any> = {};
for (const k of order) {
  mods[k] = {
    S: (await import(`${dirs[k]}src/socket.ts`)).NetlinkSocket,
    RV: (await import(`${dirs[k]}src/rtnl/route_view.ts`)).RouteView,
  };
}
const SockA = mods.A.S, SockB = mods.B.S, RouteViewA = mods.A.RV, RouteViewB = mods.B.RV;
const dec = new TextDecoder();
async function sh(cmd: string, ...args: string[]) {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// deno-lint-ignore no-explicit-any
type Sock = any;
const impls: [string, Sock][] = [["A", SockA], ["B", SockB]];
const CPU = values.cpu ?? false;
/** Wall-clock ms, or with --cpu this process's CPU ms (robust against other processes' load). */
function now(): number {
  if (!CPU) return performance.now();
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

await sh("ip", "netns", "del", NS).catch(() => {});
await sh("ip", "netns", "add", NS);
await sh("ip", "-n", NS, "link", "set", "lo", "up");
await sh("ip", "-n", NS, "link", "add", "b0", "type", "veth", "peer", "name", "b1");
await sh("ip", "-n", NS, "link", "set", "b0", "up");
await sh("ip", "-n", NS, "link", "set", "b1", "up");

async function loadRoutes(n: number) {
  await sh("ip", "-n", NS, "route", "flush", "dev", "b0").catch(() => {});
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(`route add 11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev b0`);
  }
  await Deno.writeTextFile(`/tmp/${NS}.routes`, lines.join("\n") + "\n");
  await sh("ip", "-n", NS, "-batch", `/tmp/${NS}.routes`);
}

/** Runs `round(impl)` alternately, ROUNDS times each; returns per-impl medians and the median per-round ratio. */
async function ab(label: string, round: (S: Sock) => Promise<number>, rounds = ROUNDS) {
  const got: Record<string, number[]> = { A: [], B: [] };
  const ratios: number[] = [];
  for (const [, S] of impls) await round(S); // warm up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [impls[1], impls[0]] : impls;
    const v: Record<string, number> = {};
    for (const [n, S] of order) v[n] = await round(S);
    got.A.push(v.A);
    got.B.push(v.B);
    ratios.push(v.B / v.A);
  }
  const a = median(got.A), b = median(got.B);
  console.log(
    `${label}: A ${a.toFixed(3)}  B ${b.toFixed(3)}  B/A ${
      (b / a).toFixed(3)
    }  median round ratio ${median(ratios).toFixed(3)}`,
  );
}

/** Reads until `limit` events or `idleMs` without one; returns [got, overruns, lastAt]. */
async function consume(
  sock: Sock,
  limit: number,
  idleMs: number,
): Promise<[number, number, number]> {
  let got = 0, overruns = 0, lastAt = 0, seen = -1;
  const ctl = new AbortController();
  const t = setInterval(() => {
    if (got + overruns === seen) ctl.abort();
    seen = got + overruns;
  }, idleMs);
  try {
    for await (const m of sock.events({ signal: ctl.signal })) {
      lastAt = performance.now();
      // An overrun: main's shape (a message of type NLMSG_OVERRUN, 4) or an Overrun item.
      if (m.type === 4 || m.kind === "overrun") overruns++;
      else if (++got >= limit) break;
    }
  } catch (e) {
    if (!ctl.signal.aborted) throw e;
  } finally {
    clearInterval(t);
  }
  return [got, overruns, lastAt];
}

if (only.has("w3")) {
  const w = new MessageWriter().begin(18);
  w.view.setInt32(w.fixed(16) + 4, 1, true);
  const bytes = w.finish();
  const socks = new Map<Sock, Sock>();
  for (const [, S] of impls) socks.set(S, S.open(0, { netns: NS }));
  const map = { map: (m: { type: number }) => m.type };
  const per = 4000;
  const batch = (owned: boolean) => async (S: Sock) => {
    const sock = socks.get(S);
    const t0 = now();
    for (let i = 0; i < per; i++) {
      const r = owned ? await sock.request(bytes) : await sock.request(bytes, map);
      if (r.length !== 1) throw new Error("replies");
    }
    return (now() - t0) * 1000 / per;
  };
  await ab("W3 request round trip, map (µs)", batch(false), ROUNDS * 2);
  await ab("W3 request round trip, owned (µs)", batch(true), ROUNDS * 2);
  for (const s of socks.values()) await s.close();
}

if (only.has("w1")) {
  for (const n of [10_000, 100_000]) {
    await loadRoutes(n);
    const w = new MessageWriter(32).begin(26, 0x300);
    w.buffer[w.fixed(12)] = 2;
    const req = w.finish().slice();
    const socks = new Map<Sock, Sock>();
    for (const [, S] of impls) socks.set(S, S.open(0, { netns: NS }));
    // Each side with its own RouteView and closures: no inline cache is shared.
    // deno-lint-ignore no-explicit-any
    const make = (RV: any) => {
      // deno-lint-ignore no-explicit-any
      const sum = (r: any) => (r.oif ?? 0) + r.dstLength + (r.dst?.[0] ?? 0);
      // deno-lint-ignore no-explicit-any
      return { sum, RV, mapped: { map: (m: any) => sum(new RV(m)) } };
    };
    const per = new Map<Sock, ReturnType<typeof make>>([[SockA, make(RouteViewA)], [
      SockB,
      make(RouteViewB),
    ]]);
    const reps = n >= 100_000 ? 3 : 20;
    const mapRound = async (S: Sock) => {
      const { mapped } = per.get(S)!;
      const t0 = now();
      for (let i = 0; i < reps; i++) {
        const rs = await socks.get(S).request(req.slice(), mapped);
        if (rs.length < n) throw new Error(`${rs.length} routes`);
      }
      return (now() - t0) / reps;
    };
    const streamRound = async (S: Sock) => {
      const { sum, RV } = per.get(S)!;
      const t0 = now();
      for (let i = 0; i < reps; i++) {
        let k = 0;
        for await (const m of socks.get(S).dump(req.slice())) k += sum(new RV(m)) ? 1 : 1;
        if (k < n) throw new Error(`${k} routes`);
      }
      return (now() - t0) / reps;
    };
    await ab(`W1 ${n / 1000}k request()+map (ms)`, mapRound);
    await ab(`W1 ${n / 1000}k dump() stream (ms)`, streamRound);
    for (const s of socks.values()) await s.close();
  }
  await sh("ip", "-n", NS, "route", "flush", "dev", "b0").catch(() => {});
}

if (only.has("w2")) {
  const N = 10_000;
  const lines = [];
  for (let i = 0; i < N; i++) {
    lines.push(`route add 12.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev b0`);
  }
  for (let i = 0; i < N; i++) {
    lines.push(`route del 12.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev b0`);
  }
  await Deno.writeTextFile(`/tmp/${NS}.burst`, lines.join("\n") + "\n");
  const events = 2 * N;
  const live = async (S: Sock) => {
    const sock = S.open(0, { netns: NS, groups: [7] });
    const burst = sh("ip", "-n", NS, "-batch", `/tmp/${NS}.burst`);
    const c0 = process.cpuUsage();
    const [got, ov] = await consume(sock, events, 500);
    const c = process.cpuUsage(c0);
    await burst;
    await sock.close();
    if (ov || got !== events) console.log(`  (live: got ${got} overruns ${ov})`);
    return (c.user + c.system) / Math.max(got, 1);
  };
  const drain = async (S: Sock) => {
    const sock = S.open(0, { netns: NS, groups: [7] });
    await sh("ip", "-n", NS, "-batch", `/tmp/${NS}.burst`);
    const t0 = performance.now(); // wall: the drain rate
    const [got, ov, lastAt] = await consume(sock, Infinity, 50);
    await sock.close();
    if (ov || got !== events) console.log(`  (drain: got ${got} overruns ${ov})`);
    return (lastAt - t0) * 1000 / got; // µs per event
  };
  await ab(
    `W2 live burst of ${events / 1000}k events, CPU per event (µs)`,
    live,
    Math.ceil(ROUNDS / 2),
  );
  await ab(
    `W2 drain of ${events / 1000}k queued events, µs per event`,
    drain,
    Math.ceil(ROUNDS / 2),
  );
}
await sh("ip", "netns", "del", NS).catch(() => {});
Deno.exit(0);
