/**
 * WireGuard's pieces that need no kernel module, on the host: keys against
 * `wg genkey`/`wg pubkey` (Debian's wireguard-tools), endpoints and
 * allowed IPs to and from their bytes, and the flags a configuration sets.
 * The device itself is tested in the VM (tests/vm/wireguard.test.ts).
 */
import assert from "node:assert/strict";
import {
  decodeAllowedIp,
  decodeEndpoint,
  decodeKey,
  encodeAllowedIp,
  encodeDevice,
  encodeEndpoint,
  encodeKey,
  generateKeyPair,
  publicKeyOf,
} from "../src/wireguard/mod.ts";
import { ALLOWED_IPS_PER_MESSAGE, batches, PEERS_PER_MESSAGE } from "../src/wireguard/batch.ts";
import { WGDEVICE_FLAGS, WGPEER_FLAGS } from "../src/families/wireguard.ts";
import { requireTools } from "./helpers/tools.ts";
import { ignoreUnlessRoot } from "./helpers/netns.ts";

async function wg(args: string[], input?: string): Promise<string> {
  const child = new Deno.Command("wg", { args, stdin: "piped", stdout: "piped" }).spawn();
  const w = child.stdin.getWriter();
  if (input !== undefined) await w.write(new TextEncoder().encode(input));
  await w.close();
  const out = await child.output();
  assert.ok(out.success, `wg ${args.join(" ")}`);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test({
  name: "key pairs: ours are what wg pubkey derives, and wg genkey's derive as wg does",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("wg");
    for (let i = 0; i < 4; i++) {
      const mine = await generateKeyPair();
      assert.equal(await wg(["pubkey"], mine.privateKey + "\n"), mine.publicKey);
      // clamped, as wg genkey makes them
      const raw = decodeKey("k", mine.privateKey);
      assert.equal(raw[0] & 7, 0);
      assert.equal(raw[31] & 0xc0, 0x40);
      const theirs = await wg(["genkey"]);
      assert.equal(await publicKeyOf(theirs), await wg(["pubkey"], theirs + "\n"));
    }
  },
});

Deno.test("keys in and out as base64; anything else is a TypeError", () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  assert.deepEqual(decodeKey("k", encodeKey(bytes)), bytes);
  for (const bad of ["", "short", "A".repeat(44), encodeKey(bytes).slice(0, 43) + "!", 42, null]) {
    assert.throws(() => decodeKey("peer.publicKey", bad), TypeError);
  }
});

Deno.test("endpoints and allowed IPs to and from their bytes", () => {
  for (const e of ["192.0.2.1:51820", "[2001:db8::1]:1", "[fd00::1]:65535", "10.0.0.1:0"]) {
    assert.equal(decodeEndpoint(encodeEndpoint("e", e)), e);
  }
  const v4 = encodeEndpoint("e", "192.0.2.1:51820");
  assert.deepEqual([...v4.subarray(0, 8)], [2, 0, 0xca, 0x6c, 192, 0, 2, 1]); // AF_INET, port BE
  assert.equal(encodeEndpoint("e", "[fd00::1]:5").length, 28);
  for (const bad of ["192.0.2.1", "fd00::1:5", "[10.0.0.1]:5", "host:5", "1.2.3.4:70000", 5]) {
    assert.throws(() => encodeEndpoint("endpoint", bad), TypeError, String(bad));
  }
  for (const p of ["10.0.0.0/8", "0.0.0.0/0", "fd00:1::/64", "::/0", "192.0.2.7/32"]) {
    assert.equal(decodeAllowedIp(encodeAllowedIp("a", p)), p);
  }
  assert.throws(() => encodeAllowedIp("a", "10.0.0.0/33"), TypeError);
});

Deno.test("a configuration's flags: replace-peers, replace-allowedips, update-only, remove-me", async () => {
  const { publicKey } = await generateKeyPair();
  const d = encodeDevice({
    replacePeers: true,
    peers: [
      { publicKey, replaceAllowedIps: true, updateOnly: true, allowedIps: ["10.0.0.0/24"] },
      { publicKey, remove: true },
      { publicKey, presharedKey: null, persistentKeepalive: 0 },
    ],
  });
  assert.equal(d.flags, WGDEVICE_FLAGS["replace-peers"]);
  assert.equal(d.peers![0].flags, WGPEER_FLAGS["replace-allowedips"] | WGPEER_FLAGS["update-only"]);
  assert.equal(d.peers![1].flags, WGPEER_FLAGS["remove-me"]);
  assert.equal(d.peers![2].flags, undefined);
  assert.deepEqual(d.peers![2].presharedKey, new Uint8Array(32), "null: the kernel's no key");
  assert.equal(encodeDevice({ listenPort: 1 }).flags, undefined, "no replace unless asked");
  assert.throws(
    () => encodeDevice({ peers: [{ publicKey, remove: true, allowedIps: [] }] }),
    TypeError,
  );
  assert.throws(() => encodeDevice({ listenPort: 70000 }), RangeError);
  assert.throws(() => encodeDevice({ listenprot: 1 } as never), TypeError);
});

Deno.test("a large configuration splits as wg splits it: bounded messages, device fields and replace flags once", async () => {
  const keys = await Promise.all(
    Array.from({ length: 40 }, async () => (await generateKeyPair()).publicKey),
  );
  const big = Array.from({ length: 600 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
  const config = {
    listenPort: 51820,
    replacePeers: true,
    peers: keys.map((publicKey, i) => ({
      publicKey,
      replaceAllowedIps: true,
      allowedIps: i === 3 ? big : [`192.168.${i}.0/24`],
    })),
  };
  const parts = batches(config);
  assert.ok(parts.length >= 3, `${parts.length} messages`);
  assert.deepEqual(parts.map((p) => p.listenPort), [51820, ...parts.slice(1).map(() => undefined)]);
  assert.deepEqual(parts.map((p) => p.replacePeers), [
    true,
    ...parts.slice(1).map(() => undefined),
  ]);
  const got = new Map<string, string[]>();
  for (const p of parts) {
    assert.ok(p.peers!.length <= PEERS_PER_MESSAGE);
    const ips = p.peers!.reduce((n, q) => n + (q.allowedIps?.length ?? 0), 0);
    assert.ok(ips <= ALLOWED_IPS_PER_MESSAGE, `${ips} allowed IPs in one message`);
    for (const q of p.peers!) {
      const seen = got.get(q.publicKey);
      if (seen) {
        assert.equal(q.updateOnly, true, "a continuation never adds a peer");
        assert.equal(q.replaceAllowedIps, undefined, "nor replaces what its first part set");
      } else assert.equal(q.replaceAllowedIps, true);
      got.set(q.publicKey, [...(seen ?? []), ...(q.allowedIps ?? [])]);
    }
  }
  assert.deepEqual([...got.keys()], keys);
  assert.deepEqual(got.get(keys[3]), big);
  assert.deepEqual(batches({ listenPort: 1 }), [{ listenPort: 1 }]);
});
