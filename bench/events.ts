/**
 * W2, the library's side, on RTNLGRP_IPV4_ROUTE with the library's
 * defaults (a socket that joins groups asks for a 32 MiB buffer):
 *   listen <expected> <idle-ms>   prints "got lost overruns cpu_us"
 *   drain <settle-ms>             once stdin says the burst is queued (a line),
 *                                 and settle-ms later: prints "got ms overruns"
 *
 *     deno run --allow-ffi bench/events.ts listen 100000 2000
 */
import process from "node:process";
import { NETLINK, NetlinkSocket, Overrun } from "../mod.ts";

const [mode = "listen", a = "100000", b = "2000"] = Deno.args;
await using sock = NetlinkSocket.open(NETLINK.ROUTE, { groups: [7 /* RTNLGRP_IPV4_ROUTE */] });
console.log("ready");
let got = 0, overruns = 0, lastAt = 0;

/** Waits for a line on stdin: the bench writes one once the whole burst is queued. */
async function waitForGo(): Promise<void> {
  const buf = new Uint8Array(16);
  while (!new TextDecoder().decode(buf).includes("\n")) {
    if (await Deno.stdin.read(buf) === null) return;
  }
}

/** Ends the stream once `idleMs` pass without an event: one timer, not one per event. */
function idleStop(idleMs: number): AbortSignal {
  const ctl = new AbortController();
  let seen = -1;
  const t = setInterval(() => {
    if (got + overruns === seen) {
      clearInterval(t);
      ctl.abort();
    }
    seen = got + overruns;
  }, idleMs);
  return ctl.signal;
}

async function consume(signal: AbortSignal, limit: number, stamp: boolean): Promise<void> {
  try {
    for await (const m of sock.events({ signal })) {
      if (stamp) lastAt = performance.now();
      if (m instanceof Overrun) overruns++;
      else if (++got >= limit) return;
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}

if (mode === "drain") {
  await waitForGo();
  await new Promise((r) => setTimeout(r, Number(a)));
  const t0 = performance.now();
  await consume(idleStop(20), Infinity, true);
  console.log(`${got} ${(lastAt - t0).toFixed(3)} ${overruns}`);
} else {
  const c0 = process.cpuUsage();
  await consume(idleStop(Number(b)), Number(a), false);
  const c = process.cpuUsage(c0);
  console.log(`${got} ${Number(a) - got} ${overruns} ${c.user + c.system}`);
}
Deno.exit(0);
