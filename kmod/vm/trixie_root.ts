/**
 * A Debian 13 (trixie) root to build the module against Linux 7.2: that
 * kernel's kbuild needs glibc >= 2.38 and its headers gcc-14, newer than a
 * Debian 12 host has. Made with debootstrap from the mirror this machine
 * uses, the headers installed from trixie-backports with the root's own
 * apt, and cached (a stamp file per step) so that later runs only build.
 *
 * The chroot's mounts (/proc) live in a private mount namespace
 * (`unshare --mount`), so nothing stays mounted when a step ends.
 *
 * @module
 */
import { sh } from "../../tools/fetch_specs.ts";
import { aptInstall, debianMirror, exists, which } from "./apt.ts";

/** Runs `script` with `root` as / (and its own /proc), in a private mount namespace. */
export function inRoot(root: string, script: string): Promise<string> {
  return sh("unshare", [
    "--mount",
    "--fork",
    "sh",
    "-c",
    `mount -t proc proc '${root}proc' && exec chroot '${root}' /bin/sh -c "$0"`,
    script,
  ], {
    env: {
      DEBIAN_FRONTEND: "noninteractive",
      LC_ALL: "C.UTF-8",
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    },
  });
}

/** Makes (once) the trixie root at `root` with the headers of `kver`. */
export async function trixieRoot(root: string, kver: string, log: (s: string) => void) {
  const base = root.replace(/\/$/, "");
  const strapped = `${base}.debootstrapped`;
  // gcc-14 runs `as`, which only binutils provides (not the headers' dependencies)
  const packages = `linux-headers-${kver} binutils`;
  const ready = `${base}.installed`;
  if ((await Deno.readTextFile(ready).catch(() => "")) === packages) return;
  if (Deno.uid() !== 0) throw new Error("building for 7.2 needs a trixie root: run as root");
  if (!exists(strapped)) {
    if (!await which("debootstrap")) await aptInstall(["debootstrap"], log);
    await Deno.remove(root, { recursive: true }).catch(() => {});
    log("debootstrap trixie (once; cached under .out/trixie/root)");
    const t0 = Date.now();
    await sh("debootstrap", [
      "--variant=minbase",
      "--include=make",
      "trixie",
      root,
      await debianMirror(),
    ]);
    log(`debootstrap took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await Deno.writeTextFile(strapped, "");
  }
  const mirror = await debianMirror();
  await Deno.writeTextFile(
    `${root}etc/apt/sources.list`,
    `deb ${mirror} trixie main\ndeb ${mirror} trixie-backports main\n`,
  );
  // the host's apt may accept its mirror's metadata as it is (an old snapshot): so does this one
  const checks = (await sh("apt-config", ["dump"])).split("\n")
    .filter((l) => /^Acquire::Check-(Valid-Until|Date) /.test(l));
  await Deno.writeTextFile(`${root}etc/apt/apt.conf.d/90host-checks`, checks.join("\n") + "\n");
  log(`installing ${packages} in the trixie root`);
  const t0 = Date.now();
  await inRoot(
    root,
    `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages} && apt-get clean`,
  );
  log(`headers took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await Deno.writeTextFile(ready, packages);
}

/**
 * Builds the module whose sources are in `src` (a copy of kmod/) inside the
 * trixie root with `W=1`, and copies the .ko back into `src`. Returns
 * make's output.
 */
export async function buildInTrixie(
  root: string,
  kver: string,
  src: string,
  log: (s: string) => void,
): Promise<string> {
  await trixieRoot(root, kver, log);
  const inside = `${root}build/nlrtable/`;
  await Deno.remove(inside, { recursive: true }).catch(() => {});
  await Deno.mkdir(inside, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (e.isFile) await Deno.copyFile(`${src}/${e.name}`, inside + e.name);
  }
  // no vmlinux in Debian's headers, so no BTF for the module (optional at load time)
  const out = await inRoot(
    root,
    `make -C /build/nlrtable KDIR=/usr/src/linux-headers-${kver} CONFIG_DEBUG_INFO_BTF_MODULES=`,
  );
  await Deno.copyFile(`${inside}nlrtable.ko`, `${src.replace(/\/$/, "")}/nlrtable.ko`);
  return out;
}
