/**
 * nl80211 in the VM (this host's kernel has no mac80211_hwsim): two
 * simulated radios, compared field by field with what Debian's `iw` prints:
 * wiphys and channels (`iw phy`), interfaces created, retyped and deleted
 * (`iw dev`), an access point the library starts that the other radio's
 * scan finds (`iw dev X scan dump`), an IBSS whose peer is a station
 * (`iw dev X station dump`), the regulatory domain (`iw reg get`), and the
 * config and scan events.
 */
import assert from "node:assert/strict";
import { type Bss, type RegDomain, Wifi, type WifiEvent } from "../../src/wifi/mod.ts";
import { NetlinkError } from "../../src/errors.ts";
import { Rtnl } from "../../src/rtnl/mod.ts";
import { run } from "../helpers/netns.ts";

/** The modules the VM loads for this file (hwsim makes two radios by default). */
export const VM_MODULES = ["mac80211_hwsim"];

/** iw's names for interface types, as nl80211 names them. */
const IW_TYPES: Record<string, string> = {
  "IBSS": "adhoc",
  "managed": "station",
  "AP": "ap",
  "AP/VLAN": "ap-vlan",
  "WDS": "wds",
  "monitor": "monitor",
  "mesh point": "mesh-point",
  "P2P-client": "p2p-client",
  "P2P-GO": "p2p-go",
  "P2P-device": "p2p-device",
  "outside context of a BSS": "ocb",
  "NAN": "nan",
};
const BANDS = ["2ghz", "5ghz", "60ghz", "6ghz", "s1ghz", "lc"];

interface IwIface {
  name: string;
  ifindex: number;
  wdev: bigint;
  mac: string;
  type: string;
  wiphy: number;
}

/** `iw dev`, parsed. */
async function iwDev(): Promise<IwIface[]> {
  const out: IwIface[] = [];
  let wiphy = -1;
  let cur: IwIface | undefined;
  for (const line of (await run("iw", "dev")).split("\n")) {
    let m;
    if ((m = /^phy#(\d+)/.exec(line))) wiphy = Number(m[1]);
    else if ((m = /^\s+Interface (\S+)/.exec(line))) {
      cur = { name: m[1], ifindex: 0, wdev: 0n, mac: "", type: "", wiphy };
      out.push(cur);
    } else if (cur && (m = /^\s+ifindex (\d+)/.exec(line))) cur.ifindex = Number(m[1]);
    else if (cur && (m = /^\s+wdev (0x[0-9a-f]+)/.exec(line))) cur.wdev = BigInt(m[1]);
    else if (cur && (m = /^\s+addr (\S+)/.exec(line))) cur.mac = m[1];
    else if (cur && (m = /^\s+type (.+)$/.exec(line))) cur.type = IW_TYPES[m[1].trim()] ?? m[1];
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** `iw phy`: per wiphy, its modes and its channels by band. */
async function iwPhy() {
  type Phy = { name: string; modes: string[]; bands: Record<string, string[]> };
  const out = new Map<number, Phy>();
  let cur: Phy | undefined;
  let section = "";
  let band = "";
  for (const line of (await run("iw", "phy")).split("\n")) {
    let m;
    const item = /^\s+\* (.*)$/.exec(line)?.[1]?.trim();
    if ((m = /^Wiphy (\S+)/.exec(line))) cur = { name: m[1], modes: [], bands: {} };
    else if (!cur) continue;
    else if (item !== undefined) {
      if (section === "modes") cur.modes.push(IW_TYPES[item] ?? item);
      if (section === "freqs" && (m = /^(\d+)(?:\.\d+)? MHz \[-?\d+\](.*)$/.exec(item))) {
        (cur.bands[band] ??= []).push(`${m[1]}${/disabled/.test(m[2]) ? " disabled" : ""}`);
      }
    } else if ((m = /^\t(\S.*)$/.exec(line))) {
      // a heading at depth 1: a band, the modes, or something else
      const head = m[1];
      if ((m = /^wiphy index: (\d+)/.exec(head))) out.set(Number(m[1]), cur);
      if ((m = /^Band (\d+):/.exec(head))) band = BANDS[Number(m[1]) - 1];
      section = m && /^Band/.test(head)
        ? "band"
        : /^Supported interface modes:/.test(head)
        ? "modes"
        : "";
    } else if ((m = /^\t\t(\S.*)$/.exec(line)) && (section === "band" || section === "freqs")) {
      section = /^Frequencies:/.test(m[1]) ? "freqs" : "band";
    }
  }
  return out;
}

/** `iw dev X scan dump`: the BSSes it knows. */
async function iwScan(dev: string): Promise<Partial<Bss>[]> {
  const out: Partial<Bss>[] = [];
  let cur: Partial<Bss> | undefined;
  for (const line of (await run("iw", "dev", dev, "scan", "dump")).split("\n")) {
    let m;
    if ((m = /^BSS ([0-9a-f:]{17})/.exec(line))) out.push(cur = { bssid: m[1] });
    else if (cur && (m = /^\s+freq: (\d+)/.exec(line))) cur.frequency = Number(m[1]);
    else if (cur && (m = /^\s+beacon interval: (\d+) TUs/.exec(line))) {
      cur.beaconInterval = Number(m[1]);
    } else if (cur && (m = /^\s+signal: (-?[\d.]+) dBm/.exec(line))) cur.signal = Number(m[1]);
    else if (cur && (m = /^\s+SSID: (.*)$/.exec(line))) cur.ssid = m[1];
  }
  return out;
}

/** `iw reg get`'s global domain. */
async function iwReg(): Promise<Omit<RegDomain, "rules"> & { rules: number[][] }> {
  const text = await run("iw", "reg", "get");
  const global = text.split(/\n(?=phy#)/)[0];
  const m = /country (\S+): DFS-(\S+)/.exec(global)!;
  const rules = [...global.matchAll(/\((\d+) - (\d+) @ (\d+)\), \((N\/A|[\d.]+), ([\d.]+)\)/g)]
    .map((r) => [Number(r[1]), Number(r[2]), Number(r[3]), Number(r[5])]);
  return { alpha2: m[1], dfsRegion: m[2].toLowerCase() as RegDomain["dfsRegion"], rules };
}

/** Collects events until `done` says so (bounded by `ms`). */
async function collect(
  it: AsyncGenerator<WifiEvent>,
  done: (e: WifiEvent) => boolean,
  ms = 20_000,
): Promise<WifiEvent[]> {
  const seen: WifiEvent[] = [];
  const timer = setTimeout(() => it.return(undefined), ms);
  try {
    for await (const e of it) {
      seen.push(e);
      if (done(e)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

Deno.test("wiphys and interfaces are what iw phy and iw dev print", async () => {
  await using wifi = await Wifi.open();
  const phys = await wifi.wiphys();
  const iw = await iwPhy();
  assert.equal(phys.length, 2, "hwsim's two radios");
  for (const p of phys) {
    const i = iw.get(p.index);
    assert.ok(i, `iw phy has phy index ${p.index}`);
    assert.equal(p.name, i.name);
    assert.deepEqual([...p.interfaceModes].sort(), [...i.modes].sort(), `${p.name} modes`);
    const bands = Object.fromEntries(
      Object.entries(p.bands).map((
        [b, fs],
      ) => [b, fs.map((f) => `${f.mhz}${f.disabled ? " disabled" : ""}`)]),
    );
    const raw = (await run("iw", "phy", p.name, "info")).split("\n").filter((l) =>
      /Band|MHz/.test(l)
    ).slice(-12).join("\n");
    assert.deepEqual(bands, i.bands, `${p.name} channels; iw says:\n${raw}`);
    // what hwsim's wiphy lists (the kernel lists its optional commands only; iw
    // prints none of them)
    for (const c of ["new-interface", "set-interface", "new-beacon", "join-ibss", "connect"]) {
      assert.ok(p.commands.includes(c), `${p.name} lists ${c}: ${p.commands}`);
    }
  }
  const lib = (await wifi.interfaces()).sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(lib, await iwDev());
});

Deno.test("interfaces created, retyped and deleted as iw dev sees, with config events", async () => {
  await using wifi = await Wifi.open();
  const events = wifi.events(["config"]);
  const seen = collect(events, (e) => e.kind === "del-interface");
  await new Promise((r) => setTimeout(r, 200)); // the subscription opens at the first next()
  const mon = await wifi.addInterface("mon0", { wiphy: 0, type: "monitor" });
  assert.equal(mon.name, "mon0");
  let iw = (await iwDev()).find((i) => i.name === "mon0");
  assert.deepEqual(iw && { ...iw }, { ...mon });
  await wifi.setType("mon0", "station");
  iw = (await iwDev()).find((i) => i.name === "mon0");
  assert.equal(iw?.type, "station");
  await wifi.deleteInterface("mon0");
  assert.equal((await iwDev()).find((i) => i.name === "mon0"), undefined);
  const kinds = (await seen).filter((e) => e.attrs.ifname === "mon0").map((e) => e.kind);
  assert.deepEqual(kinds.filter((k) => k !== "set-interface"), [
    "new-interface",
    "del-interface",
  ]);
  // bad input: typed errors, nothing changed
  await assert.rejects(wifi.addInterface("x0", { wiphy: 0, type: "ad-hoc" as never }), TypeError);
  await assert.rejects(wifi.deleteInterface("nope0"), (e) => e instanceof NetlinkError);
  await assert.rejects(
    wifi.addInterface("x1", { wiphy: 99, type: "station" }),
    (e) => e instanceof NetlinkError && /new-interface/.test(e.message),
  );
});

Deno.test("an AP the library starts, the other radio's scan finds, as iw scan dump shows", async () => {
  await using wifi = await Wifi.open();
  await using rtnl = Rtnl.open();
  const [ap, sta] = ["wlan1", "wlan0"];
  await rtnl.setLink(ap, { up: false });
  await wifi.setType(ap, "ap");
  await rtnl.setLink(ap, { up: true });
  await rtnl.setLink(sta, { up: true });
  await wifi.startAp(ap, { ssid: "nlts-lab", frequency: 2412 });
  const events = wifi.events(["scan"]);
  const seen = collect(events, (e) => e.kind === "new-scan-results");
  await new Promise((r) => setTimeout(r, 200));
  let found: Bss | undefined;
  for (let i = 0; i < 8 && !found; i++) {
    const results = await wifi.scan(sta, { frequencies: [2412], timeoutMs: 20_000 });
    found = results.find((b) => b.ssid === "nlts-lab");
  }
  assert.ok(found, "the AP's beacon was heard");
  const apMac = (await wifi.interface(ap)).mac;
  assert.equal(found.bssid, apMac);
  assert.equal(found.frequency, 2412);
  assert.equal(found.beaconInterval, 100);
  const iw = (await iwScan(sta)).find((b) => b.bssid === found!.bssid);
  assert.ok(iw, "iw scan dump lists it");
  assert.deepEqual(
    [found.bssid, found.frequency, found.ssid, found.beaconInterval, found.signal],
    [iw.bssid, iw.frequency, iw.ssid, iw.beaconInterval, iw.signal],
  );
  const kinds = (await seen).map((e) => e.kind);
  assert.ok(kinds.includes("trigger-scan") && kinds.includes("new-scan-results"), `${kinds}`);
  await wifi.stopAp(ap);
  await rtnl.setLink(ap, { up: false });
  await rtnl.setLink(sta, { up: false });
  await wifi.setType(ap, "station");
});

Deno.test("an IBSS of the two radios: each is the other's station, as iw station dump shows", async () => {
  await using wifi = await Wifi.open();
  await using rtnl = Rtnl.open();
  const cell = { ssid: "nlts-ibss", frequency: 2437, bssid: "02:4e:4c:54:53:00" };
  for (const dev of ["wlan0", "wlan1"]) {
    await rtnl.setLink(dev, { up: false });
    await wifi.setType(dev, "adhoc");
    await rtnl.setLink(dev, { up: true });
    await wifi.joinIbss(dev, cell);
  }
  const peer = (await wifi.interface("wlan1")).mac;
  let stations = await wifi.stations("wlan0");
  for (let i = 0; i < 100 && !stations.some((s) => s.mac === peer); i++) {
    await new Promise((r) => setTimeout(r, 100));
    stations = await wifi.stations("wlan0");
  }
  const iw = [...(await run("iw", "dev", "wlan0", "station", "dump")).matchAll(/^Station (\S+)/gm)]
    .map((m) => m[1]);
  assert.deepEqual(stations.map((s) => s.mac).sort(), iw.sort());
  assert.ok(stations.some((s) => s.mac === peer), `wlan1 (${peer}) is a station of wlan0`);
  const st = stations.find((s) => s.mac === peer)!;
  assert.equal(typeof st.rxBytes, "bigint");
  assert.ok(st.inactiveTime !== undefined);
  const bss = await wifi.scanResults("wlan0");
  assert.ok(bss.some((b) => b.bssid === cell.bssid && b.status === "ibss-joined"), "joined");
  for (const dev of ["wlan0", "wlan1"]) {
    await wifi.leaveIbss(dev);
    await rtnl.setLink(dev, { up: false });
    await wifi.setType(dev, "station");
  }
});

Deno.test("the regulatory domain is what iw reg get prints", async () => {
  await using wifi = await Wifi.open();
  const lib = await wifi.regulatory();
  const iw = await iwReg();
  assert.equal(lib.alpha2, iw.alpha2);
  assert.equal(lib.dfsRegion, iw.dfsRegion);
  assert.deepEqual(
    lib.rules.map((
      r,
    ) => [r.startKhz / 1000, r.endKhz / 1000, r.maxBandwidthKhz / 1000, r.maxEirp / 100]),
    iw.rules,
  );
});
