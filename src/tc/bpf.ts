/**
 * BPF programs pinned on a bpf filesystem, for bpf filters: the path is
 * opened with `bpf(BPF_OBJ_GET)` through the {@linkcode Sys} contract.
 *
 * @module
 */
import { SyscallError } from "../errors.ts";
import { loadSys } from "../sys.ts";

/**
 * A new file descriptor for the BPF object pinned at `path`; the caller
 * closes it (with {@linkcode closeFd}). A SyscallError (`ENOENT`,
 * `EACCES`, ...) names the path when it cannot be had.
 *
 * @example
 * ```ts ignore
 * import { closeFd, openPinned } from "./bpf.ts";
 * const fd = openPinned("/sys/fs/bpf/my_prog");
 * closeFd(fd);
 * ```
 */
export function openPinned(path: string): number {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`bpf pinned: a path on a bpf filesystem, got ${JSON.stringify(path)}`);
  }
  const sys = loadSys();
  if (!sys.bpfObjGet) throw new TypeError("bpf pinned: this runtime's backend has no bpf(2)");
  const fd = sys.bpfObjGet(path);
  if (fd < 0) throw new SyscallError("bpf", fd, `BPF_OBJ_GET ${path}`);
  return fd;
}

/**
 * Closes a descriptor {@linkcode openPinned} returned.
 *
 * @example
 * ```ts ignore
 * import { closeFd, openPinned } from "./bpf.ts";
 * closeFd(openPinned("/sys/fs/bpf/my_prog"));
 * ```
 */
export function closeFd(fd: number): void {
  loadSys().close(fd);
}
