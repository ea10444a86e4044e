/**
 * Wi-Fi through nl80211: {@linkcode Wifi} for wiphys, interfaces, scans,
 * stations, the regulatory domain and events, and the 802.11 frame pieces
 * it needs.
 *
 * @example
 * ```ts ignore
 * import { Wifi } from "./mod.ts";
 * await using wifi = await Wifi.open();
 * for (const w of await wifi.wiphys()) console.log(w.name, Object.keys(w.bands));
 * ```
 *
 * @module
 */
export {
  type ApOptions,
  type ScanOptions,
  Wifi,
  WIFI_GROUPS,
  type WifiEvent,
  type WifiGroup,
} from "./client.ts";
export type {
  Bss,
  Frequency,
  Iftype,
  RegDomain,
  RegRule,
  Station,
  WifiInterface,
  Wiphy,
} from "./types.ts";
export {
  beacon,
  type BeaconInit,
  channelOf,
  ELEMENT,
  type Element,
  elements,
  ssidOf,
} from "./frames.ts";
