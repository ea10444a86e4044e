/**
 * Runs inside the VM (kmod/vm/harness.ts bench): a request round trip to
 * the nlrtable module (NLRT_MSG_GETROUTE of one entry, with NLM_F_ACK) from
 * Deno and from a minimal C client (bench/c/nlrt_roundtrip.c), in
 * alternating rounds. Prints medians and the ratio; asserts nothing.
 *
 *     deno run -A bench/kmod_roundtrip.ts /bin/nlrt_roundtrip
 */
import { MessageWriter, NetlinkSocket } from "../mod.ts";
import { NLRT_A, NLRT_MSG, NlrTable } from "../src/nlrtable/mod.ts";

const cClient = Deno.args[0] ?? "/bin/nlrt_roundtrip";
const PER = 5000;
const ROUNDS = 7;

await using table = NlrTable.open();
await table.add({ dst: "10.0.0.0/24", gateway: "192.0.2.1", oif: "eth0" });

await using sock = NetlinkSocket.open(31);
const w = new MessageWriter().begin(NLRT_MSG.GETROUTE);
w.buffer.set([2, 24, 0, 0], w.fixed(4));
w.put(NLRT_A.DST, new Uint8Array([10, 0, 0, 0]));
const bytes = w.finish();

async function deno(n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const replies = await sock.request(bytes);
    if (replies.length !== 1) throw new Error(`${replies.length} replies`);
  }
  return (performance.now() - t0) * 1e6 / n;
}

async function c(n: number): Promise<number> {
  const out = await new Deno.Command(cClient, { args: [String(n)], stdout: "piped" }).output();
  if (!out.success) throw new Error("the C client failed");
  return Number(/ns_per_request (\d+)/.exec(new TextDecoder().decode(out.stdout))![1]);
}

async function typed(n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await table.get("10.0.0.0/24");
  return (performance.now() - t0) * 1e6 / n;
}

await deno(20_000); // let the JIT settle, as in a long-running process
await typed(5_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = { c: [] as number[], deno: [] as number[], typed: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  rows.c.push(await c(PER));
  rows.deno.push(await deno(PER));
  rows.typed.push(await typed(PER));
}
await table.delete("10.0.0.0/24");
const ref = median(rows.c);
console.log(`nlrtable request round trip in the VM (TCG), ${ROUNDS} alternating rounds of ${PER}`);
console.log("| client | µs/request | x C |");
console.log("|---|---|---|");
for (
  const [name, xs] of [
    ["minimal C client (recv loop)", rows.c],
    ["NetlinkSocket.request (raw bytes)", rows.deno],
    ["NlrTable.get (typed entry)", rows.typed],
  ] as const
) {
  console.log(`| ${name} | ${(median(xs) / 1000).toFixed(2)} | ${(median(xs) / ref).toFixed(2)} |`);
}
