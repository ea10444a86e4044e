/**
 * Benchmarks against the C reference (libmnl), measured in the same run,
 * alternating so that a noisy machine hits both alike. Prints medians and
 * ratios; never asserts a time.
 *
 *     deno task bench [--quick]
 *
 * Needs root (a throwaway netns) and libmnl-dev (installed with apt when
 * root and missing).
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ args: Deno.args, options: { quick: { type: "boolean" } } });
const rounds = values.quick ? 2 : 6;
const here = new URL(".", import.meta.url).pathname;
const out = `${here}.out`;
await Deno.mkdir(out, { recursive: true });

async function sh(cmd: string, ...args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

if (Deno.uid() !== 0) {
  console.error("bench needs root for its netns: sudo deno task bench");
  Deno.exit(1);
}
try {
  await Deno.stat("/usr/include/libmnl/libmnl.h");
} catch {
  console.error("installing libmnl-dev");
  await sh("apt-get", "install", "-y", "--no-install-recommends", "libmnl-dev");
}
await sh("gcc", "-O2", "-Wall", "-o", `${out}/roundtrip`, `${here}c/roundtrip.c`, "-lmnl");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const ns = `nlts-bench-${crypto.randomUUID().slice(0, 8)}`;
await sh("ip", "netns", "add", ns);
try {
  await sh("ip", "-n", ns, "link", "set", "lo", "up");
  const c: number[] = [];
  const lib: number[] = [];
  const parse = (text: string) => text.trim().split("\n").map(Number);
  for (let r = 0; r < rounds; r++) {
    c.push(...parse(await sh("ip", "netns", "exec", ns, `${out}/roundtrip`, "5", "2000", "1")));
    lib.push(
      ...parse(
        await sh(
          "ip",
          "netns",
          "exec",
          ns,
          Deno.execPath(),
          "run",
          "--allow-ffi",
          `${here}roundtrip.ts`,
          "5",
          "2000",
          "1",
        ),
      ),
    );
  }
  const rows = [{
    workload: "W3 request round trip (RTM_GETLINK by index, ACK)",
    unit: "µs",
    library: median(lib),
    reference: median(c),
    target: 1.1,
  }];
  console.log(`\n| workload | library | libmnl | ratio | target | |\n|---|---|---|---|---|---|`);
  for (const row of rows) {
    const ratio = row.library / row.reference;
    console.log(
      `| ${row.workload} | ${row.library.toFixed(2)} ${row.unit} | ${
        row.reference.toFixed(2)
      } ${row.unit} | ${ratio.toFixed(2)}x | <= ${row.target}x | ${
        ratio <= row.target ? "met" : "missed"
      } |`,
    );
  }
  console.log(`\n${rounds} alternating rounds, 5 batches of 2000 requests each per round.`);
  await Deno.writeTextFile(`${out}/results.json`, JSON.stringify({ rows, c, lib }, null, 2));
} finally {
  await sh("ip", "netns", "del", ns);
}
