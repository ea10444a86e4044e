/**
 * W1 on Node: the 100k-route dump (10k with --quick) in steady state for
 * the npm build (koffi backend), `request()` with a map RouteView per
 * route and the `dump()` stream of owned RouteViews, with the C libmnl
 * dump (c/dump.c as a shared object, loaded through koffi) called in the
 * same Node process, alternating dump by dump (bench/w1_node.mjs). Deno's
 * figures on the same routes, measured the same way (bench/dump.ts --c),
 * alternate with it round by round, as context. In a netns of its own
 * (a veth and the routes), deleted after. Called by bench/main.ts
 * (`--only w1node`).
 *
 * @module
 */

/** A result row, as bench/main.ts prints it. */
export interface W1NodeRow {
  workload: string;
  library: number;
  reference?: number;
  unit: string;
  target?: string;
  met?: boolean;
}

/** A peer's figure, as bench/main.ts prints the context. */
export interface W1NodePeer {
  workload: string;
  program: string;
  value: number;
  unit: string;
}

/** What the Node W1 rows need of the bench's run. */
export interface W1NodeContext {
  /** The bench's netns: the rows make their own, named after it. */
  ns: string;
  /** Runs a command on the host; resolves with stdout. */
  sh: (cmd: string, ...args: string[]) => Promise<string>;
  /** Alternating rounds. */
  rounds: number;
  /** bench/.out, holding libw1.so (c/dump.c built with -DW1_LIBRARY). */
  out: string;
  /** bench/ */
  here: string;
  /** 10k routes instead of 100k. */
  quick: boolean;
  /** The built npm package's root (with node_modules for koffi). */
  npm: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The first three columns ("c streamed mapped") of the lines after `warm`. */
function columns(text: string, warm: number): number[][] {
  const cols: number[][] = [[], [], []];
  for (const line of text.trim().split("\n").slice(warm)) {
    line.split(" ").slice(0, 3).map(Number).forEach((x, i) => cols[i].push(x));
  }
  return cols;
}

/**
 * Runs W1 on Node and Deno in a netns of its own.
 *
 * @example
 * ```ts ignore
 * import { benchW1Node } from "./w1_node.ts";
 * const { rows } = await benchW1Node(ctx);
 * ```
 */
export async function benchW1Node(
  ctx: W1NodeContext,
): Promise<{ rows: W1NodeRow[]; context: W1NodePeer[] }> {
  const ns = `${ctx.ns}-w1n`;
  const n = ctx.quick ? 10_000 : 100_000;
  const label = `${n / 1000}k`;
  const inNs = (cmd: string, ...args: string[]) => ctx.sh("ip", "netns", "exec", ns, cmd, ...args);
  await ctx.sh("ip", "netns", "add", ns);
  try {
    await ctx.sh("ip", "-n", ns, "link", "add", "b0", "type", "veth", "peer", "name", "b1");
    await ctx.sh("ip", "-n", ns, "link", "set", "b0", "up");
    await ctx.sh("ip", "-n", ns, "link", "set", "b1", "up");
    const lines = [];
    for (let i = 0; i < n; i++) {
      lines.push(`route add 11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev b0`);
    }
    await Deno.writeTextFile(`${ctx.out}/routes_node.batch`, lines.join("\n") + "\n");
    await ctx.sh("ip", "-n", ns, "-batch", `${ctx.out}/routes_node.batch`);
    const dumps = n >= 100_000 ? 30 : 100, warm = n >= 100_000 ? 10 : 30;
    const node: number[][] = [[], [], []], deno: number[][] = [[], [], []];
    for (let r = 0; r < ctx.rounds; r++) {
      const nodeOut = await inNs(
        "node",
        `${ctx.here}w1_node.mjs`,
        `${ctx.npm}/esm/mod.js`,
        String(dumps),
        "--c",
        `${ctx.out}/libw1.so`,
      );
      columns(nodeOut, warm).forEach((c, i) => node[i].push(...c));
      const denoOut = await inNs(
        Deno.execPath(),
        "run",
        "--allow-ffi",
        `${ctx.here}dump.ts`,
        String(dumps),
        "--c",
        `${ctx.out}/libw1.so`,
      );
      columns(denoOut, warm).forEach((c, i) => deno[i].push(...c));
    }
    const [c, streamed, mapped] = node.map(median);
    const how = "C loaded into the Node process through koffi, alternating dump by dump";
    const rows: W1NodeRow[] = [
      {
        workload:
          `W1 route dump ${label} on Node 20 (npm build), steady state (request() with map: RouteView per route; ${how})`,
        library: mapped,
        reference: c,
        unit: "ms",
        target: "<= 0.9x",
        met: mapped <= 0.9 * c,
      },
      {
        workload:
          `W1 route dump ${label} on Node 20 (npm build), steady state (dump() stream: owned RouteView per route; ${how})`,
        library: streamed,
        reference: c,
        unit: "ms",
        target: "<= 1.0x",
        met: streamed <= c,
      },
    ];
    const [dc, ds, dm] = deno.map(median);
    const w = `W1 ${label} steady state, Deno beside Node (same routes, alternating rounds)`;
    const context: W1NodePeer[] = [
      { workload: w, program: "libmnl in the Node process", value: c, unit: "ms" },
      { workload: w, program: "Node: request() with map", value: mapped, unit: "ms" },
      { workload: w, program: "Node: dump() stream", value: streamed, unit: "ms" },
      { workload: w, program: "libmnl in the Deno process", value: dc, unit: "ms" },
      { workload: w, program: "Deno: request() with map", value: dm, unit: "ms" },
      { workload: w, program: "Deno: dump() stream", value: ds, unit: "ms" },
    ];
    return { rows, context };
  } finally {
    await ctx.sh("ip", "netns", "del", ns);
  }
}
