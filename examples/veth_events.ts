/**
 * The main job, on the host kernel: in a throwaway network namespace, one
 * socket listens to link events while another creates and deletes a veth
 * pair by request; the timeline shows the kernel speaking first.
 *
 *     deno run --allow-ffi --allow-read --allow-run examples/veth_events.ts
 *
 * Needs root (CAP_NET_ADMIN) for the namespace.
 */
import { MessageWriter, NETLINK, NetlinkError, NetlinkSocket, NLM_F, Overrun } from "../mod.ts";

const RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18;
const IFLA_IFNAME = 3, IFLA_LINKINFO = 18, IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1, RTNLGRP_LINK = 1;

const t0 = performance.now();
const say = (who: string, what: string) =>
  console.log(`${((performance.now() - t0) / 1000).toFixed(3)}s  ${who.padEnd(9)} ${what}`);

function linkName(
  m: { attributes(n: number): { next(): boolean; type: number; string(): string } },
) {
  const ad = m.attributes(16);
  while (ad.next()) if (ad.type === IFLA_IFNAME) return ad.string();
  return "?";
}

async function ip(...args: string[]) {
  const out = await new Deno.Command("ip", { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

// Requests complete without leaving the microtask queue; a pause lets the
// listener's wake-up (a macrotask) print in step with them.
const pause = () => new Promise((r) => setTimeout(r, 100));

const ns = `nlts-demo-${crypto.randomUUID().slice(0, 6)}`;
await ip("netns", "add", ns);
try {
  say("setup", `network namespace ${ns}`);
  await using listener = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns, groups: [RTNLGRP_LINK] });
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns });
  say("listener", `joined RTNLGRP_LINK as port ${listener.portId}`);

  const seen = new Set<string>();
  const done = (async () => {
    for await (const ev of listener.events({ signal: AbortSignal.timeout(10_000) })) {
      if (ev instanceof Overrun) {
        say("listener", "overrun: events lost");
        continue;
      }
      const name = linkName(ev);
      const kind = ev.type === RTM_NEWLINK ? "new" : ev.type === RTM_DELLINK ? "deleted" : ev.type;
      say("listener", `kernel says: link ${name} ${kind}`);
      if (ev.type === RTM_DELLINK) seen.add(name);
      if (seen.has("demo0") && seen.has("demo1")) return;
    }
  })();

  const add = new MessageWriter().begin(RTM_NEWLINK, NLM_F.CREATE | NLM_F.EXCL);
  add.fixed(16);
  add.string(IFLA_IFNAME, "demo0");
  const info = add.nestStart(IFLA_LINKINFO);
  add.string(IFLA_INFO_KIND, "veth");
  const data = add.nestStart(IFLA_INFO_DATA);
  const peer = add.nestStart(VETH_INFO_PEER);
  add.fixed(16);
  add.string(IFLA_IFNAME, "demo1");
  add.nestEnd(peer);
  add.nestEnd(data);
  add.nestEnd(info);
  const addBytes = add.finish().slice();
  await sock.request(addBytes);
  say("requester", "RTM_NEWLINK demo0/demo1: acknowledged");
  await pause();

  try {
    await sock.request(addBytes);
  } catch (e) {
    if (!(e instanceof NetlinkError)) throw e;
    say("requester", `again: ${e.code} (${e.extAck.message ?? "no extended ACK text"})`);
  }

  const dump = new MessageWriter().begin(RTM_GETLINK, NLM_F.DUMP);
  dump.fixed(16);
  const names = [];
  for await (const link of sock.dump(dump)) names.push(linkName(link));
  say("requester", `dump: ${names.join(", ")}`);
  await pause();

  const del = new MessageWriter().begin(RTM_DELLINK);
  del.fixed(16);
  del.string(IFLA_IFNAME, "demo0");
  await sock.request(del);
  say("requester", "RTM_DELLINK demo0: acknowledged");
  await done;
  say("done", "both ends of the pair reported deleted by the kernel");
} finally {
  await ip("netns", "del", ns);
}
