/**
 * A conntrack watcher: the table's size and what is in it, then every new,
 * updated and destroyed connection as it happens, optionally only those of
 * a protocol and port, until Ctrl-C or --seconds; lost events (an overrun)
 * are said, and the table re-read. Then, with --prune-mark, delete what
 * carries a mark. No `conntrack` command involved.
 *
 *     deno run -A examples/conntrack_watch.ts [--netns NS] [--protocol udp] [--dport 53]
 *                                            [--seconds 30] [--prune-mark 0x10]
 *     deno run -A examples/conntrack_watch.ts --demo   # its own namespace and entries
 *
 * Needs root (CAP_NET_ADMIN).
 */
import { parseArgs } from "../src/cli/args.ts";
import { Conntrack, type ConntrackEntry, type ConntrackFilter } from "../src/conntrack/mod.ts";
import { createNetns, deleteNetns } from "../src/rtnl/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    netns: { type: "string" },
    protocol: { type: "string" },
    dport: { type: "string" },
    seconds: { type: "string" },
    "prune-mark": { type: "string" },
    demo: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: conntrack_watch.ts [--netns NS] [--protocol P] [--dport N] [--seconds N] [--prune-mark M] [--demo]",
  );
  Deno.exit(0);
}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name}: not a number: ${text}`);
    Deno.exit(2);
  }
  return n;
}

const filter: ConntrackFilter = {};
if (values.protocol || values.dport) {
  filter.orig = {};
  if (values.protocol) filter.orig.protocol = values.protocol as "udp";
  const dport = number("dport", values.dport);
  if (dport !== undefined) filter.orig.dport = dport;
}
const seconds = number("seconds", values.seconds) ?? (values.demo ? 5 : undefined);
const pruneMark = number("prune-mark", values["prune-mark"]) ?? (values.demo ? 0x10 : undefined);

function show(e: ConntrackEntry): string {
  const t = e.orig;
  const port = (p?: number) => (p === undefined ? "" : `:${p}`);
  const flags = e.statusNames.includes("seen-reply") ? "" : " [UNREPLIED]";
  return `proto ${t.protocol} ${t.src}${port(t.sport)} -> ${t.dst}${port(t.dport)}` +
    `${e.tcpState ? ` ${e.tcpState}` : ""}${flags} mark=${e.mark ?? 0} zone=${e.zone ?? 0}`;
}

const netns = values.demo ? `nlts-watch-${crypto.randomUUID().slice(0, 6)}` : values.netns;
if (values.demo) createNetns(netns!);
try {
  await using ct = await Conntrack.open({ netns });
  const { entries, maxEntries } = await ct.count();
  console.log(`${entries} entries of at most ${maxEntries}`);
  for await (const e of ct.dump(filter)) console.log(`  ${show(e)}`);

  const stop = new AbortController();
  const onSigint = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSigint);
  const signal = seconds === undefined
    ? stop.signal
    : AbortSignal.any([stop.signal, AbortSignal.timeout(seconds * 1000)]);
  const events = ct.events(["new", "update", "destroy"], { signal, filter });
  const first = events.next(); // subscribed from here

  if (values.demo) {
    // what traffic would make: a UDP flow, its mark changed, and it going away
    const orig = {
      src: "10.0.0.1",
      dst: "10.0.0.2",
      protocol: "udp" as const,
      sport: 5353,
      dport: 53,
    };
    await ct.create({ orig, timeout: 60, mark: 0x11 });
    await ct.update({ orig, mark: 0x12 });
    await ct.create({ orig: { ...orig, sport: 5354 }, timeout: 60 });
  }

  try {
    let next = first;
    for (;;) {
      const { value, done } = await next;
      if (done) break;
      if (value.kind === "overrun") {
        console.log("events were lost: re-reading the table");
        console.log(`${(await ct.count()).entries} entries now`);
      } else console.log(`${value.kind.padEnd(7)} ${show(value.entry)}`);
      if (values.demo && value.kind === "new" && value.entry.orig.sport === 5354) break;
      next = events.next();
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    await events.return?.();
  }

  if (pruneMark !== undefined) {
    const n = await ct.delete({ mark: pruneMark, markMask: pruneMark });
    console.log(`pruned ${n} entries with mark bits 0x${pruneMark.toString(16)}`);
  }
  console.log(`${(await ct.count()).entries} entries left`);
} finally {
  if (values.demo) deleteNetns(netns!);
}
