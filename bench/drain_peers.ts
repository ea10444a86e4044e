/**
 * W2's drain against the peers: the same full queue of route events
 * (RTNLGRP_IPV4_ROUTE, the burst W2 builds) drained by the library
 * (bench/events.ts drain), pyroute2 (bench/peers/drain_pyroute2.py), npm
 * `netlink` 0.3.0 (bench/peers/drain_npm_netlink.cjs) and `ip monitor
 * route`, alternating round by round. Each peer asks for the library's
 * receive buffer (32 MiB): pyroute2 with SO_RCVBUFFORCE as the library does;
 * `ip -rcvbuf` and npm `netlink` only have SO_RCVBUF, which rmem_max caps
 * (read-only in a netns; the bench leaves the host's sysctl alone). The
 * library's figure is its own median of these rounds, so the ratio is of the
 * same run. npm `netlink` aborts on the full queue's overrun; it then gets a
 * context figure on a queue its buffer holds, beside the library's on the
 * same queue. Called by bench/main.ts.
 *
 * @module
 */

/** A result row, as bench/main.ts prints it. */
export interface DrainRow {
  workload: string;
  library: number;
  reference?: number;
  unit: string;
  target?: string;
  met?: boolean;
}

/** A peer's figure, as bench/main.ts prints the context. */
export interface DrainPeer {
  workload: string;
  program: string;
  value: number;
  unit: string;
}

/** What the drain peers need of the bench's run. */
export interface DrainContext {
  /** The netns the bench made. */
  ns: string;
  /** Runs a command on the host; resolves with stdout. */
  sh: (cmd: string, ...args: string[]) => Promise<string>;
  /** bench/main.ts withBurst: a listener with the go protocol, then the burst. */
  withBurst: (cmd: string[], batch: string) => Promise<string>;
  /** Alternating rounds. */
  rounds: number;
  /** bench/ */
  here: string;
  /** The burst, an `ip -batch` file of route adds and deletes. */
  batch: string;
  /** Events the burst makes. */
  events: number;
  /** The npm `netlink` package's directory, when it installed. */
  npmNetlink?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (bytes: number) => `${Math.round(bytes / (1 << 20))} MiB`;
/** ms between the go line and the drain, as bench/main.ts gives the library. */
const SETTLE = 200;

/** One drain by a go-protocol listener: events/s and what it printed. */
async function goDrain(ctx: DrainContext, cmd: string[]) {
  const out = await ctx.withBurst(cmd, ctx.batch);
  const [got, ms, overruns, rcvbuf] = out.split(" ").map(Number);
  if (!(got > 0 && ms > 0)) throw new Error(`no result line (it printed "${out.slice(0, 60)}")`);
  return { rate: got / ms * 1000, got, overruns, rcvbuf, out };
}

/**
 * `ip monitor route` has no go line: started in the netns, given ~300 ms,
 * stopped with SIGSTOP while the burst queues (and SETTLE ms more), then
 * timed from SIGCONT to its last line on the pipe (at `events` lines, or
 * once 100 ms pass without one). Its ENOBUFS messages ("netlink receive
 * error ... (105)" on stderr) are its overruns.
 */
async function ipMonitor(ctx: DrainContext, rcvbuf: number) {
  const child = new Deno.Command("ip", {
    args: ["-4", "-n", ctx.ns, "-rcvbuf", String(rcvbuf), "monitor", "route"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let lines = 0, lastAt = 0;
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      for (const b of chunk) if (b === 10) lines++;
      lastAt = performance.now();
    }
  })();
  await sleep(300);
  // what the kernel granted its sockets (ss names them ip/<pid>)
  const ss = await ctx.sh("ip", "netns", "exec", ctx.ns, "ss", "-f", "netlink", "-a", "-m");
  const granted = Math.max(
    0,
    ...ss.split("\n").filter((l) => l.includes(`ip/${child.pid}`))
      .map((l) => Number(/rb(\d+)/.exec(l)?.[1] ?? 0)),
  );
  Deno.kill(child.pid, "SIGSTOP");
  try {
    await ctx.sh("ip", "-n", ctx.ns, "-batch", ctx.batch);
    await sleep(SETTLE);
    if (lines) throw new Error(`ip monitor printed ${lines} lines while stopped`);
    const t0 = performance.now();
    Deno.kill(child.pid, "SIGCONT");
    for (let seen = -1; lines < ctx.events;) {
      await sleep(100);
      if (lines === seen && (lines > 0 || performance.now() - t0 > 10_000)) break;
      seen = lines;
    }
    if (!lines) throw new Error("ip monitor printed nothing");
    return { rate: lines / (lastAt - t0) * 1000, got: lines, granted, stderr, child, reading };
  } finally {
    Deno.kill(child.pid, "SIGCONT");
    Deno.kill(child.pid, "SIGTERM");
    await child.status;
    await reading;
  }
}

/**
 * npm `netlink` cannot live through W2's queue (it aborts on the overrun), so
 * as context: a burst of `SMALL` events, which its 8 MiB holds, drained by it
 * and by the library alternately.
 */
async function smallQueue(ctx: DrainContext, lib: string[], npm: string[]) {
  const SMALL = 8000;
  const lines = (await Deno.readTextFile(ctx.batch)).trimEnd().split("\n");
  const n = lines.length / 2, k = SMALL / 2;
  const batch = `${ctx.batch}.small`;
  await Deno.writeTextFile(
    batch,
    [...lines.slice(0, k), ...lines.slice(n, n + k)].join("\n") + "\n",
  );
  const small = { ...ctx, batch, events: SMALL };
  const rates: Record<string, number[]> = { lib: [], npm: [] };
  const lost: Record<string, number[]> = { lib: [], npm: [] };
  let granted = 0;
  for (let round = 0; round < ctx.rounds; round++) {
    for (const [k, cmd] of [["lib", lib], ["npm", npm]] as const) {
      const r = await goDrain(small, cmd).catch((e: Error) => e);
      if (r instanceof Error) return [`${k} failed on ${SMALL} events: ${r.message}`];
      rates[k].push(r.rate);
      lost[k].push(SMALL - r.got);
      if (k === "npm") granted = r.rcvbuf;
    }
  }
  const workload = `W2 drain of a queue of ${SMALL / 1000}k events (npm netlink's buffer holds it)`;
  return [
    {
      k: "npm",
      program: `npm netlink 0.3.0 'message' events (SO_RCVBUF, granted ${MiB(granted)})`,
    },
    { k: "lib", program: "the library, same rounds" },
  ].map(({ k, program }) => ({
    workload,
    program: `${program}; lost ${Math.max(...lost[k])}`,
    value: median(rates[k]),
    unit: "ev/s",
  }));
}

/** Runs the drain of `ctx.batch` by the library and each peer, `ctx.rounds` times. */
export async function benchDrainPeers(
  ctx: DrainContext,
): Promise<{ rows: DrainRow[]; context: DrainPeer[] }> {
  const deno = Deno.execPath();
  const rcvbuf = 32 << 20; // src/socket/setup.ts DEFAULT_EVENT_BUFFER
  const rate: Record<string, number[]> = { lib: [], py: [], ip: [] };
  const lost: Record<string, number[]> = { lib: [], py: [], ip: [] };
  const over: Record<string, number[]> = { lib: [], py: [], ip: [] };
  const buf: Record<string, number> = {};
  let npmFailure = ctx.npmNetlink ? "" : "npm netlink 0.3.0 did not install";
  const libCmd = [deno, "run", "--allow-ffi", `${ctx.here}events.ts`, "drain", `${SETTLE}`];
  const npmCmd = [
    "node",
    `${ctx.here}peers/drain_npm_netlink.cjs`,
    ctx.npmNetlink ?? "",
    `${SETTLE}`,
  ];
  const note = (k: string, r: { rate: number; got: number; overruns?: number }) => {
    rate[k].push(r.rate);
    lost[k].push(ctx.events - r.got);
    over[k].push(r.overruns ?? 0);
  };
  for (let round = 0; round < ctx.rounds; round++) {
    note("lib", await goDrain(ctx, libCmd));
    const py = await goDrain(ctx, [
      "/usr/bin/python3",
      `${ctx.here}peers/drain_pyroute2.py`,
      `${SETTLE}`,
    ]);
    note("py", py);
    buf.py = py.rcvbuf;
    const ip = await ipMonitor(ctx, rcvbuf);
    const enobufs = (await ip.stderr).split("\n").filter((l) => l.includes("(105)")).length;
    note("ip", { ...ip, overruns: enobufs });
    buf.ip = ip.granted;
    if (ctx.npmNetlink && !npmFailure) {
      // it aborts on the queue's overrun (see drain_npm_netlink.cjs); then no figure
      const npm = await goDrain(ctx, npmCmd).catch((e: Error) => e);
      if (npm instanceof Error) {
        npmFailure = `npm netlink 0.3.0: no figure, ${
          npm.message.slice(0, 80)
        }: its process aborts on the queue's overrun (bench/peers/drain_npm_netlink.cjs)`;
      } else {
        (rate.npm ??= []).push(npm.rate);
        (lost.npm ??= []).push(ctx.events - npm.got);
        (over.npm ??= []).push(npm.overruns);
        buf.npm = npm.rcvbuf;
      }
    }
  }
  const names: Record<string, string> = {
    py: `pyroute2 0.7 IPRoute.get() (SO_RCVBUFFORCE ${MiB(rcvbuf)}, granted ${MiB(buf.py)})`,
    ip: `ip -4 monitor route -rcvbuf ${MiB(rcvbuf)} (SO_RCVBUF, granted ${
      MiB(buf.ip)
    }); SIGSTOP during the burst, timed from SIGCONT to its last line on a pipe`,
    npm: `npm netlink 0.3.0 'message' events (setRecvBufferSize ${
      MiB(rcvbuf)
    }, SO_RCVBUF, granted ${MiB(buf.npm ?? 0)})`,
  };
  const context: DrainPeer[] = [];
  const peers: { name: string; value: number }[] = [];
  for (const k of ["py", "ip", "npm"]) {
    if (!rate[k]) continue;
    const name = `${names[k]}; lost ${Math.max(...lost[k])} of ${ctx.events}, ${
      Math.max(...over[k])
    } overruns`;
    peers.push({ name: names[k].split(" (")[0], value: median(rate[k]) });
    context.push({
      workload: "W2 drain of a full queue",
      program: name,
      value: median(rate[k]),
      unit: "ev/s",
    });
  }
  if (npmFailure) {
    context.push({
      workload: "W2 drain of a full queue",
      program: npmFailure,
      value: NaN,
      unit: "ev/s",
    });
  }
  context.push({
    workload: "W2 drain of a full queue",
    program: `the library, these rounds (lost ${Math.max(...lost.lib)}, ${
      Math.max(...over.lib)
    } overruns)`,
    value: median(rate.lib),
    unit: "ev/s",
  });
  if (npmFailure && ctx.npmNetlink) {
    for (const c of await smallQueue(ctx, libCmd, npmCmd)) {
      if (typeof c === "string") {
        context.push({ workload: "W2 drain", program: c, value: NaN, unit: "ev/s" });
      } else context.push(c);
    }
  }
  const best = peers.sort((a, b) => b.value - a.value)[0];
  const lib = median(rate.lib);
  return {
    rows: [{
      workload: `W2 drain, library against the fastest peer (reference: ${best.name})`,
      library: lib,
      reference: best.value,
      unit: "ev/s",
      target: "> 1.0x",
      met: peers.every((p) => lib > p.value),
    }],
    context,
  };
}
