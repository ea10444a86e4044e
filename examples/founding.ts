/**
 * The founding scenario, with the nlrtable module loaded: R1, R2 and R3 are
 * added, R3 with a 10 s lifetime. Two separate processes, P2 and P3, watch
 * R3; a third listens to the change group. When the kernel's timer deletes
 * R3, P2 and P3 are each notified, and the listener sees the deletion.
 *
 *     deno run -A examples/founding.ts           # as root, module loaded
 *     deno task demo                             # all of it, in a VM
 *
 * The same file is each process: `listener` and `watch NAME` are the roles.
 */
import { type NlrEntry, NlrTable, Overrun } from "../src/nlrtable/mod.ts";
import { intOption, parseCli, runCli, UsageError } from "../src/cli/usage.ts";

const cli = {
  name: "founding.ts",
  help: "usage: founding.ts [--lifetime MS]   (listener and watch NAME are its children's roles)",
};
let parsed;
await runCli(cli, () => {
  parsed = parseCli(cli, {
    t0: { type: "string" },
    lifetime: { type: "string", default: "10000" },
    help: { type: "boolean", short: "h" },
  }, 2);
  const role = parsed.positionals[0];
  if (role !== undefined && role !== "listener" && role !== "watch") {
    throw new UsageError(`unknown role "${role}": listener or watch NAME`);
  }
  intOption("--lifetime", parsed.values.lifetime as string, 1, 2 ** 31 - 1);
});
const { positionals, values } = parsed!;
const t0 = Number(values.t0 ?? Date.now());
const R3 = "10.0.3.0/24";

function say(who: string, what: string): void {
  const t = ((Date.now() - t0) / 1000).toFixed(3).padStart(7);
  console.log(`${t}s  ${who.padEnd(8)} ${what}`);
}

function describe(e: NlrEntry): string {
  return [
    e.dst,
    e.gateway && `via ${e.gateway}`,
    e.oif && `dev ${e.oif}`,
    e.expiresMs !== undefined && `expires in ${(e.expiresMs / 1000).toFixed(1)}s`,
    e.watchers && `${e.watchers} watcher(s)`,
  ].filter(Boolean).join(" ");
}

async function listener(): Promise<void> {
  await using table = NlrTable.open();
  const changes = table.changes({ signal: AbortSignal.timeout(60_000) });
  const first = changes.next(); // the first next() joins the group
  say("listener", `pid ${Deno.pid} joined the change group; ready`);
  for (let r = await first; !r.done; r = await changes.next()) {
    const ch = r.value;
    if (ch instanceof Overrun) {
      say("listener", "overrun: changes were lost");
      continue;
    }
    const why = ch.kind === "deleted" ? ` (${ch.reason})` : "";
    say("listener", `kernel multicast: ${ch.kind}${why} ${describe(ch.entry)}`);
    if (ch.kind === "deleted" && ch.entry.dst === R3) return;
  }
  throw new Error("the change stream ended before R3 was deleted");
}

/** Waits for P1's "go" line (R3 exists from then on); P1 closing stdin first is an error. */
async function go(): Promise<void> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let got = "";
  while (!got.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error("P1 went away before it added R3");
    got += r.value;
  }
  reader.releaseLock();
}

async function watcher(name: string): Promise<void> {
  // Started before R3 exists (see main); watching waits for P1's go.
  await using table = NlrTable.open();
  say(name, `pid ${Deno.pid} up; waiting for R3`);
  await go();
  await using watch = await table.watch(R3);
  say(name, `pid ${Deno.pid} watching R3 (${R3}) from port ${watch.portId}; ready`);
  for await (const ev of watch) {
    say(name, `kernel unicast: R3 deleted (${ev.reason}), notified`);
    return;
  }
  throw new Error("the watch ended without a notification");
}

function spawn(...role: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "--no-config", import.meta.filename!, ...role, `--t0=${t0}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/**
 * Relays a child's lines; `up` resolves once it printed a line ending with
 * "waiting for R3" (a watcher), `ready` once one ends with "ready".
 */
function relay(
  child: Deno.ChildProcess,
  lines: string[],
): { up: Promise<void>; ready: Promise<void> } {
  let up!: () => void, ready!: () => void, fail!: (e: Error) => void, failUp!: (e: Error) => void;
  const out = {
    up: new Promise<void>((res, rej) => (up = res, failUp = rej)),
    ready: new Promise<void>((res, rej) => (ready = res, fail = rej)),
  };
  // whichever is not awaited must not be an unhandled rejection
  out.up.catch(() => {});
  out.ready.catch(() => {});
  (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        console.log(line);
        lines.push(line);
        if (line.endsWith("waiting for R3")) up();
        if (line.endsWith("ready")) ready();
      }
    }
    const e = new Error("a child exited before it was ready");
    failUp(e);
    fail(e);
  })();
  return out;
}

async function main(): Promise<void> {
  say("P1", `pid ${Deno.pid}: the founding scenario, on the nlrtable module`);
  await using table = NlrTable.open();
  say("P1", `module says: ${(await table.greet()).greeting}`);

  const lines: string[] = [];
  const listen = spawn("listener");
  await relay(listen, lines).ready;
  await listen.stdin.close();
  // P2 and P3 start (runtime, modules, socket) before R3 exists: none of
  // its lifetime goes on a slow machine's process start
  const p2 = spawn("watch", "P2");
  const p3 = spawn("watch", "P3");
  const watchers = [relay(p2, lines), relay(p3, lines)];
  await Promise.all(watchers.map((w) => w.up));

  const lifetimeMs = Number(values.lifetime);
  await table.add({ dst: "10.0.1.0/24", gateway: "192.0.2.1", oif: "eth0" });
  say("P1", "added R1 10.0.1.0/24 via 192.0.2.1 dev eth0");
  await table.add({ dst: "10.0.2.0/24", gateway: "192.0.2.2", oif: "eth0" });
  say("P1", "added R2 10.0.2.0/24 via 192.0.2.2 dev eth0");
  await table.add({ dst: R3, gateway: "192.0.2.3", oif: "eth1", lifetimeMs });
  say("P1", `added R3 ${R3} via 192.0.2.3 dev eth1, lifetime ${lifetimeMs / 1000}s`);

  for (const p of [p2, p3]) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode("go\n"));
    await w.close();
  }
  await Promise.all(watchers.map((w) => w.ready));
  for await (const e of table.list()) say("P1", `table: ${describe(e)}`);
  say("P1", "waiting for the kernel's timer to delete R3");

  const codes = await Promise.all([listen, p2, p3].map(async (c) => (await c.status).code));
  const left: string[] = [];
  for await (const e of table.list()) left.push(e.dst);
  say("P1", `table now: ${left.join(", ")}`);
  await table.delete("10.0.1.0/24");
  await table.delete("10.0.2.0/24");

  const ok = codes.every((c) => c === 0) &&
    lines.some((l) => /P2 .*R3 deleted \(expired\), notified/.test(l)) &&
    lines.some((l) => /P3 .*R3 deleted \(expired\), notified/.test(l)) &&
    lines.some((l) => /listener .*deleted \(expired\) 10\.0\.3\.0\/24/.test(l)) &&
    !left.includes(R3);
  say("P1", ok ? "done: P2 and P3 were notified, the listener saw it" : "FAILED");
  if (!ok) Deno.exit(1);
}

await runCli(cli, async (context) => {
  context.nlrtable = true;
  if (positionals[0] === "listener") await listener();
  else if (positionals[0] === "watch") await watcher(positionals[1] ?? "P?");
  else await main();
});
