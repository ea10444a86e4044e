/**
 * What {@linkcode Wifi} returns: wiphys, interfaces, BSSes, stations and
 * regulatory domains as plain objects, with the kernel's names for its
 * enums (from the generated nl80211 tables).
 *
 * @module
 */
import type { IFTYPE } from "../families/nl80211.ts";

/** An interface type by nl80211's name (`station` is what iw calls "managed"). */
export type Iftype = keyof typeof IFTYPE;

/** One channel of a band. */
export interface Frequency {
  /** Centre frequency in MHz. */
  mhz: number;
  /** Not usable here. */
  disabled: boolean;
  /** No initiating radiation (passive scan only). */
  noIr: boolean;
  /** Radar detection required. */
  radar: boolean;
  /** Maximum transmit power in mBm (100 * dBm), when the kernel says. */
  maxTxPower?: number;
}

/** A wiphy (a radio), merged from the kernel's split dump. */
export interface Wiphy {
  /** Its index (phy#N). */
  index: number;
  /** Its name (phyN). */
  name: string;
  /** The interface types it supports. */
  interfaceModes: Iftype[];
  /** Its bands, by nl80211's band name ("2ghz", "5ghz", ...), with their channels. */
  bands: Record<string, Frequency[]>;
  /** The commands it supports, by nl80211's names. */
  commands: string[];
}

/** A wireless interface (what `iw dev` lists). */
export interface WifiInterface {
  /** Its interface index (0 for a wdev without netdev). */
  ifindex: number;
  /** Its name. */
  name: string;
  /** Its type. */
  type: Iftype;
  /** The wiphy it belongs to. */
  wiphy: number;
  /** The wireless device id. */
  wdev: bigint;
  /** Its MAC address, "aa:bb:...". */
  mac: string;
}

/** A BSS a scan saw (what `iw dev X scan dump` lists). */
export interface Bss {
  /** The BSSID, "aa:bb:...". */
  bssid: string;
  /** Its frequency in MHz. */
  frequency: number;
  /** Its SSID, from the information elements. */
  ssid?: string;
  /** Signal in dBm (from signal-mbm). */
  signal?: number;
  /** Beacon interval in TU. */
  beaconInterval?: number;
  /** The capability field. */
  capability?: number;
  /** Milliseconds since it was last seen. */
  seenMsAgo?: number;
  /** Our relation to it, when there is one (`status-N` for a value nl80211 does not name). */
  status?: "authenticated" | "associated" | "ibss-joined" | `status-${number}`;
}

/** A station (peer) of an interface (what `iw dev X station dump` lists). */
export interface Station {
  /** Its MAC address. */
  mac: string;
  /** Milliseconds since it was last active. */
  inactiveTime?: number;
  /** Bytes received from it. */
  rxBytes?: bigint;
  /** Bytes sent to it. */
  txBytes?: bigint;
  /** Packets received from it. */
  rxPackets?: number;
  /** Packets sent to it. */
  txPackets?: number;
  /** Last signal in dBm. */
  signal?: number;
  /** Seconds since it connected. */
  connectedTime?: number;
}

/** One rule of a regulatory domain. */
export interface RegRule {
  /** Range start, in kHz. */
  startKhz: number;
  /** Range end, in kHz. */
  endKhz: number;
  /** Maximum bandwidth, in kHz. */
  maxBandwidthKhz: number;
  /** Maximum antenna gain, in mBi. */
  maxAntennaGain: number;
  /** Maximum EIRP, in mBm. */
  maxEirp: number;
  /** Rule flags, by nl80211's names ("no-ir", "dfs", ...). */
  flags: string[];
}

/** A regulatory domain (what `iw reg get` prints). */
export interface RegDomain {
  /** Its country ("00" for the world domain). */
  alpha2: string;
  /** Its DFS region (`dfs-N` for a value nl80211 does not name). */
  dfsRegion: "unset" | "fcc" | "etsi" | "jp" | `dfs-${number}`;
  /** Its rules. */
  rules: RegRule[];
}
