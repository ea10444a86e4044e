/**
 * The guest's root file system: busybox, Deno, host binaries with every
 * library `ldd` lists, the project's sources, an /init script; packed as a
 * gzip'd newc cpio for qemu's -initrd.
 *
 * @module
 */
import { sh } from "../../tools/fetch_specs.ts";
import { exists } from "./apt.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Copies a directory tree, leaving out node_modules and .out. */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.name === "node_modules" || e.name === ".out") continue;
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/**
 * A guest root being staged in a host directory.
 *
 * @example
 * ```ts
 * const g = await GuestRoot.create(".out/vm/root/");
 * await g.binary("/usr/sbin/ip");
 * await g.init("#!/bin/busybox sh\necho hi\npoweroff -f\n");
 * await g.pack(".out/vm/initramfs.cpio.gz");
 * ```
 */
export class GuestRoot {
  readonly #binaries: string[] = [];

  private constructor(readonly dir: string) {}

  /** Starts from an empty `dir`: busybox (with `sh`), Deno, /etc/passwd and /etc/group. */
  static async create(dir: string): Promise<GuestRoot> {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    for (
      const d of ["bin", "proc", "sys", "dev", "tmp", "run", "root", "etc", "lib64", "project"]
    ) {
      await Deno.mkdir(dir + d, { recursive: true });
    }
    const g = new GuestRoot(dir);
    await g.binary("/bin/busybox", "/bin/busybox", false);
    await g.binary(Deno.execPath(), "/bin/deno");
    await g.write(
      "/etc/passwd",
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n",
    );
    await g.write("/etc/group", "root:x:0:\nnogroup:x:65534:\n");
    return g;
  }

  /** Writes a file into the guest. */
  async write(guest: string, text: string, mode = 0o644): Promise<void> {
    const dest = this.dir + guest.slice(1);
    await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(dest, text);
    await Deno.chmod(dest, mode);
  }

  /** Copies a host file into the guest (same path unless `guest` is given). */
  async file(host: string, guest = host, mode?: number): Promise<void> {
    const dest = this.dir + guest.slice(1);
    await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(host, dest);
    if (mode !== undefined) await Deno.chmod(dest, mode);
  }

  /** Copies an executable; its libraries follow at {@linkcode pack} unless `dynamic` is false. */
  async binary(host: string, guest = host, dynamic = true): Promise<void> {
    await this.file(host, guest, 0o755);
    if (dynamic) this.#binaries.push(host);
  }

  /** Copies a host directory tree (if it exists) to the same path in the guest. */
  async tree(host: string, guest = host): Promise<void> {
    if (exists(host)) await copyTree(host, this.dir + guest.slice(1));
  }

  /** The project's mod.ts and the named directories, under /project. */
  async project(dirs: string[]): Promise<void> {
    await this.file(`${ROOT}mod.ts`, "/project/mod.ts");
    for (const d of dirs) await copyTree(ROOT + d, `${this.dir}project/${d}`);
  }

  /** Writes /init. */
  init(script: string): Promise<void> {
    return this.write("/init", script, 0o755);
  }

  /** Adds the loader and every library the binaries link, then packs the root into `image`. */
  async pack(image: string): Promise<string> {
    const libs = new Set<string>();
    for (const bin of this.#binaries) {
      for (const m of (await sh("ldd", [bin])).matchAll(/(\/\S+\.so[^\s]*)/g)) libs.add(m[1]);
    }
    for (const lib of libs) await this.file(lib);
    await sh("sh", [
      "-c",
      `cd '${this.dir}' && find . | cpio -o -H newc --quiet | gzip -1 > '${image}'`,
    ]);
    return image;
  }
}
