/**
 * Sends COUNT random and malformed datagrams to the nlrtable module and
 * prints a JSON summary of what came back. Run by hostile.test.ts, as root
 * and as an unprivileged user.
 *
 *     deno run -A tests/kmod/fuzz_worker.ts SEED COUNT
 *
 * Every 100 datagrams the module must still answer a greet. Error replies
 * are tallied by errno, and separately for well-formed mutations (NEWROUTE
 * and DELROUTE with NLM_F_REQUEST), which an unprivileged sender must see
 * refused with EPERM.
 */
import { errnoName, type Message, NetlinkSocket, NLA_F, NLM_F, NLMSG, Overrun } from "../../mod.ts";
import { NlrTable } from "../../src/nlrtable/mod.ts";

const seed = Number(Deno.args[0] ?? 1) >>> 0 || 1;
const count = Number(Deno.args[1] ?? 10_000);

let state = seed;
function rand(n: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
}
const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)];

const TYPES = [0, 1, 2, 3, 4, 15, 16, 17, 18, 19, 20, 21, 22, 0x7fff, 0xffff] as const;
const FAMILIES = [0, 2, 10, 2, 10, 1, 255] as const;

function bytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
}

/** One attribute, often well-typed, sometimes not at all. */
function attr(): Uint8Array {
  const type = rand(10) < 8 ? 1 + rand(9) : rand(0x10000);
  let value: Uint8Array;
  switch (type & 0x3fff) {
    case 1:
    case 2:
      value = rand(4)
        ? (rand(2) ? new Uint8Array([10, 250, rand(4), 0]) : bytes(16))
        : bytes(rand(24));
      break;
    case 3:
    case 7:
      value = new TextEncoder().encode("x".repeat(rand(300)) + (rand(4) ? "\0" : ""));
      break;
    case 4:
      value = new Uint8Array(new Uint32Array([rand(4) ? rand(3000) : rand(0xffffffff)]).buffer);
      break;
    default:
      value = bytes(rand(40));
  }
  const flags = rand(8) === 0 ? NLA_F.NESTED : rand(8) === 0 ? NLA_F.NET_BYTEORDER : 0;
  const len = 4 + value.length;
  const out = new Uint8Array((len + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, rand(16) === 0 ? rand(0x10000) : len, true); // sometimes a lying length
  v.setUint16(2, (type & 0x3fff) | flags, true);
  out.set(value, 4);
  return out;
}

function wellFormed(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + value.length + 3) & ~3);
  new DataView(out.buffer).setUint16(0, 4 + value.length, true);
  new DataView(out.buffer).setUint16(2, type, true);
  out.set(value, 4);
  return out;
}

/** One message: a plausible header and payload, then maybe corrupted. */
function message(seq: number): Uint8Array {
  const parts: Uint8Array[] = [];
  if (rand(4) === 0) {
    // well formed, on a few keys: adds, replaces, watches, timers that fire
    parts.push(new Uint8Array([2, 24, 0, 0]), wellFormed(1, new Uint8Array([10, 250, rand(4), 0])));
    if (rand(2)) parts.push(wellFormed(4, new Uint8Array(new Uint32Array([1 + rand(500)]).buffer)));
    if (rand(2)) parts.push(wellFormed(3, new TextEncoder().encode("eth0\0")));
  } else if (rand(6)) {
    const rtm = new Uint8Array([
      pick(FAMILIES),
      rand(4) ? pick([0, 8, 16, 24, 32, 64, 128]) : rand(256),
      rand(8) ? 0 : rand(256),
      rand(8) ? 0 : 1,
    ]);
    parts.push(rtm);
    for (let n = rand(5); n > 0; n--) parts.push(attr());
  } else {
    parts.push(bytes(rand(8)));
  }
  const payload = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(16 + payload);
  let at = 16;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  const v = new DataView(out.buffer);
  let len = out.length;
  const lie = rand(12);
  if (lie === 0) len = rand(16); // below the header
  else if (lie === 1) len = out.length + 1 + rand(64); // past the datagram
  else if (lie === 2) len = 16 + rand(payload + 1); // cuts into the payload
  v.setUint32(0, len, true);
  v.setUint16(4, pick(TYPES), true);
  let flags = rand(5) ? NLM_F.REQUEST : 0;
  if (rand(2)) flags |= NLM_F.ACK;
  if (rand(3) === 0) flags |= pick([NLM_F.CREATE, NLM_F.EXCL, NLM_F.REPLACE, NLM_F.DUMP]);
  if (rand(3) === 0) flags |= NLM_F.CREATE | NLM_F.REPLACE;
  if (rand(16) === 0) flags = rand(0x10000);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, rand(4) ? 0 : rand(0xffffffff), true);
  return rand(20) ? out : out.subarray(0, rand(out.length)); // sometimes truncated
}

/** A datagram: one message, or several back to back. */
function datagram(seq: number): Uint8Array {
  if (rand(5)) return message(seq);
  const ms = Array.from({ length: 2 + rand(3) }, () => message(seq));
  const out = new Uint8Array(ms.reduce((a, m) => a + ((m.length + 3) & ~3), 0));
  let at = 0;
  for (const m of ms) {
    out.set(m, at);
    at += (m.length + 3) & ~3;
  }
  return out;
}

/** Is this datagram one well-formed mutation the kernel will process? */
function isMutation(d: Uint8Array): boolean {
  if (d.length < 20) return false;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const len = v.getUint32(0, true);
  const type = v.getUint16(4, true);
  const flags = v.getUint16(6, true);
  return len === d.length && (type === 17 || type === 18) && (flags & NLM_F.REQUEST) !== 0;
}

const summary = {
  uid: Deno.uid(),
  sent: 0,
  sendErrors: {} as Record<string, number>,
  replies: 0,
  errors: {} as Record<string, number>,
  mutationsSent: 0,
  mutationReplies: {} as Record<string, number>,
  greets: 0,
  overruns: 0,
};
const tally = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);

await using sock = NetlinkSocket.open(31, { receiveBufferSize: 4 << 20 });
await using table = NlrTable.open();
const mutations = new Set<number>();

function account(m: Message | Overrun): void {
  summary.replies++;
  if (m instanceof Overrun) {
    summary.overruns++;
    return;
  }
  if (m.type !== NLMSG.ERROR || m.length < 36) return;
  const v = new DataView(m.data.buffer, m.data.byteOffset + m.offset);
  const errno = -v.getInt32(16, true);
  const name = errno ? errnoName(errno) : "ACK";
  tally(summary.errors, name);
  const seq = v.getUint32(20 + 8, true);
  if (mutations.has(seq)) tally(summary.mutationReplies, name);
}

async function drain(): Promise<void> {
  // What is queued is handed out without leaving the microtask queue, so a
  // signal that fires on the next timer turn ends the loop once the queue is
  // empty (an already aborted signal would reject at once, queue or not).
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 0);
  const it = sock.events({ signal: stop.signal });
  try {
    await readAll(it);
  } finally {
    clearTimeout(timer);
  }
}

async function readAll(it: AsyncIterableIterator<Message | Overrun>): Promise<void> {
  for (;;) {
    try {
      const r = await it.next();
      if (r.done) return;
      account(r.value);
    } catch {
      return; // nothing queued
    }
  }
}

for (let i = 0; i < count; i++) {
  const seq = (0x80000000 | i) >>> 0; // apart from the socket's own request numbers
  const d = datagram(seq);
  if (isMutation(d)) {
    mutations.add(seq);
    summary.mutationsSent++;
  }
  try {
    sock.send(d);
    summary.sent++;
  } catch (e) {
    tally(summary.sendErrors, (e as { code?: string }).code ?? String(e));
  }
  if (i % 100 === 99 || i === count - 1) {
    // the module must still answer; everything it said before is queued by now
    await sock.request(
      new Uint8Array([20, 0, 0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      { timeoutMs: 10_000 },
    );
    await table.greet("still there?", { timeoutMs: 10_000 });
    summary.greets++;
    await drain();
  }
}
console.log(JSON.stringify(summary));
