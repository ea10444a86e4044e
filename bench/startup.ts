/**
 * Start-up (issue 20): what the library adds to an empty `deno run` for a
 * CLI call, `dump.ts link --json` on a small netns. Alternating rounds of
 * the reference (an empty script) and the call, both through `ip netns
 * exec`, medians of each; the target is the difference. Context rows split
 * the difference into loading the modules the call needs, then binding
 * libc (`loadSys()`, the Deno.dlopen), and the call itself; and show what
 * `node:util` alone would cost (the CLIs parse with src/cli/args.ts
 * instead). Never asserts a time.
 *
 *     deno run -A bench/startup.ts [--rounds N]     (root: makes its own netns)
 *
 * bench/main.ts runs it as `--only start`.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** One row of the bench table (the shape of bench/main.ts's rows). */
export interface StartupRow {
  /** What is measured. */
  workload: string;
  /** The library's figure. */
  library: number;
  /** The reference's figure, measured in the same run. */
  reference?: number;
  /** Unit of both. */
  unit: string;
  /** The target, as printed. */
  target?: string;
  /** Whether it was met. */
  met?: boolean;
}

/** The added start-up the target allows, in ms. */
export const STARTUP_TARGET_MS = 10;

const here = new URL(".", import.meta.url).pathname;
const dec = new TextDecoder();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function wall(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const ms = performance.now() - t0;
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return ms;
}

/**
 * Measures the start-up rows in namespace `ns` (which exists), writing its
 * scripts to `out`.
 */
export async function startupRows(
  ns: string,
  out: string,
  rounds: number,
): Promise<{ rows: StartupRow[]; context: { program: string; value: number }[] }> {
  const deno = Deno.execPath();
  const empty = `${out}/startup_empty.ts`;
  const nodeUtil = `${out}/startup_node_util.ts`;
  const imports = `${out}/startup_imports.ts`;
  const bound = `${out}/startup_bound.ts`;
  await Deno.writeTextFile(empty, "\n");
  await Deno.writeTextFile(
    nodeUtil,
    'import { parseArgs } from "node:util";\nparseArgs({ args: [], options: {} });\n',
  );
  // the modules `dump.ts link` loads, without opening a socket
  await Deno.writeTextFile(
    imports,
    `import "${here}../src/cli/usage.ts";\nawait import("${here}../src/cli/ip_json/show.ts");\n`,
  );
  // the same, and libc bound as a socket's first use binds it
  await Deno.writeTextFile(
    bound,
    `${await Deno.readTextFile(imports)}(await import("${here}../src/sys.ts")).loadSys();\n`,
  );
  const dump = `${here}../src/cli/dump.ts`;
  const inNs = (script: string, ...args: string[]) =>
    wall("ip", ["netns", "exec", ns, deno, "run", "--allow-ffi", "--allow-read", script, ...args]);
  // warm Deno's module cache first: a first run transpiles
  await inNs(dump, "link", "--json");
  await inNs(imports);
  await inNs(bound);
  await inNs(nodeUtil);
  const e: number[] = [], d: number[] = [], u: number[] = [], m: number[] = [], b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    e.push(await inNs(empty));
    d.push(await inNs(dump, "link", "--json"));
    u.push(await inNs(nodeUtil));
    m.push(await inNs(imports));
    b.push(await inNs(bound));
  }
  const added = median(d) - median(e);
  return {
    rows: [{
      workload: `Start-up: dump.ts link --json, whole process, vs an empty deno run (added ${
        added.toFixed(1)
      } ms)`,
      library: median(d),
      reference: median(e),
      unit: "ms",
      target: `<= +${STARTUP_TARGET_MS} ms`,
      met: added <= STARTUP_TARGET_MS,
    }],
    context: [
      { program: "the empty deno run itself (absolute, not added)", value: median(e) },
      {
        program: "node:util parseArgs alone (what it would add; the CLIs use src/cli/args.ts)",
        value: median(u) - median(e),
      },
      { program: "dump.ts link's modules loaded, no socket", value: median(m) - median(e) },
      { program: "the same and libc bound (loadSys)", value: median(b) - median(e) },
      { program: "dump.ts link --json", value: median(d) - median(e) },
    ],
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { rounds: { type: "string" } } });
  const rounds = Number(values.rounds ?? 15);
  if (Deno.uid() !== 0) {
    console.error("startup bench needs root for its netns");
    Deno.exit(1);
  }
  const ns = `nlts-start-${crypto.randomUUID().slice(0, 8)}`;
  const out = `${here}.out`;
  await Deno.mkdir(out, { recursive: true });
  const ip = (...args: string[]) => wall("ip", args);
  await ip("netns", "add", ns);
  try {
    await ip("-n", ns, "link", "set", "lo", "up");
    await ip("-n", ns, "link", "add", "s0", "type", "veth", "peer", "name", "s1");
    const { rows, context } = await startupRows(ns, out, rounds);
    for (const r of rows) {
      console.log(
        `${r.workload}: ${r.library.toFixed(1)} ms vs ${
          r.reference?.toFixed(1)
        } ms, target ${r.target}: ${r.met ? "met" : "missed"}`,
      );
    }
    for (const c of context) console.log(`  ${c.program}: ${c.value.toFixed(1)} ms`);
    console.log(`medians of ${rounds} alternating rounds`);
  } finally {
    await ip("netns", "del", ns);
  }
}
