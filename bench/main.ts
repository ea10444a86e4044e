/**
 * Benchmarks against the C reference (libmnl), measured in the same run,
 * alternating so that a noisy machine hits both alike, in a throwaway netns.
 * Prints medians and ratios, and the peers (ip, pyroute2) as context; never
 * asserts a time. Results also go to bench/.out/results.json.
 *
 *     deno task bench [--quick] [--only w1,w2,w3,w4,mem,start,ct,nft,w1node] [--vm]
 *
 * W1 route dump (10k, 100k routes; steady state and whole process), W2 event
 * burst (100k route adds and deletes; received, lost, CPU per event; drain of
 * a full queue), W3 request round trip, W4 2,000 links fully decoded against
 * vishvananda/netlink, pyroute2 and ip (bench/w4.ts), memory while
 * streaming 1M routes.
 * --vm adds the nlrtable round trip in the VM (kmod/vm/harness.ts bench).
 * "start" (bench/startup.ts): what the library adds to an empty `deno run`
 * for `dump.ts link --json`.
 * "ct", "nft" (bench/families.ts): the conntrack dump and the nftables
 * ruleset listing against `conntrack -L` and `nft -j list ruleset`.
 * "w1node" (bench/w1_node.ts): W1 for the npm build on Node.
 *
 * Needs root (the netns) and libmnl-dev; python3-pyroute2 for that peer
 * (both installed with apt when root and missing).
 */
import { parseArgs } from "node:util";
import { buildNpm } from "../tools/npm.ts";
import { benchLinks } from "./w4.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    only: { type: "string" },
    vm: { type: "boolean" },
  },
});
const quick = values.quick ?? false;
const only = new Set((values.only ?? "w1,w2,w3,w4,mem,start,ct,nft,w1node").split(","));
const here = new URL(".", import.meta.url).pathname;
const out = `${here}.out`;
await Deno.mkdir(out, { recursive: true });
const dec = new TextDecoder();

async function sh(cmd: string, ...args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

async function has(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

if (Deno.uid() !== 0) {
  console.error("bench needs root for its netns: sudo deno task bench");
  Deno.exit(1);
}
const missing: string[] = [];
if (!await has("/usr/include/libmnl/libmnl.h")) missing.push("libmnl-dev");
if (!await has("/usr/lib/python3/dist-packages/pyroute2")) missing.push("python3-pyroute2");
if (missing.length) {
  console.error(`installing ${missing.join(" ")}`);
  await sh("apt-get", "install", "-y", "--no-install-recommends", ...missing).catch(async () => {
    await sh("apt-get", "update", "-qq");
    await sh("apt-get", "install", "-y", "--no-install-recommends", ...missing);
  });
}
for (const c of ["roundtrip", "dump", "events"]) {
  await sh("gcc", "-O2", "-Wall", "-o", `${out}/${c}`, `${here}c/${c}.c`, "-lmnl");
}
// The references W1 and W3 also load into the library's process.
for (const [c, lib] of [["dump", "W1"], ["roundtrip", "W3"]]) {
  await sh(
    "gcc",
    "-O2",
    "-Wall",
    `-D${lib}_LIBRARY`,
    "-fPIC",
    "-shared",
    "-o",
    `${out}/lib${lib.toLowerCase()}.so`,
    `${here}c/${c}.c`,
    "-lmnl",
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Row {
  workload: string;
  library: number;
  /** The libmnl figure; none where the target is absolute. */
  reference?: number;
  unit: string;
  target?: string;
  met?: boolean;
}
const rows: Row[] = [];
const context: { workload: string; program: string; value: number; unit: string }[] = [];
const deno = Deno.execPath();
const ns = `nlts-bench-${crypto.randomUUID().slice(0, 8)}`;
const inNs = (cmd: string, ...args: string[]) => sh("ip", "netns", "exec", ns, cmd, ...args);

/** Wall time of one process in the netns, in ms. */
async function wall(cmd: string, ...args: string[]): Promise<number> {
  const t0 = performance.now();
  await inNs(cmd, ...args);
  return performance.now() - t0;
}

async function loadRoutes(n: number): Promise<void> {
  await sh("ip", "-n", ns, "route", "flush", "dev", "b0").catch(() => {});
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(`route add 11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev b0`);
  }
  await Deno.writeTextFile(`${out}/routes.batch`, lines.join("\n") + "\n");
  await sh("ip", "-n", ns, "-batch", `${out}/routes.batch`);
}

/** Runs a listener that prints "ready", then the burst, then reads its result line. */
async function withBurst(cmd: string[], batch: string): Promise<string> {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, ...cmd],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const r = await reader.read();
    if (r.done) throw new Error(`${cmd.join(" ")} never got ready`);
    text += r.value;
  }
  await sh("ip", "-n", ns, "-batch", batch);
  // a drain starts once the whole burst is queued (a listener ignores this)
  await stdin.write(new TextEncoder().encode("go\n")).catch(() => {});
  await stdin.close().catch(() => {});
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    text += r.value;
  }
  await child.status;
  return text.slice(text.indexOf("ready\n") + 6).trim();
}

/** The npm `netlink` package, as a peer, if it installs (it ships prebuilt addons). */
const npmNetlink = await (async () => {
  const dir = `${out}/nlpeer`;
  const mod = `${dir}/node_modules/netlink`;
  if (!await has(mod)) {
    await Deno.mkdir(dir, { recursive: true });
    await sh("npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "netlink@0.3.0")
      .catch(() => "");
  }
  return await has(`${mod}/package.json`) ? mod : undefined;
})();

await sh("ip", "netns", "add", ns);
try {
  await sh("ip", "-n", ns, "link", "set", "lo", "up");
  await sh("ip", "-n", ns, "link", "add", "b0", "type", "veth", "peer", "name", "b1");
  await sh("ip", "-n", ns, "link", "set", "b0", "up");
  await sh("ip", "-n", ns, "link", "set", "b1", "up");
  const rounds = quick ? 2 : 5;

  if (only.has("start")) {
    const { startupRows } = await import("./startup.ts");
    const s = await startupRows(ns, out, quick ? 5 : 15);
    rows.push(...s.rows);
    for (const c of s.context) {
      context.push({ workload: "Start-up, added to an empty deno run", ...c, unit: "ms" });
    }
  }

  if (only.has("w3")) {
    // The C reference as a shared object, called in the library's process:
    // each process alternates batches of C, the library with a map callback
    // (no copy, as libmnl's callback reads the reply) and with owned
    // replies. Separate processes on this shared machine differ by up to
    // 1.5x from one run to the next; batches in one process do not.
    const w3 = async (lib: () => Promise<string>, runtime: string, target: number) => {
      const c: number[] = [], mapped: number[] = [], owned: number[] = [], floor: number[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const line of (await lib()).trim().split("\n")) {
          const [x, y, z, f] = line.split(" ").map(Number);
          c.push(x), mapped.push(y), owned.push(z), floor.push(f);
        }
      }
      rows.push({
        workload: `W3 request round trip${runtime} (RTM_GETLINK, ACK; reply read by map)`,
        library: median(mapped),
        reference: median(c),
        unit: "µs",
        target: `<= ${target}x`,
        met: median(mapped) <= target * median(c),
      });
      rows.push({
        workload: `W3 request round trip${runtime}, reply kept (owned Message)`,
        library: median(owned),
        reference: median(c),
        unit: "µs",
      });
      // What bounds the ratio: the runtime's own cost for the same syscalls.
      rows.push({
        workload:
          `W3 floor${runtime}: the same syscalls through FFI in an async function, no library`,
        library: median(floor),
        reference: median(c),
        unit: "µs",
      });
    };
    const batches = quick ? "10" : "20";
    await w3(
      () =>
        inNs(
          deno,
          "run",
          "--allow-ffi",
          `${here}roundtrip.ts`,
          batches,
          "2000",
          "1",
          "--c",
          `${out}/libw3.so`,
        ),
      "",
      1.1,
    );
    // The C reference in its own process, alternating with the library's, as context.
    const cs: number[] = [], ls: number[] = [];
    const nums = (t: string) => t.trim().split("\n").map(Number);
    for (let r = 0; r < rounds; r++) {
      cs.push(...nums(await inNs(`${out}/roundtrip`, "5", "2000", "1")));
      ls.push(
        ...nums(await inNs(deno, "run", "--allow-ffi", `${here}roundtrip.ts`, "5", "2000", "1")),
      );
    }
    rows.push({
      workload: "W3 request round trip, library and C in separate processes (map)",
      library: median(ls),
      reference: median(cs),
      unit: "µs",
    });
    // the same on Node, through the npm build (koffi), if Node is here
    const node = await sh("node", "--version").then(() => true, () => false);
    if (node) {
      // the package as `deno task npm` builds it, koffi from the npm tooling
      await buildNpm();
      const pkg = `${here}../npm`;
      await Deno.symlink(`${here}../tests/node/node_modules`, `${pkg}/node_modules`)
        .catch(() => {});
      await w3(
        () =>
          inNs(
            "node",
            `${here}roundtrip_node.mjs`,
            `${pkg}/esm/mod.js`,
            batches,
            "2000",
            "1",
            "--c",
            `${out}/libw3.so`,
          ),
        " on Node 20 (npm build, koffi)",
        1.2,
      );
    }
  }

  for (const n of only.has("w1") || only.has("mem") ? (quick ? [10_000] : [10_000, 100_000]) : []) {
    await loadRoutes(n);
    const label = `${n / 1000}k`;
    if (only.has("w1")) {
      // steady state, with the C reference loaded into the library's process
      // and alternating dump by dump; the first dumps warm the JIT up and
      // are not counted
      const dumps = n >= 100_000 ? 30 : 100;
      const warm = n >= 100_000 ? 10 : 30;
      const c: number[] = [], streamed: number[] = [], mapped: number[] = [];
      const viewed: number[] = [], floor: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const lines = (await inNs(
          deno,
          "run",
          "--allow-ffi",
          `${here}dump.ts`,
          String(dumps),
          "--c",
          `${out}/libw1.so`,
        )).trim().split("\n").slice(warm);
        for (const line of lines) {
          const [x, y, z, v, f] = line.split(" ").map(Number);
          c.push(x), streamed.push(y), mapped.push(z), viewed.push(v), floor.push(f);
        }
      }
      const big = n === 100_000;
      rows.push({
        workload: `W1 route dump ${label}, steady state (request() with map: RouteView per route)`,
        library: median(mapped),
        reference: median(c),
        unit: "ms",
        target: big ? "<= 0.9x" : undefined,
        met: big ? median(mapped) <= 0.9 * median(c) : undefined,
      });
      rows.push({
        workload: `W1 route dump ${label}, the same reading dst through a Uint8Array view`,
        library: median(viewed),
        reference: median(c),
        unit: "ms",
      });
      rows.push({
        workload: `W1 route dump ${label} floor: Deno FFI recv, headers walked, no library`,
        library: median(floor),
        reference: median(c),
        unit: "ms",
      });
      rows.push({
        workload:
          `W1 route dump ${label}, steady state (for await over dump(): owned, RouteView each)`,
        library: median(streamed),
        reference: median(c),
        unit: "ms",
        target: big ? "<= 1.0x" : undefined,
        met: big ? median(streamed) <= median(c) : undefined,
      });
      const wc: number[] = [], wl: number[] = [], wip: number[] = [];
      for (let r = 0; r < rounds; r++) {
        wc.push(await wall(`${out}/dump`, "1"));
        wl.push(await wall(deno, "run", "--allow-ffi", `${here}dump.ts`, "1"));
        wip.push(await wall("ip", "-j", "route", "show"));
      }
      rows.push({
        workload: `W1 route dump ${label}, whole process`,
        library: median(wl),
        reference: median(wc),
        unit: "ms",
      });
      context.push({
        workload: `W1 ${label} whole process`,
        program: "ip -j route show",
        value: median(wip),
        unit: "ms",
      });
      context.push({
        workload: `W1 ${label} whole process`,
        program: "this library",
        value: median(wl),
        unit: "ms",
      });
      if (n === 100_000) {
        rows[rows.length - 1].target = "< ip -j route show";
        rows[rows.length - 1].met = median(wl) < median(wip);
      }
      if (npmNetlink) {
        const steady = (await inNs("node", `${here}npm_netlink.cjs`, npmNetlink, "6")).trim().split(
          "\n",
        ).slice(2).map((l) => Number(l.split(" ")[0]));
        context.push({
          workload: `W1 ${label} steady state`,
          program: "npm netlink 0.3.0 getRoutes (Node)",
          value: median(steady),
          unit: "ms",
        });
        context.push({
          workload: `W1 ${label} whole process`,
          program: "npm netlink 0.3.0 getRoutes (Node)",
          value: await wall("node", `${here}npm_netlink.cjs`, npmNetlink, "1"),
          unit: "ms",
        });
      }
      const py = await wall(
        "/usr/bin/python3",
        "-c",
        "from pyroute2 import IPRoute\nwith IPRoute() as ip: print(len(ip.get_routes(family=2)))",
      ).catch(() => NaN);
      context.push({
        workload: `W1 ${label} whole process`,
        program: "pyroute2 get_routes",
        value: py,
        unit: "ms",
      });
    }
    if (only.has("mem") && n === 100_000) {
      const streamed = await inNs(deno, "run", "-A", `${here}dump.ts`, "10", "--rss");
      const peak = Number(/rss_kb (\d+)/.exec(streamed)![1]);
      const idle = Number(
        /VmHWM:\s+(\d+)/.exec(
          await inNs(deno, "eval", "console.log(Deno.readTextFileSync('/proc/self/status'))"),
        )![1],
      );
      rows.push({
        workload: "Memory: peak RSS streaming 10 dumps of 100k routes (1M), minus an idle Deno",
        library: (peak - idle) / 1024,
        unit: "MB",
        target: "<= 50 MB",
        met: (peak - idle) / 1024 <= 50,
      });
    }
  }

  if (only.has("w2")) {
    await sh("ip", "-n", ns, "route", "flush", "dev", "b0").catch(() => {});
    const N = quick ? 20_000 : 50_000;
    const lines = [];
    for (let i = 0; i < N; i++) {
      lines.push(`route add 12.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev b0`);
    }
    for (let i = 0; i < N; i++) {
      lines.push(`route del 12.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev b0`);
    }
    await Deno.writeTextFile(`${out}/burst.batch`, lines.join("\n") + "\n");
    const events = 2 * N;
    const cCpu: number[] = [], lCpu: number[] = [], lost: number[] = [], cLost: number[] = [];
    for (let r = 0; r < Math.max(2, rounds - 2); r++) {
      const [cg, cl, , cc] =
        (await withBurst([`${out}/events`, "listen", String(events), "2000"], `${out}/burst.batch`))
          .split(" ").map(Number);
      cCpu.push(cc / Math.max(cg, 1));
      cLost.push(cl);
      const [lg, ll, , lc] = (await withBurst([
        deno,
        "run",
        "--allow-ffi",
        `${here}events.ts`,
        "listen",
        String(events),
        "2000",
      ], `${out}/burst.batch`)).split(" ").map(Number);
      lCpu.push(lc / Math.max(lg, 1));
      lost.push(ll);
    }
    rows.push({
      workload: `W2 burst of ${events / 1000}k route events: CPU per event`,
      library: median(lCpu),
      reference: median(cCpu),
      unit: "µs",
      target: "<= 1.2x",
      met: median(lCpu) <= 1.2 * median(cCpu),
    });
    rows.push({
      workload: `W2 burst: events lost (library defaults; libmnl with 64 MiB)`,
      library: Math.max(...lost),
      reference: Math.max(...cLost),
      unit: "events",
      target: "0",
      met: Math.max(...lost) === 0,
    });
    const dc: number[] = [], dl: number[] = [];
    const floors: Record<string, number[]> = { recv: [], recvmmsg: [] };
    for (let r = 0; r < Math.max(2, rounds - 2); r++) {
      for (const how of ["recv", "recvmmsg"]) {
        const [fg, fms] = (await withBurst(
          [deno, "run", "--allow-ffi", `${here}drain_floor.ts`, "200", how],
          `${out}/burst.batch`,
        )).split(" ").map(Number);
        floors[how].push(fg / fms * 1000);
      }
      const [cg, cms] = (await withBurst([`${out}/events`, "drain", "200"], `${out}/burst.batch`))
        .split(" ").map(Number);
      dc.push(cg / cms * 1000);
      const [lg, lms] = (await withBurst(
        [deno, "run", "--allow-ffi", `${here}events.ts`, "drain", "200"],
        `${out}/burst.batch`,
      )).split(" ").map(Number);
      dl.push(lg / lms * 1000);
    }
    rows.push({
      workload: "W2 drain of a full queue (events/s; higher is better)",
      library: median(dl),
      reference: median(dc),
      unit: "ev/s",
      target: ">= 1.0x",
      met: median(dl) >= median(dc),
    });
    for (const [how, xs] of Object.entries(floors)) {
      rows.push({
        workload: `W2 drain floor: ${
          how === "recv" ? "recv" : "recvmmsg (64)"
        } through FFI, no library`,
        library: median(xs),
        reference: median(dc),
        unit: "ev/s",
      });
    }
    const floor = Math.max(median(floors.recv), median(floors.recvmmsg));
    rows.push({
      workload: "W2 drain, library against the faster FFI floor (reference: that floor)",
      library: median(dl),
      reference: floor,
      unit: "ev/s",
      target: ">= 0.95x",
      met: median(dl) >= 0.95 * floor,
    });
    const { benchDrainPeers } = await import("./drain_peers.ts");
    const peers = await benchDrainPeers({
      ns,
      sh,
      withBurst,
      rounds: Math.max(2, rounds - 2),
      here,
      batch: `${out}/burst.batch`,
      events,
      npmNetlink,
    });
    rows.push(...peers.rows);
    context.push(...peers.context);
  }
  if (only.has("w1node") && await sh("node", "--version").then(() => true, () => false)) {
    await buildNpm();
    await Deno.symlink(`${here}../tests/node/node_modules`, `${here}../npm/node_modules`)
      .catch(() => {});
    const { benchW1Node } = await import("./w1_node.ts");
    const w = await benchW1Node({ ns, sh, rounds, out, here, quick, npm: `${here}../npm` });
    rows.push(...w.rows);
    context.push(...w.context);
  }
  if (only.has("ct") || only.has("nft")) {
    const { benchFamilies } = await import("./families.ts");
    const f = await benchFamilies({ ns, sh, rounds, out, here, quick }, {
      ct: only.has("ct"),
      nft: only.has("nft"),
    });
    rows.push(...f.rows);
    context.push(...f.context);
  }
  if (only.has("w4")) {
    // last: it leaves 2,000 links in the netns
    const node = await sh("node", "--version").then(() => true, () => false);
    if (node) {
      await buildNpm();
      await Deno.symlink(`${here}../tests/node/node_modules`, `${here}../npm/node_modules`)
        .catch(() => {});
    }
    const w4 = await benchLinks({
      ns,
      inNs,
      wall,
      sh,
      rounds,
      out,
      here,
      npm: node ? `${here}../npm` : undefined,
    });
    rows.push(...w4.rows);
    context.push(...w4.context);
  }
} finally {
  await sh("ip", "netns", "del", ns);
}

const fmt = (x: number) => (x >= 1000 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
console.log("\n| workload | library | libmnl | ratio | target | |\n|---|---|---|---|---|---|");
for (const r of rows) {
  const ratio = r.reference ? r.library / r.reference : NaN;
  const reference = r.reference === undefined ? "" : `${fmt(r.reference)} ${r.unit}`;
  console.log(
    `| ${r.workload} | ${fmt(r.library)} ${r.unit} | ${reference} | ${
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : ""
    } | ${r.target ?? ""} | ${r.met === undefined ? "" : r.met ? "met" : "missed"} |`,
  );
}
if (context.length) {
  console.log("\nPeers, as context (same run):\n\n| workload | program | time |\n|---|---|---|");
  for (const c of context) {
    console.log(`| ${c.workload} | ${c.program} | ${fmt(c.value)} ${c.unit} |`);
  }
}
console.log(`\nMedians of ${quick ? "2" : "5"} alternating rounds; 2 cores, shared: expect noise.`);
await Deno.writeTextFile(`${out}/results.json`, JSON.stringify({ rows, context }, null, 2));

if (values.vm) {
  const { runVm } = await import("../kmod/vm/harness.ts");
  const r = await runVm("bench", { onOutput: (l) => console.log(l) });
  if (!r.ok) console.error(r.problems.join("\n"));
}
