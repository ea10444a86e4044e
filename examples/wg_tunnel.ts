/**
 * A WireGuard tunnel between two network namespaces, from TypeScript only:
 * the namespaces, a veth between them, a wg0 in each with fresh keys,
 * addresses and peers, then a UDP datagram through the tunnel and back,
 * and the handshake time and transfer counters read back (what `wg show`
 * prints). The configuration takes no `ip` or `wg` command; the datagram's
 * two ends are `deno eval` children that `ip netns exec` puts in the
 * namespaces (a process cannot move itself).
 *
 *     deno run -A examples/wg_tunnel.ts [--keep]
 *
 * Needs root and a kernel with WireGuard (`modprobe wireguard`); --keep
 * leaves the namespaces (wg-a, wg-b) for a look with `ip netns exec wg-a wg`.
 */
import { parseArgs } from "../src/cli/args.ts";
import { NetlinkError } from "../mod.ts";
import { FamilyUnavailableError } from "../src/ynl/mod.ts";
import { createNetns, deleteNetns, Rtnl } from "../src/rtnl/mod.ts";
import { generateKeyPair, generatePresharedKey, WireGuard } from "../src/wireguard/mod.ts";

const { values } = parseArgs({ args: Deno.args, options: { keep: { type: "boolean" } } });
const A = "wg-a", B = "wg-b";

// the datagram's two ends, node:dgram under `deno eval`
const ECHO = `
import dgram from "node:dgram";
const s = dgram.createSocket("udp4");
s.on("message", (m, r) => s.send(m, r.port, r.address));
s.bind(6000, Deno.args[0], () => console.log("ready"));
setTimeout(() => Deno.exit(1), 15000);
`;
const SEND = `
import dgram from "node:dgram";
const s = dgram.createSocket("udp4");
s.on("message", (m) => { console.log(new TextDecoder().decode(m)); Deno.exit(0); });
const send = () => s.send("hello from wg-a", 6000, Deno.args[0]);
send();
setInterval(send, 1000);
setTimeout(() => Deno.exit(1), 10000);
`;

async function side(ns: string, under: string, inner: string) {
  await using rtnl = Rtnl.open({ netns: ns });
  await rtnl.addAddress(ns === A ? "va" : "vb", under);
  await rtnl.setLinkUp(ns === A ? "va" : "vb");
  await rtnl.addLink("wg0", { kind: "wireguard" });
  await rtnl.addAddress("wg0", inner);
}

createNetns(A);
createNetns(B);
try {
  {
    await using rtnl = Rtnl.open({ netns: A });
    await rtnl.addVeth("va", "vb");
    await rtnl.setLink("vb", { netns: B });
  }
  await side(A, "192.168.77.1/24", "10.99.0.1/24");
  await side(B, "192.168.77.2/24", "10.99.0.2/24");

  const a = await generateKeyPair(), b = await generateKeyPair();
  const psk = generatePresharedKey();
  await using wa = await WireGuard.open({ netns: A });
  await using wb = await WireGuard.open({ netns: B });
  await wa.set("wg0", {
    privateKey: a.privateKey,
    listenPort: 51820,
    replacePeers: true,
    peers: [{
      publicKey: b.publicKey,
      presharedKey: psk,
      endpoint: "192.168.77.2:51821",
      allowedIps: ["10.99.0.2/32"],
      persistentKeepalive: 25,
    }],
  });
  await wb.set("wg0", {
    privateKey: b.privateKey,
    listenPort: 51821,
    replacePeers: true,
    peers: [{
      publicKey: a.publicKey,
      presharedKey: psk,
      endpoint: "192.168.77.1:51820",
      allowedIps: ["10.99.0.1/32"],
    }],
  });
  for (const ns of [A, B]) {
    await using rtnl = Rtnl.open({ netns: ns });
    await rtnl.setLinkUp("wg0");
  }
  console.log(`${A} wg0: public key ${a.publicKey}, listening on 51820`);
  console.log(`${B} wg0: public key ${b.publicKey}, listening on 51821`);

  // one datagram through the tunnel and back (the echo answers each one it gets: an answer
  // sent while the first handshake completes may be lost, and the sender tries again)
  const child = (ns: string, code: string) =>
    new Deno.Command("ip", {
      args: ["netns", "exec", ns, Deno.execPath(), "eval", code, "10.99.0.2"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    });
  const echo = child(B, ECHO).spawn();
  const reader = echo.stdout.getReader();
  await reader.read(); // "ready": bound
  reader.releaseLock();
  const client = await child(A, SEND).output();
  try {
    echo.kill();
  } catch {
    // it had already gone (its own time limit)
  }
  await echo.output();
  console.log(`through the tunnel: ${new TextDecoder().decode(client.stdout).trim() || "nothing"}`);

  for (const [ns, wg] of [[A, wa], [B, wb]] as const) {
    const d = await wg.get("wg0");
    for (const p of d.peers) {
      console.log(
        `${ns} peer ${p.publicKey.slice(0, 8)}… endpoint ${p.endpoint}, allowed ${p.allowedIps}, ` +
          `handshake ${
            p.lastHandshake?.toISOString() ?? "none"
          }, rx ${p.rxBytes} B, tx ${p.txBytes} B`,
      );
    }
  }
} catch (e) {
  // a kernel without WireGuard refuses the link kind, or has no family to resolve
  const kindless = e instanceof NetlinkError && e.code === "EOPNOTSUPP";
  if (e instanceof FamilyUnavailableError || kindless) {
    console.error("this kernel has no WireGuard: modprobe wireguard, or run it in the VM suite");
    Deno.exitCode = 1;
  } else throw e;
} finally {
  if (!values.keep) {
    deleteNetns(A);
    deleteNetns(B);
  }
}
