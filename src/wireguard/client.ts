/**
 * {@linkcode WireGuard}: get and set WireGuard devices over generic
 * netlink, on the generated wireguard family: keys in and out as base64,
 * endpoints as `"ADDRESS:PORT"`, allowed IPs as prefixes, and the flags
 * that make a set replace the peers, replace a peer's allowed IPs, or
 * remove a peer.
 *
 * @module
 */
import {
  WGDEVICE_FLAGS,
  type WgdeviceAttrs,
  WGPEER_FLAGS,
  type WgpeerAttrs,
  wireguard,
  type WireguardOps,
} from "../families/wireguard.ts";
import type { OpenOptions, WaitOptions } from "../socket.ts";
import { FamilyClient } from "../ynl/family.ts";
import { integer } from "../rtnl/check.ts";
import { isRecord } from "../ynl/values.ts";
import { decodeKey, encodeKey, isZeroKey } from "./keys.ts";
import { batches } from "./batch.ts";
import { Rtnl } from "../rtnl/client.ts";
import { decodeAllowedIp, decodeEndpoint, encodeAllowedIp, encodeEndpoint } from "./endpoint.ts";

/** A peer as the kernel reports it (`wg show`). */
export interface WgPeer {
  /** Its public key, base64. */
  publicKey: string;
  /** The preshared key, base64 (undefined: none). */
  presharedKey?: string;
  /** Where its packets go, `"ADDRESS:PORT"` (undefined: not known yet). */
  endpoint?: string;
  /** Seconds between keepalives (0: off). */
  persistentKeepalive: number;
  /** The last handshake (undefined: none yet). */
  lastHandshake?: Date;
  /** The last handshake's time as the kernel gives it (0, 0: none). */
  lastHandshakeTime: { sec: bigint; nsec: bigint };
  /** Bytes received from it. */
  rxBytes: bigint;
  /** Bytes sent to it. */
  txBytes: bigint;
  /** Its allowed IPs, `"ADDRESS/LENGTH"`, in the kernel's order. */
  allowedIps: string[];
  /** The protocol version (1). */
  protocolVersion?: number;
}

/** A device as the kernel reports it (`wg show`). */
export interface WgDevice {
  /** Its index. */
  ifindex: number;
  /** Its name. */
  ifname: string;
  /** Its private key, base64 (undefined: none). */
  privateKey?: string;
  /** The public key of the private key, base64. */
  publicKey?: string;
  /** The UDP port it listens on. */
  listenPort: number;
  /** The mark of its packets (0: off). */
  fwmark: number;
  /** Its peers. */
  peers: WgPeer[];
}

/** A peer to add, change or remove in {@linkcode WireGuard.set}. */
export interface WgPeerConfig {
  /** Which peer, base64. */
  publicKey: string;
  /** Remove this peer (nothing else is given then). */
  remove?: boolean;
  /** Change the peer only if it exists (never add it). */
  updateOnly?: boolean;
  /** The preshared key, base64; null removes it. */
  presharedKey?: string | null;
  /** `"ADDRESS:PORT"` or `"[IPv6]:PORT"`. */
  endpoint?: string;
  /** Seconds between keepalives (0 turns them off). */
  persistentKeepalive?: number;
  /** Replace the peer's allowed IPs with `allowedIps` (else they are added). */
  replaceAllowedIps?: boolean;
  /** Allowed IPs, `"ADDRESS/LENGTH"`. */
  allowedIps?: readonly string[];
}

/** What {@linkcode WireGuard.set} changes of a device; what is not given stays. */
export interface WgDeviceConfig {
  /** The private key, base64; null removes it. */
  privateKey?: string | null;
  /** The UDP port (0: a random one). */
  listenPort?: number;
  /** The mark of its packets (0: off). */
  fwmark?: number;
  /** Replace every peer with `peers` (else they are added or changed). */
  replacePeers?: boolean;
  /** Peers to add, change or remove. */
  peers?: readonly WgPeerConfig[];
}

const DEVICE_KEYS = ["privateKey", "listenPort", "fwmark", "replacePeers", "peers"];
const PEER_KEYS = [
  "publicKey",
  "remove",
  "updateOnly",
  "presharedKey",
  "endpoint",
  "persistentKeepalive",
  "replaceAllowedIps",
  "allowedIps",
];

function checkKeys(what: string, x: unknown, valid: readonly string[]): void {
  if (!isRecord(x)) throw new TypeError(`${what}: takes an object, got ${typeof x}`);
  for (const k of Object.keys(x)) {
    if (!valid.includes(k)) {
      throw new TypeError(`${what}: no field ${k}; valid: ${valid.join(", ")}`);
    }
  }
}

function flag(what: string, x: unknown): boolean {
  if (x === undefined) return false;
  if (typeof x !== "boolean") throw new TypeError(`${what}: takes true or false, got ${typeof x}`);
  return x;
}

/** The `wgpeer` attributes of a peer's configuration. */
function encodePeer(what: string, p: WgPeerConfig): WgpeerAttrs {
  checkKeys(what, p, PEER_KEYS);
  const out: WgpeerAttrs = { publicKey: decodeKey(`${what}.publicKey`, p.publicKey) };
  let flags = 0;
  if (flag(`${what}.remove`, p.remove)) {
    const extra = Object.keys(p).filter((k) => k !== "publicKey" && k !== "remove");
    if (extra.length) {
      throw new TypeError(`${what}: a peer to remove takes nothing else (${extra})`);
    }
    out.flags = WGPEER_FLAGS["remove-me"];
    return out;
  }
  if (flag(`${what}.updateOnly`, p.updateOnly)) flags |= WGPEER_FLAGS["update-only"];
  if (flag(`${what}.replaceAllowedIps`, p.replaceAllowedIps)) {
    flags |= WGPEER_FLAGS["replace-allowedips"];
  }
  if (p.presharedKey !== undefined) {
    out.presharedKey = p.presharedKey === null
      ? new Uint8Array(32)
      : decodeKey(`${what}.presharedKey`, p.presharedKey);
  }
  if (p.endpoint !== undefined) out.endpoint = encodeEndpoint(`${what}.endpoint`, p.endpoint);
  if (p.persistentKeepalive !== undefined) {
    out.persistentKeepaliveInterval = integer(
      `${what}.persistentKeepalive`,
      p.persistentKeepalive,
      0,
      0xffff,
    );
  }
  if (p.allowedIps !== undefined) {
    if (!Array.isArray(p.allowedIps)) throw new TypeError(`${what}.allowedIps: takes an array`);
    out.allowedips = p.allowedIps.map((a, i) => encodeAllowedIp(`${what}.allowedIps[${i}]`, a));
  }
  if (flags) out.flags = flags;
  return out;
}

/**
 * A device's `wgdevice` attributes from its configuration (the name or index added by the caller).
 *
 * @example
 * ```ts
 * import { encodeDevice } from "./client.ts";
 * encodeDevice({ listenPort: 51820, replacePeers: true, peers: [] }); // { listenPort: 51820, flags: 1, peers: [] }
 * ```
 */
export function encodeDevice(config: WgDeviceConfig): WgdeviceAttrs {
  checkKeys("wireguard set", config, DEVICE_KEYS);
  const out: WgdeviceAttrs = {};
  if (config.privateKey !== undefined) {
    out.privateKey = config.privateKey === null
      ? new Uint8Array(32)
      : decodeKey("wireguard set privateKey", config.privateKey);
  }
  if (config.listenPort !== undefined) {
    out.listenPort = integer("wireguard set listenPort", config.listenPort, 0, 0xffff);
  }
  if (config.fwmark !== undefined) {
    out.fwmark = integer("wireguard set fwmark", config.fwmark, 0, 0xffffffff);
  }
  if (flag("wireguard set replacePeers", config.replacePeers)) {
    out.flags = WGDEVICE_FLAGS["replace-peers"];
  }
  if (config.peers !== undefined) {
    if (!Array.isArray(config.peers)) throw new TypeError("wireguard set peers: takes an array");
    out.peers = config.peers.map((p, i) => encodePeer(`wireguard set peers[${i}]`, p));
  }
  return out;
}

function decodePeer(p: WgpeerAttrs): WgPeer {
  const t = p.lastHandshakeTime ?? {};
  const sec = t.sec ?? 0n, nsec = t.nsec ?? 0n;
  const out: WgPeer = {
    publicKey: p.publicKey ? encodeKey(p.publicKey) : "",
    persistentKeepalive: p.persistentKeepaliveInterval ?? 0,
    lastHandshakeTime: { sec, nsec },
    rxBytes: p.rxBytes ?? 0n,
    txBytes: p.txBytes ?? 0n,
    allowedIps: (p.allowedips ?? []).map(decodeAllowedIp),
  };
  if (p.presharedKey && !isZeroKey(p.presharedKey)) out.presharedKey = encodeKey(p.presharedKey);
  const endpoint = p.endpoint ? decodeEndpoint(p.endpoint) : undefined;
  if (endpoint !== undefined) out.endpoint = endpoint;
  if (sec !== 0n || nsec !== 0n) {
    out.lastHandshake = new Date(Number(sec) * 1000 + Math.floor(Number(nsec) / 1e6));
  }
  if (p.protocolVersion !== undefined) out.protocolVersion = p.protocolVersion;
  return out;
}

/**
 * A device from the messages of one get-device dump: the kernel splits a
 * large device over several, continuing a peer (its allowed IPs) in the
 * next message under the same public key.
 *
 * @example
 * ```ts
 * import { decodeDevice } from "./client.ts";
 * decodeDevice([{ ifindex: 3, ifname: "wg0", listenPort: 51820 }]).peers; // []
 * ```
 */
export function decodeDevice(parts: readonly WgdeviceAttrs[]): WgDevice {
  const first = parts[0] ?? {};
  const dev: WgDevice = {
    ifindex: first.ifindex ?? 0,
    ifname: first.ifname ?? "",
    listenPort: first.listenPort ?? 0,
    fwmark: first.fwmark ?? 0,
    peers: [],
  };
  if (first.privateKey && !isZeroKey(first.privateKey)) {
    dev.privateKey = encodeKey(first.privateKey);
  }
  if (first.publicKey && !isZeroKey(first.publicKey)) dev.publicKey = encodeKey(first.publicKey);
  for (const part of parts) {
    for (const p of part.peers ?? []) {
      const peer = decodePeer(p);
      const last = dev.peers.at(-1);
      if (last && last.publicKey === peer.publicKey) last.allowedIps.push(...peer.allowedIps);
      else dev.peers.push(peer);
    }
  }
  return dev;
}

function deviceRef(what: string, device: unknown): WgdeviceAttrs {
  if (typeof device === "string" && device.length > 0 && device.length < 16) {
    return { ifname: device };
  }
  if (typeof device === "number") return { ifindex: integer(what, device, 1, 0x7fffffff) };
  throw new TypeError(
    `${what}: a device name (1..15 bytes) or index, got ${JSON.stringify(device)}`,
  );
}

/**
 * WireGuard devices of one network namespace.
 *
 * @example
 * ```ts ignore
 * import { generateKeyPair, WireGuard } from "./mod.ts";
 * await using wg = await WireGuard.open();
 * const me = await generateKeyPair();
 * await wg.set("wg0", {
 *   privateKey: me.privateKey,
 *   listenPort: 51820,
 *   replacePeers: true,
 *   peers: [{ publicKey: "...", endpoint: "192.0.2.7:51820", allowedIps: ["10.0.0.2/32"] }],
 * });
 * console.log((await wg.get("wg0")).peers[0].lastHandshake);
 * ```
 */
export class WireGuard implements AsyncDisposable {
  readonly #client: FamilyClient<WireguardOps>;
  readonly #options: OpenOptions;

  private constructor(client: FamilyClient<WireguardOps>, options: OpenOptions) {
    this.#client = client;
    this.#options = options;
  }

  /**
   * Opens a generic netlink socket (in `options.netns`, if given) and
   * resolves the wireguard family; a kernel without it rejects with
   * `FamilyUnavailableError`.
   */
  static async open(options: OpenOptions = {}): Promise<WireGuard> {
    return new WireGuard(await FamilyClient.open<WireguardOps>(wireguard, options), options);
  }

  /** The generated family's client underneath. */
  get family(): FamilyClient<WireguardOps> {
    return this.#client;
  }

  /** A device by name or index (`ENODEV` NetlinkError when there is none: not WireGuard, or missing). */
  async get(device: string | number, options: WaitOptions = {}): Promise<WgDevice> {
    const parts: WgdeviceAttrs[] = [];
    const attrs = deviceRef("wireguard get", device);
    for await (const d of this.#client.dump("get-device", { attrs }, options)) parts.push(d.attrs);
    return decodeDevice(parts);
  }

  /**
   * Changes a device: what `config` gives, with `replacePeers` and each
   * peer's `replaceAllowedIps`/`remove`/`updateOnly` as `wg set` and
   * `wg setconf` use them. The whole configuration is checked before
   * anything is sent. A large one goes in several messages (see
   * src/wireguard/batch.ts): the kernel applies each as a whole, so one
   * that fails part way leaves the parts before it applied.
   */
  async set(
    device: string | number,
    config: WgDeviceConfig,
    options: WaitOptions = {},
  ): Promise<void> {
    const ref = deviceRef("wireguard set", device);
    encodeDevice(config); // every field checked, by the names the caller used
    const messages = batches(config).map((c) => ({ ...ref, ...encodeDevice(c) }));
    for (const attrs of messages) await this.#client.do("set-device", { attrs }, options);
  }

  /**
   * Every WireGuard device of the namespace, as `wg show all` lists them:
   * the links of kind wireguard (from rtnetlink), each read in full.
   */
  async devices(options: WaitOptions = {}): Promise<WgDevice[]> {
    await using rtnl = Rtnl.open(this.#options);
    const out: WgDevice[] = [];
    for (const l of await rtnl.links(options)) {
      const info = l.info;
      if (info?.kind === "other" && info.name === "wireguard") {
        out.push(await this.get(l.index, options));
      }
    }
    return out;
  }

  /** Removes one peer. */
  removePeer(device: string | number, publicKey: string, options: WaitOptions = {}): Promise<void> {
    return this.set(device, { peers: [{ publicKey, remove: true }] }, options);
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.#client.close();
  }

  /** Same as {@linkcode WireGuard.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
