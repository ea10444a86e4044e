/**
 * The names `ip` prints for numbers: route protocols, scopes, tables and
 * link groups as iproute2's lib/rt_names.c finds them (its built-in table,
 * then /etc/iproute2/FILE and FILE.d/*.conf, read on first use as ip does),
 * and ip's spellings of the kernel's flag bits, whose values come from the
 * generated families. Without read permission (`--allow-read`) the files
 * are skipped as ip skips unreadable ones: the built-in tables stay.
 *
 * @module
 */
import { IFINFO_FLAGS } from "../../families/rt_link.ts";

/** The directory iproute2 reads its name tables from (CONFDIR). */
const IPROUTE2_CONFDIR = "/etc/iproute2";

type Table = Map<number, string>;

/**
 * Reads one iproute2 name file ("NUMBER NAME" lines, `#` comments) into
 * `tab`; a missing or unreadable file changes nothing, as for ip.
 */
function readTable(path: string, tab: Table, max: number): void {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return;
  }
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const m = /^(0x[0-9a-f]+|\d+)\s+(\S+)/i.exec(line);
    if (!m) continue;
    const id = Number(m[1]);
    if (id >= 0 && id <= max) tab.set(id, m[2]);
  }
}

function readConfDir(name: string, tab: Table, max: number): void {
  readTable(`${IPROUTE2_CONFDIR}/${name}`, tab, max);
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${IPROUTE2_CONFDIR}/${name}.d`)];
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name.length <= 5 || !e.name.endsWith(".conf")) continue;
    readTable(`${IPROUTE2_CONFDIR}/${name}.d/${e.name}`, tab, max);
  }
}

/** A lazily loaded name table: ip's built-in entries, then its files. */
function lazyTable(builtin: [number, string][], load: (t: Table) => void): () => Table {
  let tab: Table | undefined;
  return (): Table => {
    if (!tab) load(tab = new Map(builtin));
    return tab;
  };
}

// lib/rt_names.c rtnl_rtprot_tab (RTPROT_* of <linux/rtnetlink.h>; no spec has them)
const protocols = lazyTable([
  [0, "unspec"],
  [1, "redirect"],
  [2, "kernel"],
  [3, "boot"],
  [4, "static"],
  [8, "gated"],
  [9, "ra"],
  [10, "mrt"],
  [11, "zebra"],
  [12, "bird"],
  [13, "dnrouted"],
  [14, "xorp"],
  [15, "ntk"],
  [16, "dhcp"],
  [18, "keepalived"],
  [42, "babel"],
  [186, "bgp"],
  [187, "isis"],
  [188, "ospf"],
  [189, "rip"],
  [192, "eigrp"],
], (t) => readConfDir("rt_protos", t, 255));

// lib/rt_names.c rtnl_rtscope_tab (RT_SCOPE_*)
const scopes = lazyTable(
  [[0, "global"], [255, "nowhere"], [254, "host"], [253, "link"], [200, "site"]],
  (t) => readTable(`${IPROUTE2_CONFDIR}/rt_scopes`, t, 255),
);

// lib/rt_names.c rtnl_rttable_hash (RT_TABLE_*)
const tables = lazyTable(
  [[253, "default"], [254, "main"], [255, "local"]],
  (t) => readConfDir("rt_tables", t, 0xffffffff),
);

// lib/rt_names.c rtnl_group_hash
const groups = lazyTable(
  [[0, "default"]],
  (t) => readTable(`${IPROUTE2_CONFDIR}/group`, t, 0x7fffffff),
);

/**
 * `rtnl_rtprot_n2a`: a route (or neighbour) protocol's name, else its number.
 *
 * @example
 * ```ts
 * import { protocolName } from "./names.ts";
 * protocolName(4); // "static"
 * ```
 */
export function protocolName(id: number): string {
  return protocols().get(id) ?? String(id);
}

/**
 * `rtnl_rtscope_n2a`: a scope's name ("global", "link", "host", ...), else its number.
 *
 * @example
 * ```ts
 * import { scopeName } from "./names.ts";
 * scopeName(253); // "link"
 * ```
 */
export function scopeName(id: number): string {
  return scopes().get(id) ?? String(id);
}

/**
 * `rtnl_rttable_n2a`: a table's name ("main", "local", ...), else its number as text.
 *
 * @example
 * ```ts
 * import { tableName } from "./names.ts";
 * tableName(254); // "main"
 * ```
 */
export function tableName(id: number): string {
  return tables().get(id) ?? String(id);
}

/**
 * A table given by name (as rt_tables names it) or number; undefined if neither.
 *
 * @example
 * ```ts
 * import { tableId } from "./names.ts";
 * tableId("local"); // 255
 * tableId("100"); // 100
 * ```
 */
export function tableId(text: string): number | undefined {
  for (const [id, name] of tables()) if (name === text) return id;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

/**
 * `rtnl_group_n2a`: a link group's name, else its number.
 *
 * @example
 * ```ts
 * import { groupName } from "./names.ts";
 * groupName(0); // "default"
 * ```
 */
export function groupName(id: number): string {
  return groups().get(id) ?? String(id);
}

/**
 * ip's order and spelling of the link flags (ipaddress.c print_link_flags:
 * the IFF_ macro names); the bits are the rt-link spec's `ifinfo-flags`.
 *
 * @example
 * ```ts
 * import { LINK_FLAG_ORDER } from "./names.ts";
 * LINK_FLAG_ORDER[0]; // ["LOOPBACK", 8]
 * ```
 */
export const LINK_FLAG_ORDER: readonly [string, number][] = [
  ["LOOPBACK", IFINFO_FLAGS.loopback],
  ["BROADCAST", IFINFO_FLAGS.broadcast],
  ["POINTOPOINT", IFINFO_FLAGS["point-to-point"]],
  ["MULTICAST", IFINFO_FLAGS.multicast],
  ["NOARP", IFINFO_FLAGS["no-arp"]],
  ["ALLMULTI", IFINFO_FLAGS["all-multi"]],
  ["PROMISC", IFINFO_FLAGS.promisc],
  ["MASTER", IFINFO_FLAGS.master],
  ["SLAVE", IFINFO_FLAGS.slave],
  ["DEBUG", IFINFO_FLAGS.debug],
  ["DYNAMIC", IFINFO_FLAGS.dynamic],
  ["AUTOMEDIA", IFINFO_FLAGS["auto-media"]],
  ["PORTSEL", IFINFO_FLAGS.portsel],
  ["NOTRAILERS", IFINFO_FLAGS["no-trailers"]],
  ["UP", IFINFO_FLAGS.up],
  ["LOWER_UP", IFINFO_FLAGS["lower-up"]],
  ["DORMANT", IFINFO_FLAGS.dormant],
  ["ECHO", IFINFO_FLAGS.echo],
];

/**
 * IFF_UP, IFF_RUNNING and IFF_POINTOPOINT, from the spec.
 *
 * @example
 * ```ts
 * import { IFF } from "./names.ts";
 * IFF.UP; // 1
 * ```
 */
export const IFF = {
  UP: IFINFO_FLAGS.up,
  RUNNING: IFINFO_FLAGS.running,
  POINTOPOINT: IFINFO_FLAGS["point-to-point"],
} as const;

/**
 * ipaddress.c oper_states: IF_OPER_* by value.
 *
 * @example
 * ```ts
 * import { OPER_STATES } from "./names.ts";
 * OPER_STATES[6]; // "UP"
 * ```
 */
export const OPER_STATES = [
  "UNKNOWN",
  "NOTPRESENT",
  "DOWN",
  "LOWERLAYERDOWN",
  "TESTING",
  "DORMANT",
  "UP",
] as const;

/**
 * ipaddress.c link_modes: IF_LINK_MODE_* by value.
 *
 * @example
 * ```ts
 * import { LINK_MODES } from "./names.ts";
 * LINK_MODES[0]; // "DEFAULT"
 * ```
 */
export const LINK_MODES = ["DEFAULT", "DORMANT"] as const;

/**
 * utils.c family_name.
 *
 * @example
 * ```ts
 * import { familyName } from "./names.ts";
 * familyName(10); // "inet6"
 * ```
 */
export function familyName(family: number): string {
  return family === 2
    ? "inet"
    : family === 10
    ? "inet6"
    : family === 17
    ? "link"
    : family === 28
    ? "mpls"
    : family === 7
    ? "bridge"
    : "???";
}
