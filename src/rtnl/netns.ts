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
import { loadSys, type Sys } from "../sys.ts";

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
