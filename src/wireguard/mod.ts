/**
 * WireGuard devices over generic netlink, as `wg` sees them: get and set
 * the private key, listen port, fwmark and peers (public and preshared
 * keys, endpoints, allowed IPs, keepalive; replace-peers,
 * replace-allowed-IPs, update-only and removal), read handshakes and
 * transfer counters, and make keys with WebCrypto's X25519.
 *
 * @example
 * ```ts ignore
 * import { generateKeyPair, WireGuard } from "./mod.ts";
 * await using wg = await WireGuard.open({ netns: "blue" });
 * const { privateKey, publicKey } = await generateKeyPair();
 * await wg.set("wg0", { privateKey, listenPort: 51820 });
 * console.log(publicKey === (await wg.get("wg0")).publicKey); // true
 * ```
 *
 * @module
 */
export {
  decodeDevice,
  encodeDevice,
  type WgDevice,
  type WgDeviceConfig,
  type WgPeer,
  type WgPeerConfig,
  WireGuard,
} from "./client.ts";
export {
  decodeKey,
  encodeKey,
  generateKeyPair,
  generatePresharedKey,
  generatePrivateKey,
  type KeyPair,
  publicKeyOf,
} from "./keys.ts";
export { ALLOWED_IPS_PER_MESSAGE, batches, PEERS_PER_MESSAGE } from "./batch.ts";
export { decodeAllowedIp, decodeEndpoint, encodeAllowedIp, encodeEndpoint } from "./endpoint.ts";
