/**
 * Splitting a large WireGuard configuration over several set-device
 * messages, as `wg` and wgctrl-go do: a message holds a bounded number of
 * peers and allowed IPs. The device's own fields and `replacePeers` go in
 * the first message only; a peer whose allowed IPs do not fit continues in
 * the next messages under its public key, with `replaceAllowedIps` only in
 * its first part and `updateOnly` in the others (so a continuation never
 * adds a peer its first part did not). The kernel applies each message as
 * a whole, not the sequence.
 *
 * @module
 */
import type { WgDeviceConfig, WgPeerConfig } from "./client.ts";

/** Peers in one message, at most. */
export const PEERS_PER_MESSAGE = 32;
/** Allowed IPs in one message, at most (about 40 bytes each: well under a page per 100). */
export const ALLOWED_IPS_PER_MESSAGE = 256;

/**
 * The configurations to send, in order, for one {@linkcode WgDeviceConfig}
 * (just `[config]` when it fits one message).
 *
 * @example
 * ```ts
 * import { batches } from "./batch.ts";
 * const allowedIps = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}/32`);
 * const publicKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
 * batches({ replacePeers: true, peers: [{ publicKey, allowedIps }] }).length; // 2
 * ```
 */
export function batches(config: WgDeviceConfig): WgDeviceConfig[] {
  if (config.peers === undefined) return [config];
  const { peers, ...device } = config;
  const out: WgDeviceConfig[] = [];
  let current: WgPeerConfig[] = [];
  let ips = 0;
  const flush = () => {
    out.push(out.length === 0 ? { ...device, peers: current } : { peers: current });
    current = [];
    ips = 0;
  };
  for (const peer of peers) {
    const all = peer.allowedIps ?? [];
    let at = 0;
    let first = true;
    do {
      if (current.length >= PEERS_PER_MESSAGE || (ips >= ALLOWED_IPS_PER_MESSAGE && all.length)) {
        flush();
      }
      const room = ALLOWED_IPS_PER_MESSAGE - ips;
      const part = all.slice(at, at + room);
      at += part.length;
      const { allowedIps: _ips, ...rest } = peer;
      const piece: WgPeerConfig = first
        ? { ...rest }
        : { publicKey: peer.publicKey, updateOnly: true };
      if (peer.allowedIps !== undefined) piece.allowedIps = part;
      current.push(piece);
      ips += part.length;
      first = false;
    } while (at < all.length);
  }
  if (current.length || out.length === 0) flush();
  return out;
}
