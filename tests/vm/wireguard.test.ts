/**
 * WireGuard in the VM (the host kernel has no wireguard): the library
 * configures a tunnel between two namespaces joined by a veth, `wg show
 * all dump` shows the same configuration field by field, a ping (busybox's)
 * crosses the tunnel, and the library then reads the handshake and the
 * transfer counters wg reads. Then the set semantics: replace-allowed-IPs,
 * adding, update-only, replace-peers, removal, an IPv6 endpoint.
 */
import assert from "node:assert/strict";
import { NetlinkError } from "../../mod.ts";
import {
  generateKeyPair,
  generatePresharedKey,
  type WgDevice,
  WireGuard,
} from "../../src/wireguard/mod.ts";
import { ignoreUnlessRoot, makeNetns, type Netns, run, waitOperUp } from "../helpers/netns.ts";

/** The modules the VM loads for this file. */
export const VM_MODULES = ["wireguard", "veth"];

/** `wg show all dump` of a namespace, as rows of strings (tabs split). */
async function wgDump(ns: Netns): Promise<string[][]> {
  const out = await run("ip", "netns", "exec", ns.name, "wg", "show", "all", "dump");
  return out.trim().split("\n").filter((l) => l).map((l) => l.split("\t"));
}

/** The device row, then the peer rows sorted (wg sorts peers by handshake, qsort: not stably). */
function sorted(rows: string[][]): string[][] {
  return [rows[0], ...rows.slice(1).sort((x, y) => x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0)];
}

/** What the library reads, in the rows `wg show all dump` prints. */
function libraryDump(d: WgDevice): string[][] {
  const rows = [[
    d.ifname,
    d.privateKey ?? "(none)",
    d.publicKey ?? "(none)",
    String(d.listenPort),
    d.fwmark ? `0x${d.fwmark.toString(16)}` : "off",
  ]];
  for (const p of d.peers) {
    rows.push([
      d.ifname,
      p.publicKey,
      p.presharedKey ?? "(none)",
      p.endpoint ?? "(none)",
      p.allowedIps.length ? p.allowedIps.join(",") : "(none)",
      String(p.lastHandshakeTime.sec),
      String(p.rxBytes),
      String(p.txBytes),
      p.persistentKeepalive ? String(p.persistentKeepalive) : "off",
    ]);
  }
  return rows;
}

const ECHO_SERVER = `
import dgram from "node:dgram";
const [host, port] = Deno.args;
const s = dgram.createSocket("udp4");
s.on("message", (m, r) => s.send(m, r.port, r.address, () => Deno.exit(0)));
s.bind(Number(port), host, () => console.log("ready"));
setTimeout(() => Deno.exit(3), 20000);
`;

const ECHO_CLIENT = `
import dgram from "node:dgram";
const [host, port] = Deno.args;
const s = dgram.createSocket("udp4");
s.on("message", (m) => { console.log(new TextDecoder().decode(m)); s.close(); Deno.exit(0); });
const send = () => s.send("hello through the tunnel", Number(port), host);
send();
setInterval(send, 1000); // the first may wait for the handshake
setTimeout(() => Deno.exit(3), 15000);
`;

/** One UDP datagram from `a` to `host:port` in `b` and its echo back; resolves with the echo. */
async function udpEcho(a: Netns, b: Netns, host: string, port: number): Promise<string> {
  const deno = Deno.execPath();
  const server = new Deno.Command("ip", {
    args: ["netns", "exec", b.name, deno, "eval", ECHO_SERVER, host, String(port)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = server.stdout.getReader();
  const ready = await reader.read();
  assert.match(new TextDecoder().decode(ready.value), /ready/);
  reader.releaseLock();
  const client = await new Deno.Command("ip", {
    args: ["netns", "exec", a.name, deno, "eval", ECHO_CLIENT, host, String(port)],
  }).output();
  const out = await server.output();
  const t = new TextDecoder();
  assert.ok(client.success, `client: ${t.decode(client.stderr)}`);
  assert.ok(out.success, `server: ${t.decode(out.stderr)}`);
  return t.decode(client.stdout).trim();
}

/** Two namespaces joined by a veth (192.168.77.1 and .2), each with a wg0 the library configures. */
async function tunnel(a: Netns, b: Netns) {
  await a.ip("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.name);
  await a.ip("addr", "add", "192.168.77.1/24", "dev", "va");
  await b.ip("addr", "add", "192.168.77.2/24", "dev", "vb");
  await a.ip("link", "set", "va", "up");
  await b.ip("link", "set", "vb", "up");
  await a.ip("link", "add", "wg0", "type", "wireguard");
  await b.ip("link", "add", "wg0", "type", "wireguard");
  await a.ip("addr", "add", "10.99.0.1/24", "dev", "wg0");
  await b.ip("addr", "add", "10.99.0.2/24", "dev", "wg0");
  const ka = await generateKeyPair(), kb = await generateKeyPair();
  const psk = generatePresharedKey();
  await using wa = await WireGuard.open({ netns: a.name });
  await using wb = await WireGuard.open({ netns: b.name });
  await wa.set("wg0", {
    privateKey: ka.privateKey,
    listenPort: 51820,
    fwmark: 0x42,
    replacePeers: true,
    peers: [{
      publicKey: kb.publicKey,
      presharedKey: psk,
      endpoint: "192.168.77.2:51821",
      allowedIps: ["10.99.0.2/32", "fd99::/64"],
      persistentKeepalive: 25,
    }],
  });
  await wb.set("wg0", {
    privateKey: kb.privateKey,
    listenPort: 51821,
    peers: [{
      publicKey: ka.publicKey,
      presharedKey: psk,
      endpoint: "192.168.77.1:51820",
      allowedIps: ["10.99.0.1/32"],
    }],
  });
  await a.ip("link", "set", "wg0", "up");
  await b.ip("link", "set", "wg0", "up");
  await waitOperUp(a, "va");
  await waitOperUp(b, "vb");
  return { ka, kb, psk };
}

Deno.test({
  name:
    "a tunnel the library configures: wg show all dump agrees, UDP and a ping cross it, handshake and counters read back",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using a = await makeNetns();
    await using b = await makeNetns();
    const { ka, kb, psk } = await tunnel(a, b);
    await using wa = await WireGuard.open({ netns: a.name });
    await using wb = await WireGuard.open({ netns: b.name });

    const before = await wa.get("wg0");
    assert.equal(before.publicKey, ka.publicKey, "the kernel derives the public key we derived");
    assert.equal(before.privateKey, ka.privateKey);
    assert.deepEqual(before.peers.map((p) => [p.publicKey, p.presharedKey]), [[kb.publicKey, psk]]);
    assert.equal(before.peers[0].lastHandshake, undefined, "no handshake before traffic");
    assert.deepEqual(sorted(libraryDump(before)), sorted(await wgDump(a)));
    assert.deepEqual(sorted(libraryDump(await wb.get("wg0"))), sorted(await wgDump(b)));

    // a UDP echo through the tunnel (Deno's node:dgram in each namespace), bounded
    const echo = await udpEcho(a, b, "10.99.0.2", 6000);
    assert.equal(echo, "hello through the tunnel");
    // and busybox's ping (once the handshake is done: a ping sent while the first
    // handshake runs was seen to lose its replies), bounded
    await run(
      "ip",
      "netns",
      "exec",
      a.name,
      "timeout",
      "20",
      "ping",
      "-c",
      "2",
      "-W",
      "2",
      "10.99.0.2",
    );

    const after = await wa.get("wg0");
    const peer = after.peers[0];
    assert.ok(peer.lastHandshake instanceof Date, "a handshake happened");
    assert.ok(peer.rxBytes > 0n && peer.txBytes > 0n, `rx ${peer.rxBytes} tx ${peer.txBytes}`);
    // the same numbers wg reads (keepalive is 25 s: nothing moves between the two reads)
    assert.deepEqual(sorted(libraryDump(after)), sorted(await wgDump(a)));
    const pb = (await wb.get("wg0")).peers[0];
    // every device of the namespace, as wg show all lists them
    await a.ip("link", "add", "wg7", "type", "wireguard");
    const all = await wa.devices();
    assert.deepEqual(all.map((d) => d.ifname).sort(), ["wg0", "wg7"]);
    const dumpAll = (await wgDump(a)).map((r) => r[0]);
    assert.deepEqual([...new Set(dumpAll)].sort(), ["wg0", "wg7"]);
    assert.ok(pb.rxBytes > 0n && pb.endpoint === "192.168.77.1:51820", JSON.stringify(pb.endpoint));
  },
});

Deno.test({
  name:
    "replace-allowed-IPs, adding, update-only, an IPv6 endpoint, replace-peers and removal: wg show agrees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using a = await makeNetns();
    await using wa = await WireGuard.open({ netns: a.name });
    await a.ip("link", "add", "wg0", "type", "wireguard");
    const p1 = (await generateKeyPair()).publicKey;
    const p2 = (await generateKeyPair()).publicKey;
    const p3 = (await generateKeyPair()).publicKey;
    await wa.set("wg0", {
      listenPort: 40000,
      peers: [{ publicKey: p1, allowedIps: ["10.1.0.0/16", "10.2.0.0/16"] }],
    });
    const peerRows = async () =>
      sorted(await wgDump(a)).slice(1).map((r) => [r[1], r[3], r[4], r[8]]);
    assert.deepEqual(await peerRows(), [[p1, "(none)", "10.1.0.0/16,10.2.0.0/16", "off"]]);

    // without the flag allowed IPs are added; with it they replace
    await wa.set("wg0", { peers: [{ publicKey: p1, allowedIps: ["10.3.0.0/16"] }] });
    assert.deepEqual((await peerRows())[0][2], "10.1.0.0/16,10.2.0.0/16,10.3.0.0/16");
    await wa.set("wg0", {
      peers: [{ publicKey: p1, replaceAllowedIps: true, allowedIps: ["10.9.0.0/24"] }],
    });
    assert.deepEqual((await peerRows())[0][2], "10.9.0.0/24");

    // update-only does not add a peer; a peer with an IPv6 endpoint is added
    await wa.set("wg0", {
      peers: [{ publicKey: p2, updateOnly: true, allowedIps: ["10.4.0.0/16"] }],
    });
    assert.equal((await peerRows()).length, 1);
    await wa.set("wg0", {
      peers: [{
        publicKey: p2,
        endpoint: "[fd00::7]:51820",
        persistentKeepalive: 15,
        allowedIps: ["fd00:1::/64"],
      }],
    });
    assert.deepEqual(
      await peerRows(),
      [
        [p1, "(none)", "10.9.0.0/24", "off"],
        [p2, "[fd00::7]:51820", "fd00:1::/64", "15"],
      ].sort((x, y) => x[0] < y[0] ? -1 : 1),
    );
    assert.deepEqual(sorted(libraryDump(await wa.get("wg0"))), sorted(await wgDump(a)));

    // replace-peers leaves only the ones given; removal removes one
    await wa.set("wg0", { replacePeers: true, peers: [{ publicKey: p3 }, { publicKey: p2 }] });
    assert.deepEqual((await peerRows()).map((r) => r[0]).sort(), [p2, p3].sort());
    await wa.removePeer("wg0", p3);
    assert.deepEqual((await peerRows()).map((r) => r[0]), [p2]);
    assert.deepEqual(sorted(libraryDump(await wa.get("wg0"))), sorted(await wgDump(a)));

    // what is not WireGuard is a typed error, and a bad key never leaves
    await a.ip("link", "add", "d0", "type", "veth", "peer", "name", "d1");
    await assert.rejects(wa.get("d0"), (e) => e instanceof NetlinkError);
    await assert.rejects(wa.get("nope0"), (e) => e instanceof NetlinkError && e.code === "ENODEV");
    await assert.rejects(wa.set("wg0", { privateKey: "short" }), TypeError);

    // null removes a key: the private key, a peer's preshared key
    await wa.set("wg0", {
      privateKey: (await generateKeyPair()).privateKey,
      peers: [{ publicKey: p2, presharedKey: generatePresharedKey() }],
    });
    assert.notEqual((await wgDump(a))[0][1], "(none)");
    await wa.set("wg0", { privateKey: null, peers: [{ publicKey: p2, presharedKey: null }] });
    const cleared = await wgDump(a);
    assert.deepEqual([cleared[0][1], cleared[0][2], cleared[1][2]], ["(none)", "(none)", "(none)"]);
    assert.deepEqual(sorted(libraryDump(await wa.get("wg0"))), sorted(cleared));
  },
});

Deno.test({
  name: "wg set's configuration the library decodes as wg shows it",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using a = await makeNetns();
    await a.ip("link", "add", "wg1", "type", "wireguard");
    const k = await generateKeyPair();
    const peer = (await generateKeyPair()).publicKey;
    const keyFile = await Deno.makeTempFile();
    await Deno.writeTextFile(keyFile, k.privateKey);
    await run(
      "ip",
      "netns",
      "exec",
      a.name,
      "wg",
      "set",
      "wg1",
      "private-key",
      keyFile,
      "listen-port",
      "4242",
      "fwmark",
      "0x99",
      "peer",
      peer,
      "endpoint",
      "192.0.2.9:7",
      "allowed-ips",
      "0.0.0.0/0,::/0",
      "persistent-keepalive",
      "5",
    );
    await Deno.remove(keyFile);
    await using wa = await WireGuard.open({ netns: a.name });
    const d = await wa.get("wg1");
    assert.equal(d.publicKey, k.publicKey);
    assert.equal(d.fwmark, 0x99);
    assert.deepEqual(d.peers[0].allowedIps, ["0.0.0.0/0", "::/0"]);
    assert.deepEqual(sorted(libraryDump(d)), sorted(await wgDump(a)));
  },
});

Deno.test({
  name:
    "a configuration larger than one message (40 peers, 3000 allowed IPs on one): wg show agrees",
  ignore: ignoreUnlessRoot,
  async fn() {
    await using a = await makeNetns();
    await a.ip("link", "add", "wg0", "type", "wireguard");
    await using wa = await WireGuard.open({ netns: a.name });
    const keys: string[] = [];
    for (let i = 0; i < 40; i++) keys.push((await generateKeyPair()).publicKey);
    // 3000 allowed IPs: more than one dump message holds, so the kernel continues the peer
    const big = Array.from({ length: 3000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const peers = keys.map((publicKey, i) => ({
      publicKey,
      allowedIps: i === 3 ? big : [`192.168.${i}.0/24`],
      endpoint: `192.0.2.${i + 1}:${1000 + i}`,
    }));
    await wa.set("wg0", {
      privateKey: (await generateKeyPair()).privateKey,
      replacePeers: true,
      peers,
    });
    const d = await wa.get("wg0");
    assert.equal(d.peers.length, 40);
    assert.deepEqual(d.peers.find((p) => p.publicKey === keys[3])?.allowedIps, big);
    assert.deepEqual(sorted(libraryDump(d)), sorted(await wgDump(a)));
    // again, replacing: the same device, every allowed IP of peer 3 replaced
    await wa.set("wg0", {
      replacePeers: true,
      peers: peers.map((p, i) => i === 3 ? { ...p, allowedIps: big.slice(1500) } : p),
    });
    const again = await wa.get("wg0");
    assert.deepEqual(again.peers.find((p) => p.publicKey === keys[3])?.allowedIps, big.slice(1500));
    assert.deepEqual(sorted(libraryDump(again)), sorted(await wgDump(a)));
  },
});

Deno.test({
  name: "examples/wg_tunnel.ts: a tunnel from TypeScript, a datagram through it, handshakes read",
  ignore: ignoreUnlessRoot,
  async fn() {
    const example = new URL("../../examples/wg_tunnel.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", example],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const t = new TextDecoder();
    const text = t.decode(out.stdout);
    assert.equal(out.code, 0, text + t.decode(out.stderr));
    assert.match(text, /^through the tunnel: hello from wg-a$/m);
    for (const ns of ["wg-a", "wg-b"]) {
      const line = text.split("\n").find((l) => l.startsWith(`${ns} peer `)) ?? "";
      assert.match(line, /handshake \d{4}-\d\d-\d\dT[^ ]+Z, rx [1-9]\d* B, tx [1-9]\d* B$/, line);
    }
  },
});
