/**
 * Named network namespaces, as `ip netns add/del` makes them: a bind
 * mount under /var/run/netns. Creating one never leaves the calling thread
 * in another namespace (the backend returns it before it answers); both
 * calls are synchronous, as the system calls are. Open
 * any socket or client in one with `{ netns: name }`.
 *
 * @module
 */
import { SyscallError } from "../errors.ts";
import type { WaitOptions } from "../socket.ts";
import { loadSys, type Sys } from "../sys.ts";
import type { FamilyClient } from "../ynl/family.ts";
import type { RtNsidOps } from "../families/rt_nsid.ts";

/** Where named namespaces live (as `ip netns` keeps them). */
export const NETNS_DIR = "/var/run/netns";

function pathOf(name: unknown): string {
  if (
    typeof name !== "string" || name === "" || name === "." || name === ".." ||
    name.includes("/") || name.includes("\0") || new TextEncoder().encode(name).length > 255
  ) {
    throw new TypeError(`a netns name is 1..255 bytes without "/", got ${JSON.stringify(name)}`);
  }
  return `${NETNS_DIR}/${name}`;
}

/**
 * Creates the named network namespace (`ip netns add NAME`); EEXIST as a
 * SyscallError if it exists.
 *
 * @example
 * ```ts ignore
 * import { createNetns, deleteNetns, Rtnl } from "../../mod.ts";
 * createNetns("lab");
 * await using rtnl = Rtnl.open({ netns: "lab" });
 * await rtnl.addLink("br0", { kind: "bridge" });
 * deleteNetns("lab");
 * ```
 */
export function createNetns(name: string, options: { sys?: Sys } = {}): void {
  const path = pathOf(name);
  const sys = options.sys ?? loadSys();
  if (!sys.createNetns) throw new TypeError("createNetns: this Sys cannot create namespaces");
  const r = sys.createNetns(path);
  if (r < 0) throw new SyscallError("createNetns", r, path);
}

/**
 * Deletes the named network namespace (`ip netns del NAME`): its links go
 * when the last process or socket in it does.
 *
 * @example
 * ```ts ignore
 * import { deleteNetns } from "../../mod.ts";
 * deleteNetns("lab");
 * ```
 */
export function deleteNetns(name: string, options: { sys?: Sys } = {}): void {
  const path = pathOf(name);
  const sys = options.sys ?? loadSys();
  if (!sys.deleteNetns) throw new TypeError("deleteNetns: this Sys cannot delete namespaces");
  const r = sys.deleteNetns(path);
  if (r < 0) throw new SyscallError("deleteNetns", r, path);
}

/**
 * The named network namespaces (`ip netns list`): the names under
 * /var/run/netns, sorted; none when the directory does not exist.
 *
 * @example
 * ```ts ignore
 * import { listNetns } from "../../mod.ts";
 * listNetns(); // ["blue", "lab"]
 * ```
 */
export function listNetns(options: { sys?: Sys } = {}): string[] {
  const sys = options.sys ?? loadSys();
  if (!sys.listDir) throw new TypeError("listNetns: this Sys cannot list directories");
  const r = sys.listDir(NETNS_DIR);
  if (r === -2) return [];
  if (typeof r === "number") throw new SyscallError("listNetns", r, NETNS_DIR);
  return r.sort();
}

/**
 * The id the namespace of `client`'s socket gives the named namespace (or
 * a path such as `/proc/PID/ns/net`), as `ip netns list-id` shows it;
 * undefined when none is assigned.
 *
 * @example
 * ```ts ignore
 * import { FamilyClient } from "../ynl/family.ts";
 * import { rtNsid, type RtNsidOps } from "../families/rt_nsid.ts";
 * const id = await nsidOf(FamilyClient.attach<RtNsidOps>(rtNsid, socket), "lab");
 * ```
 */
export async function nsidOf(
  client: FamilyClient<RtNsidOps>,
  netns: string,
  options: WaitOptions & { sys?: Sys } = {},
): Promise<number | undefined> {
  const { sys: given, ...rest } = options;
  const path = typeof netns === "string" && netns.includes("/") ? netns : pathOf(netns);
  const sys = given ?? loadSys();
  if (!sys.openNamespace) throw new TypeError("nsid: this Sys cannot open namespaces");
  const fd = sys.openNamespace(path);
  if (fd < 0) throw new SyscallError("open", fd, path);
  try {
    const [d] = await client.do("getnsid", { attrs: { fd } }, rest);
    const id = d?.attrs.nsid;
    return id === undefined || id < 0 ? undefined : id;
  } finally {
    sys.close(fd);
  }
}
