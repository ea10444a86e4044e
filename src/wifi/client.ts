/**
 * {@linkcode Wifi}: nl80211, the kernel's 802.11 configuration family, for
 * the jobs `iw` does: wiphys and their channels, interfaces (create, delete,
 * change type), scans and their results, stations, the regulatory domain,
 * an access point's beacon, an IBSS, and the config/scan/regulatory/mlme
 * events. Built on the generated nl80211 family (Linux 7.2's spec and the
 * project's supplement for what it leaves out).
 *
 * @module
 */
import { formatMac, parseMac } from "../address.ts";
import { flagNames, nameOf } from "../tables.ts";
import { NetlinkError, Overrun } from "../errors.ts";
import type { DumpOptions, OpenOptions, RequestOptions, WaitOptions } from "../socket.ts";
import { type Decoded, FamilyClient } from "../ynl/family.ts";
import {
  BSS_STATUS,
  COMMANDS,
  DFS_REGIONS,
  IFTYPE,
  nl80211,
  type Nl80211Attrs,
  type Nl80211Ops,
  REG_RULE_FLAGS,
} from "../families/nl80211.ts";
import { beacon, channelOf, ssidOf } from "./frames.ts";
import type { Bss, Frequency, Iftype, RegDomain, Station, WifiInterface, Wiphy } from "./types.ts";

/** The event groups of nl80211 this client follows by name. */
export const WIFI_GROUPS = ["config", "scan", "regulatory", "mlme"] as const;
/** One of {@linkcode WIFI_GROUPS}. */
export type WifiGroup = typeof WIFI_GROUPS[number];

/** An nl80211 event: the operation's name and its attributes. */
export interface WifiEvent {
  /** The command's name, as nl80211 names it ("new-interface", "del-interface", "new-scan-results", ...). */
  kind: string;
  /** Its attributes, decoded. */
  attrs: Nl80211Attrs;
}

/** Options of {@linkcode Wifi.scan}. */
export interface ScanOptions extends WaitOptions {
  /** Only these frequencies (MHz); all the wiphy has by default. */
  frequencies?: number[];
  /** Probe for these SSIDs (an active scan); without, the scan is passive. */
  ssids?: string[];
}

/** Options of {@linkcode Wifi.startAp}. */
export interface ApOptions extends RequestOptions {
  /** The network name. */
  ssid: string;
  /** Its 2.4 GHz frequency in MHz (default 2412, channel 1). */
  frequency?: number;
  /** Beacon interval in TU (default 100). */
  interval?: number;
  /** DTIM period in beacons (default 2). */
  dtimPeriod?: number;
}

const IFTYPES = Object.fromEntries(Object.entries(IFTYPE).map(([k, v]) => [v, k])) as Record<
  number,
  Iftype
>;
const COMMAND_NAMES = Object.fromEntries(Object.entries(COMMANDS).map(([k, v]) => [v, k]));

function iftypeValue(type: Iftype): number {
  const v = Object.hasOwn(IFTYPE, type) ? IFTYPE[type] : undefined;
  if (v === undefined) {
    throw new TypeError(`unknown interface type ${type}; valid: ${Object.keys(IFTYPE).join(", ")}`);
  }
  return v;
}

/**
 * An nl80211 client.
 *
 * @example
 * ```ts ignore
 * import { Wifi } from "./client.ts";
 * await using wifi = await Wifi.open();
 * for (const i of await wifi.interfaces()) console.log(i.name, i.type, i.mac);
 * ```
 */
export class Wifi implements AsyncDisposable {
  /** The generated family's client, for what this class does not cover. */
  readonly client: FamilyClient<Nl80211Ops>;
  readonly #options: OpenOptions;

  private constructor(client: FamilyClient<Nl80211Ops>, options: OpenOptions) {
    this.client = client;
    this.#options = options;
  }

  /** Opens a generic netlink socket and resolves nl80211 (FamilyUnavailableError without cfg80211). */
  static async open(options: OpenOptions = {}): Promise<Wifi> {
    return new Wifi(await FamilyClient.open<Nl80211Ops>(nl80211, options), options);
  }

  /** Every wiphy, merged from the split dump that every kernel since 3.10 sends. */
  async wiphys(options: DumpOptions = {}): Promise<Wiphy[]> {
    const byIndex = new Map<number, Wiphy>();
    const supported = nl80211.sets["supported-iftypes"].attrs;
    const bandNames = nl80211.sets["wiphy-bands"].attrs;
    for await (
      const r of this.client.dump("get-wiphy", { attrs: { splitWiphyDump: true } }, options)
    ) {
      const a = r.attrs;
      if (a.wiphy === undefined) continue;
      let w = byIndex.get(a.wiphy);
      if (!w) {
        w = { index: a.wiphy, name: "", interfaceModes: [], bands: {}, commands: [] };
        byIndex.set(a.wiphy, w);
      }
      if (a.wiphyName !== undefined) w.name = a.wiphyName;
      if (a.supportedIftypes) {
        for (const s of supported) {
          const key = s.key as keyof typeof a.supportedIftypes;
          if (a.supportedIftypes[key]) w.interfaceModes.push(s.name as Iftype);
        }
      }
      for (const c of a.supportedCommands ?? []) {
        w.commands.push(COMMAND_NAMES[c as number] ?? `command-${c}`);
      }
      for (const b of bandNames) {
        const band = (a.wiphyBands as Record<string, { freqs?: unknown[] }> | undefined)?.[b.key];
        if (!band?.freqs) continue;
        const list = w.bands[b.name] ??= [];
        for (const f0 of band.freqs) {
          const f = f0 as Record<string, unknown>;
          if (typeof f.freq !== "number") continue;
          const freq: Frequency = {
            mhz: f.freq,
            disabled: f.disabled === true,
            noIr: f.noIr === true,
            radar: f.radar === true,
          };
          if (typeof f.maxTxPower === "number") freq.maxTxPower = f.maxTxPower;
          list.push(freq);
        }
      }
    }
    return [...byIndex.values()];
  }

  /** Every wireless interface (`iw dev`). */
  async interfaces(options: DumpOptions = {}): Promise<WifiInterface[]> {
    const out: WifiInterface[] = [];
    for await (const r of this.client.dump("get-interface", {}, options)) out.push(toIface(r));
    return out;
  }

  /** One interface by name or index; a NetlinkError ENODEV when there is none. */
  async interface(which: string | number, options: DumpOptions = {}): Promise<WifiInterface> {
    for (const i of await this.interfaces(options)) {
      if (i.name === which || i.ifindex === which) return i;
    }
    throw new NetlinkError(19, { message: `no wireless interface ${which}` }, {
      operation: "nl80211 get-interface",
    });
  }

  /** Creates an interface on `wiphy` (`iw phy X interface add NAME type T`). */
  async addInterface(
    name: string,
    init: { wiphy: number; type: Iftype; mac?: string },
    options: RequestOptions = {},
  ): Promise<WifiInterface> {
    const attrs: Nl80211Attrs = { wiphy: init.wiphy, ifname: name, iftype: iftypeValue(init.type) };
    if (init.mac !== undefined) attrs.mac = parseMac(init.mac);
    const [r] = await this.client.do("new-interface", { attrs }, options);
    return r ? toIface(r) : await this.interface(name);
  }

  /** Deletes an interface (`iw dev X del`). */
  async deleteInterface(which: string | number, options: RequestOptions = {}): Promise<void> {
    const ifindex = await this.#ifindex(which);
    await this.client.do("del-interface", { attrs: { ifindex } }, options);
  }

  /** Changes an interface's type (`iw dev X set type T`); the link must be down. */
  async setType(which: string | number, type: Iftype, options: RequestOptions = {}) {
    const ifindex = await this.#ifindex(which);
    await this.client.do(
      "set-interface",
      { attrs: { ifindex, iftype: iftypeValue(type) } },
      options,
    );
  }

  /**
   * Scans (`iw dev X scan`): triggers it, waits for the kernel's
   * new-scan-results (a scan-aborted rejects), and returns the results.
   */
  async scan(which: string | number, options: ScanOptions = {}): Promise<Bss[]> {
    const ifindex = await this.#ifindex(which);
    await using events = await FamilyClient.open<Nl80211Ops>(nl80211, this.#options);
    events.join("scan");
    // a scan ends in seconds; the wait for its end is bounded all the same
    const bound = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    const signal = options.signal ? AbortSignal.any([options.signal, bound]) : bound;
    const it = events.events({ signal });
    const attrs: Nl80211Attrs = { ifindex };
    if (options.frequencies) attrs.scanFrequencies = options.frequencies;
    if (options.ssids) attrs.scanSsids = options.ssids.map((s) => new TextEncoder().encode(s));
    // the first next() opens the subscription; the trigger goes after it
    const first = it.next();
    await this.client.do("trigger-scan", { attrs }, options);
    try {
      for (let r = await first; !r.done; r = await it.next()) {
        if (r.value instanceof Overrun) continue; // the end may be lost: the scan's bound ends the wait
        const e = r.value as Decoded<unknown, Nl80211Attrs>;
        if (e.attrs.ifindex !== ifindex) continue;
        if (e.cmd === COMMANDS["scan-aborted"]) {
          throw new NetlinkError(125, { message: "the scan was aborted" }, {
            operation: "nl80211 trigger-scan",
          });
        }
        if (e.cmd === COMMANDS["new-scan-results"]) break;
      }
    } finally {
      await it.return(undefined);
    }
    return await this.scanResults(ifindex, options);
  }

  /** The results of the last scans (`iw dev X scan dump`). */
  async scanResults(which: string | number, options: DumpOptions = {}): Promise<Bss[]> {
    const ifindex = await this.#ifindex(which);
    const out: Bss[] = [];
    for await (const r of this.client.dump("get-scan", { attrs: { ifindex } }, options)) {
      const b = r.attrs.bss;
      if (!b?.bssid || b.frequency === undefined) continue;
      const bss: Bss = { bssid: formatMac(b.bssid), frequency: b.frequency };
      const ies = b.informationElements ?? b.beaconIes;
      if (ies) bss.ssid = ssidOf(ies);
      if (b.signalMbm !== undefined) bss.signal = b.signalMbm / 100;
      if (b.beaconInterval !== undefined) bss.beaconInterval = b.beaconInterval;
      if (b.capability !== undefined) bss.capability = b.capability;
      if (b.seenMsAgo !== undefined) bss.seenMsAgo = b.seenMsAgo;
      if (b.status !== undefined) {
        bss.status = nameOf(BSS_STATUS, b.status) ?? `status-${b.status}`;
      }
      out.push(bss);
    }
    return out;
  }

  /** The stations (peers) of an interface (`iw dev X station dump`). */
  async stations(which: string | number, options: DumpOptions = {}): Promise<Station[]> {
    const ifindex = await this.#ifindex(which);
    const out: Station[] = [];
    for await (const r of this.client.dump("get-station", { attrs: { ifindex } }, options)) {
      if (!r.attrs.mac) continue;
      const s = r.attrs.staInfo ?? {};
      const st: Station = { mac: formatMac(r.attrs.mac) };
      if (s.inactiveTime !== undefined) st.inactiveTime = s.inactiveTime;
      const rx = s.rxBytes64 ?? (s.rxBytes !== undefined ? BigInt(s.rxBytes) : undefined);
      const tx = s.txBytes64 ?? (s.txBytes !== undefined ? BigInt(s.txBytes) : undefined);
      if (rx !== undefined) st.rxBytes = BigInt(rx);
      if (tx !== undefined) st.txBytes = BigInt(tx);
      if (s.rxPackets !== undefined) st.rxPackets = s.rxPackets;
      if (s.txPackets !== undefined) st.txPackets = s.txPackets;
      if (s.signal !== undefined) st.signal = s.signal;
      if (s.connectedTime !== undefined) st.connectedTime = s.connectedTime;
      out.push(st);
    }
    return out;
  }

  /** The regulatory domain (`iw reg get`): the global one, or a wiphy's own. */
  async regulatory(wiphy?: number, options: RequestOptions = {}): Promise<RegDomain> {
    const attrs: Nl80211Attrs = wiphy === undefined ? {} : { wiphy };
    const [r] = await this.client.do("get-reg", { attrs }, options);
    const a = r?.attrs ?? {};
    const dfs = a.dfsRegion ?? 0;
    return {
      alpha2: a.regAlpha2 ?? "",
      dfsRegion: nameOf(DFS_REGIONS, dfs) ?? `dfs-${dfs}`,
      rules: (a.regRules ?? []).map((x) => ({
        startKhz: x.freqRangeStart ?? 0,
        endKhz: x.freqRangeEnd ?? 0,
        maxBandwidthKhz: x.freqRangeMaxBw ?? 0,
        maxAntennaGain: x.powerRuleMaxAntGain ?? 0,
        maxEirp: x.powerRuleMaxEirp ?? 0,
        flags: flagNames(REG_RULE_FLAGS, x.regRuleFlags ?? 0),
      })),
    };
  }

  /**
   * Starts beaconing as an open access point (the interface must be of type
   * `ap` and up). No hostapd: stations can see it, not join it.
   */
  async startAp(which: string | number, ap: ApOptions): Promise<void> {
    const i = await this.interface(which);
    const frequency = ap.frequency ?? 2412;
    const interval = ap.interval ?? 100;
    const { head, tail } = beacon({
      bssid: parseMac(i.mac),
      ssid: ap.ssid,
      channel: channelOf(frequency),
      interval,
    });
    await this.client.do("start-ap", {
      attrs: {
        ifindex: i.ifindex,
        beaconHead: head,
        beaconTail: tail,
        beaconInterval: interval,
        dtimPeriod: ap.dtimPeriod ?? 2,
        ssid: new TextEncoder().encode(ap.ssid),
        hiddenSsid: 0,
        wiphyFreq: frequency,
        wiphyChannelType: 0,
        authType: 0,
      },
    }, ap);
  }

  /** Stops beaconing. */
  async stopAp(which: string | number, options: RequestOptions = {}): Promise<void> {
    await this.client.do("stop-ap", { attrs: { ifindex: await this.#ifindex(which) } }, options);
  }

  /**
   * Joins (or creates) an IBSS (`iw dev X ibss join SSID FREQ [fixed-freq] [BSSID]`);
   * the interface must be of type `adhoc` and up.
   */
  async joinIbss(
    which: string | number,
    ibss: { ssid: string; frequency: number; bssid?: string },
    options: RequestOptions = {},
  ): Promise<void> {
    const ifindex = await this.#ifindex(which);
    const ssid = new TextEncoder().encode(ibss.ssid);
    if (ssid.length < 1 || ssid.length > 32) throw new RangeError("an SSID is 1 to 32 bytes");
    const attrs: Nl80211Attrs = { ifindex, ssid, wiphyFreq: ibss.frequency, wiphyChannelType: 0 };
    // a fixed BSSID: every member is in the same cell at once, no merge to wait for
    if (ibss.bssid !== undefined) {
      Object.assign(attrs, { mac: parseMac(ibss.bssid), freqFixed: true });
    }
    await this.client.do("join-ibss", { attrs }, options);
  }

  /** Leaves the IBSS. */
  async leaveIbss(which: string | number, options: RequestOptions = {}): Promise<void> {
    await this.client.do("leave-ibss", { attrs: { ifindex: await this.#ifindex(which) } }, options);
  }

  /**
   * The events of `groups` (config: interfaces; scan; regulatory; mlme), on
   * a socket of their own that opens at the first next() and closes when
   * the loop ends.
   */
  async *events(
    groups: readonly WifiGroup[] = WIFI_GROUPS,
    options: WaitOptions = {},
  ): AsyncGenerator<WifiEvent> {
    for (const g of groups) {
      if (!(WIFI_GROUPS as readonly string[]).includes(g)) {
        throw new TypeError(`unknown nl80211 group ${g}; valid: ${WIFI_GROUPS.join(", ")}`);
      }
    }
    await using sub = await FamilyClient.open<Nl80211Ops>(nl80211, this.#options);
    for (const g of groups) sub.join(g);
    for await (const e of sub.events(options)) {
      if (e instanceof Overrun) continue; // nl80211 events carry no state to resync
      // the command names the event (the op may be the reply's: get-interface for 7)
      yield { kind: COMMAND_NAMES[e.cmd] ?? `command-${e.cmd}`, attrs: e.attrs };
    }
  }

  async #ifindex(which: string | number): Promise<number> {
    if (typeof which === "number") return which;
    return (await this.interface(which)).ifindex;
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** Same as {@linkcode Wifi.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function toIface(r: Decoded<unknown, Nl80211Attrs>): WifiInterface {
  const a = r.attrs;
  return {
    ifindex: a.ifindex ?? 0,
    name: a.ifname ?? "",
    type: IFTYPES[a.iftype ?? 0] ?? `iftype-${a.iftype}` as Iftype,
    wiphy: a.wiphy ?? 0,
    wdev: BigInt(a.wdev ?? 0),
    mac: a.mac ? formatMac(a.mac) : "",
  };
}
