/**
 * W4, typed objects: a dump of 2,000 links (1,000 veth pairs) fully decoded
 * (kinds, stats64, names), the library's Rtnl.links() against
 * vishvananda/netlink's LinkList (Go), pyroute2's get_links and
 * `ip -j -d link`, steady state (dumps in one process, after warm-up) and
 * whole process, alternating round by round. The reference of each row is
 * the fastest peer; the target is to be ahead of it. Called by
 * bench/main.ts; Go and the vishvananda sources come from Debian
 * (golang-go, golang-github-vishvananda-netlink-dev), offline.
 *
 * @module
 */

/** A result row, as bench/main.ts prints it. */
export interface W4Row {
  workload: string;
  library: number;
  reference?: number;
  unit: string;
  target?: string;
  met?: boolean;
}

/** A peer's figure, as bench/main.ts prints the context. */
export interface W4Peer {
  workload: string;
  program: string;
  value: number;
  unit: string;
}

/** What W4 needs of the bench's run. */
export interface W4Context {
  /** The netns the bench made. */
  ns: string;
  /** Runs a command in it; resolves with stdout. */
  inNs: (cmd: string, ...args: string[]) => Promise<string>;
  /** Wall time of one process in it, in ms. */
  wall: (cmd: string, ...args: string[]) => Promise<number>;
  /** Runs a command on the host. */
  sh: (cmd: string, ...args: string[]) => Promise<string>;
  /** Alternating rounds. */
  rounds: number;
  /** bench/.out */
  out: string;
  /** bench/ */
  here: string;
  /** The built npm package's root, when Node is here. */
  npm?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function has(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Builds the Go peer (installing Debian's Go and vishvananda sources when missing). */
async function goPeer(ctx: W4Context): Promise<string> {
  const bin = `${ctx.out}/linklist`;
  const src = "/usr/share/gocode/src/github.com/vishvananda/netlink";
  const missing = [];
  if (!await has("/usr/bin/go")) missing.push("golang-go");
  if (!await has(src)) missing.push("golang-github-vishvananda-netlink-dev");
  if (missing.length) {
    const { aptInstall } = await import("../kmod/vm/apt.ts");
    await aptInstall(missing, (s) => console.error(s));
  }
  if (!await has(bin)) {
    const dir = `${ctx.out}/gopath`;
    await Deno.mkdir(`${dir}/src/linklist`, { recursive: true });
    await Deno.copyFile(`${ctx.here}peers/linklist.go`, `${dir}/src/linklist/main.go`);
    const r = await new Deno.Command("go", {
      args: ["build", "-o", bin, "linklist"],
      cwd: `${dir}/src/linklist`,
      env: {
        GO111MODULE: "off",
        GOPATH: `${dir}:/usr/share/gocode`,
        GOCACHE: `${ctx.out}/gocache`,
        GOFLAGS: "-mod=mod",
      },
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(`go build: ${new TextDecoder().decode(r.stderr)}`);
  }
  return bin;
}

/** Per-dump times of `lines` ("ms links ..."), after `warm` dumps, checking the count. */
function times(text: string, warm: number, links: number, who: string): number[] {
  const lines = text.trim().split("\n").map((l) => l.split(" ").map(Number));
  for (const [, n] of lines) {
    if (n < links) throw new Error(`${who} saw ${n} links, not ${links}`);
  }
  return lines.slice(warm).map(([ms]) => ms);
}

/** Runs W4 in `ctx.ns` (which it fills with 1,000 veth pairs and leaves so). */
export async function benchLinks(
  ctx: W4Context,
): Promise<{ rows: W4Row[]; context: W4Peer[] }> {
  const pairs = 1000;
  const batch = [];
  for (let i = 0; i < pairs; i++) batch.push(`link add w${i}a type veth peer name w${i}b`);
  await Deno.writeTextFile(`${ctx.out}/links.batch`, batch.join("\n") + "\n");
  await ctx.sh("ip", "-n", ctx.ns, "-batch", `${ctx.out}/links.batch`);
  const links = 2 * pairs;
  const go = await goPeer(ctx);
  const py = `${ctx.here}peers/get_links.py`;
  const deno = Deno.execPath();
  const lib = () =>
    ctx.inNs(deno, "run", "--allow-ffi", "--allow-read", `${ctx.here}links.mjs`, "25");
  const dumps = "25", warm = 5;
  const steady: Record<string, number[]> = { lib: [], go: [], py: [], node: [] };
  const whole: Record<string, number[]> = { lib: [], go: [], py: [], ip: [], node: [] };
  const nodeMod = ctx.npm ? `${ctx.npm}/esm/src/rtnl/mod.js` : undefined;
  for (let r = 0; r < ctx.rounds; r++) {
    steady.lib.push(...times(await lib(), warm, links, "library"));
    steady.go.push(...times(await ctx.inNs(go, dumps), warm, links, "vishvananda"));
    steady.py.push(
      ...times(await ctx.inNs("/usr/bin/python3", py, dumps), warm, links, "pyroute2"),
    );
    if (nodeMod) {
      steady.node.push(
        ...times(
          await ctx.inNs("node", `${ctx.here}links.mjs`, dumps, nodeMod),
          warm,
          links,
          "node",
        ),
      );
    }
    whole.lib.push(
      await ctx.wall(deno, "run", "--allow-ffi", "--allow-read", `${ctx.here}links.mjs`, "1"),
    );
    whole.go.push(await ctx.wall(go, "1"));
    whole.py.push(await ctx.wall("/usr/bin/python3", py, "1"));
    whole.ip.push(await ctx.wall("ip", "-j", "-d", "-s", "link", "show"));
    if (nodeMod) whole.node.push(await ctx.wall("node", `${ctx.here}links.mjs`, "1", nodeMod));
  }
  const rows: W4Row[] = [];
  const peers = (m: Record<string, number[]>, names: Record<string, string>) =>
    Object.entries(names).map(([k, name]) => ({ name, ms: median(m[k]) }))
      .sort((a, b) => a.ms - b.ms);
  const row = (
    what: string,
    ms: number,
    m: Record<string, number[]>,
    names: Record<string, string>,
  ) => {
    const best = peers(m, names)[0];
    rows.push({
      workload:
        `W4 ${links} links fully decoded, ${what} (reference: ${best.name}, the fastest peer)`,
      library: ms,
      reference: best.ms,
      unit: "ms",
      target: "< every peer",
      met: ms < best.ms,
    });
  };
  const steadyPeers = { go: "vishvananda LinkList", py: "pyroute2 get_links" };
  const wholePeers = { ...steadyPeers, ip: "ip -j -d -s link" };
  row("steady state", median(steady.lib), steady, steadyPeers);
  row("whole process", median(whole.lib), whole, wholePeers);
  if (nodeMod) {
    row("steady state, on Node (npm build)", median(steady.node), steady, steadyPeers);
    row("whole process, on Node (npm build)", median(whole.node), whole, wholePeers);
  }
  const context: W4Peer[] = [];
  for (const [k, name] of Object.entries(wholePeers)) {
    if (k !== "ip") {
      context.push({
        workload: "W4 steady state",
        program: name,
        value: median(steady[k]),
        unit: "ms",
      });
    }
    context.push({
      workload: "W4 whole process",
      program: name,
      value: median(whole[k]),
      unit: "ms",
    });
  }
  return { rows, context };
}
