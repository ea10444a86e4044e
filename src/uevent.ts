/**
 * Kernel uevents (NETLINK_KOBJECT_UEVENT): `ACTION@DEVPATH` followed by
 * NUL-separated `KEY=VALUE` pairs, parsed into objects. udev's own
 * re-broadcasts ("libudev" header) are recognised and skipped.
 *
 * @example
 * ```ts ignore
 * import { Overrun, uevents } from "jsr:@netlink-ts/netlink/uevent";
 * for await (const ev of uevents({ signal: AbortSignal.timeout(10_000) })) {
 *   if (ev instanceof Overrun) console.log("lost some: rescan /sys");
 *   else console.log(ev.action, ev.devpath, ev.subsystem);
 * }
 * ```
 *
 * @module
 */
import { NETLINK } from "./constants.ts";
import { Overrun } from "./errors.ts";
import { NetlinkSocket } from "./socket.ts";

export { isOverrun, Overrun } from "./errors.ts";

/** A kernel uevent. */
export interface Uevent {
  /** add, remove, change, move, online, offline, bind, unbind. */
  action: string;
  /** The device's path under /sys. */
  devpath: string;
  /** SUBSYSTEM, when given. */
  subsystem?: string;
  /** SEQNUM, when given. */
  seqnum?: number;
  /** Every KEY=VALUE pair, as sent. */
  env: Record<string, string>;
}

/** The kernel's uevent multicast group (udev re-broadcasts on group 2). */
export const UEVENT_GROUP_KERNEL = 1;

const text = new TextDecoder();
const LIBUDEV = new TextEncoder().encode("libudev\0");

/** True for udev's re-broadcast format (a "libudev" magic header). */
export function isUdevMessage(bytes: Uint8Array): boolean {
  if (bytes.length < LIBUDEV.length) return false;
  for (let i = 0; i < LIBUDEV.length; i++) if (bytes[i] !== LIBUDEV[i]) return false;
  return true;
}

/**
 * Parses one uevent datagram. Returns undefined for udev's re-broadcasts
 * and for anything that is not `ACTION@DEVPATH` followed by pairs.
 *
 * @example
 * ```ts
 * import { parseUevent } from "./uevent.ts";
 * const raw = new TextEncoder().encode(
 *   "add@/devices/virtual/net/v0\0ACTION=add\0SUBSYSTEM=net\0SEQNUM=7\0",
 * );
 * parseUevent(raw)?.subsystem; // "net"
 * ```
 */
export function parseUevent(bytes: Uint8Array): Uevent | undefined {
  if (isUdevMessage(bytes)) return undefined;
  const parts = text.decode(bytes).split("\0");
  const head = parts[0];
  const at = head.indexOf("@");
  if (at <= 0 || at === head.length - 1) return undefined;
  const env: Record<string, string> = {};
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p === "") continue;
    const eq = p.indexOf("=");
    if (eq <= 0) return undefined;
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const ev: Uevent = { action: head.slice(0, at), devpath: head.slice(at + 1), env };
  if (env.SUBSYSTEM !== undefined) ev.subsystem = env.SUBSYSTEM;
  if (env.SEQNUM !== undefined && /^\d+$/.test(env.SEQNUM)) ev.seqnum = Number(env.SEQNUM);
  return ev;
}

/** An item of {@linkcode uevents}: an event, or news that some were lost. */
export type UeventItem = Uevent | Overrun;

/**
 * The kernel's uevents, on a socket of their own (in `options.netns`, if
 * given: a network namespace sees the uevents of its own network devices).
 * The socket opens at the first `next()` (a `for await` loop calls it at
 * once), so an iterator that is never started holds nothing; leaving the
 * loop, `return()` or aborting closes it.
 *
 * @example
 * ```ts ignore
 * import { uevents } from "./uevent.ts";
 * for await (const ev of uevents({ signal: AbortSignal.timeout(10_000) })) {
 *   if (ev instanceof Overrun) console.log("lost some");
 *   else console.log(ev.action, ev.devpath);
 * }
 * ```
 */
export function uevents(
  options: { netns?: string; signal?: AbortSignal; receiveBufferSize?: number } = {},
): AsyncIterableIterator<UeventItem> {
  return (async function* (): AsyncGenerator<UeventItem> {
    // Opened here, at the first next(): the generator's body runs then.
    const sock = NetlinkSocket.open(NETLINK.KOBJECT_UEVENT, {
      raw: true,
      groups: [UEVENT_GROUP_KERNEL],
      netns: options.netns,
      signal: options.signal,
      receiveBufferSize: options.receiveBufferSize,
    });
    try {
      for await (const m of sock.events()) {
        if (m instanceof Overrun) {
          yield m;
          continue;
        }
        const ev = parseUevent(m.payload);
        if (ev) yield ev;
      }
    } finally {
      await sock.close();
    }
  })();
}
