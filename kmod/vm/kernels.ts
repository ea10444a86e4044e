/**
 * The Debian kernels the VM boots, each with what it takes to build the
 * module against it: bookworm's 6.1 (headers from the host's apt),
 * bookworm-backports' 6.12 (headers unpacked into a prefix) and
 * trixie-backports' 7.2 (see trixie.ts: its image, its own modules, and a
 * Debian 13 root to build in).
 *
 * @module
 */
import { sh } from "../../tools/fetch_specs.ts";
import { aptInstall, exists, privateApt, which } from "./apt.ts";
import { trixieKernel } from "./trixie.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** Where the VM's downloads and builds are cached between runs. */
export const OUT = `${ROOT}.out/vm/`;

/** The kernels, by the name `--kernel` takes. */
export const KERNELS = {
  bookworm: "Debian 12's 6.1",
  backports: "bookworm-backports' 6.12",
  trixie: "trixie-backports' 7.2",
} as const;

/** A name of {@linkcode KERNELS}. */
export type KernelName = keyof typeof KERNELS;

/** A kernel to build against and boot. */
export interface Kernel {
  /** Its version string, e.g. 6.1.0-56-amd64. */
  kver: string;
  /** Its image (vmlinuz). */
  image: string;
  /** Builds the module whose sources (a copy of kmod/) are in `dir`; returns make's output. */
  make(dir: string): Promise<string>;
  /** Its own modules tree (lib/modules/KVER with modules.dep), fetched on first use. */
  modules(): Promise<string>;
}

/** Installs the host tools every VM run needs (qemu, busybox, cpio), or says how. */
export async function ensureVmTools(log: (s: string) => void, extra: string[] = []) {
  const missing = [...extra];
  if (!await which("qemu-system-x86_64")) missing.push("qemu-system-x86");
  if (!exists("/bin/busybox")) missing.push("busybox-static");
  if (!await which("cpio")) missing.push("cpio");
  await aptInstall(missing, log);
}

/** The host-side compiler tools (for the C bench client and the 6.x builds). */
async function ensureBuildTools(log: (s: string) => void, extra: string[] = []) {
  const missing = [...extra];
  if (!await which("gcc") || !await which("make")) missing.push("build-essential");
  if (!await which("bc")) missing.push("bc");
  await ensureVmTools(log, missing);
}

/** bookworm's kernel version: $KVER, else the one linux-headers-amd64 depends on. */
async function bookwormVersion(): Promise<string> {
  const env = Deno.env.get("KVER");
  if (env) return env;
  const read = async () =>
    /Depends: linux-headers-(\S+)/.exec(
      await sh("apt-cache", ["depends", "linux-headers-amd64"]).catch(() => ""),
    )?.[1];
  let kver = await read();
  if (!kver && Deno.uid() === 0) {
    await sh("apt-get", ["update", "-qq"]);
    kver = await read();
  }
  if (!kver) throw new Error("cannot tell the kernel version: set KVER or run as root");
  return kver;
}

/** Runs make in `dir` against the build tree `kdir`. */
function makeIn(kdir: string, extra: string[] = []) {
  return (dir: string) => sh("make", ["-C", dir, `KDIR=${kdir}`, ...extra]);
}

function noModules(name: string) {
  return () =>
    Promise.reject(new Error(`the VM loads modules only from trixie's kernel, not ${name}`));
}

/** Debian bookworm's kernel: headers from apt, the image from its .deb (installing it would pull in udev). */
async function bookwormKernel(log: (s: string) => void): Promise<Kernel> {
  const kver = await bookwormVersion();
  const kdir = `/lib/modules/${kver}/build`;
  await ensureBuildTools(log, exists(`${kdir}/Makefile`) ? [] : [`linux-headers-${kver}`]);
  const image = `${OUT}vmlinuz-${kver}`;
  if (!exists(image)) {
    const dir = `${OUT}deb/`;
    await Deno.mkdir(dir, { recursive: true });
    await sh("apt-get", ["download", `linux-image-${kver}`], { cwd: dir });
    await sh("sh", [
      "-c",
      `dpkg-deb --fsys-tarfile linux-image-${kver}_*.deb | tar -xO ./boot/vmlinuz-${kver} > ${image}.tmp && mv ${image}.tmp ${image} && rm -f linux-image-${kver}_*.deb`,
    ], { cwd: dir });
  }
  return { kver, image, make: makeIn(kdir), modules: noModules("bookworm") };
}

/**
 * bookworm-backports' kernel (6.12), fetched with a private apt
 * configuration, the packages unpacked into a prefix.
 */
async function backportsKernel(log: (s: string) => void): Promise<Kernel> {
  await ensureBuildTools(log);
  const dir = `${ROOT}.out/backports/`;
  await Deno.mkdir(`${dir}debs`, { recursive: true });
  await Deno.mkdir(`${dir}prefix`, { recursive: true });
  const env = await privateApt(dir.slice(0, -1), "bookworm-backports");
  const kverFile = `${dir}kver`;
  let kver = await Deno.readTextFile(kverFile).catch(() => "");
  if (!kver) {
    kver = /Depends: linux-headers-(\S+)/.exec(
      await sh("apt-cache", ["depends", "linux-headers-amd64"], { env }),
    )?.[1] ?? "";
    if (!kver) throw new Error("bookworm-backports has no linux-headers-amd64");
  }
  const base = kver.replace(/-amd64$/, "");
  const kdir = `${dir}prefix/usr/src/linux-headers-${kver}`;
  const image = `${OUT}vmlinuz-${kver}`;
  if (!exists(`${kdir}/Makefile`) || !exists(image)) {
    log(`fetching linux ${kver} from bookworm-backports`);
    const debs = [
      `linux-headers-${kver}`,
      `linux-headers-${base}-common`,
      `linux-kbuild-${base}`,
      `linux-image-${kver}-unsigned`,
    ];
    await sh("apt-get", ["download", ...debs], { cwd: `${dir}debs`, env });
    await sh("sh", [
      "-c",
      `for d in linux-headers-*.deb linux-kbuild-*.deb; do dpkg-deb -x "$d" ../prefix; done && ` +
      `dpkg-deb --fsys-tarfile linux-image-*.deb | tar -xO ./boot/vmlinuz-${kver} > ${image} && rm -f *.deb`,
    ], { cwd: `${dir}debs` });
    // the headers' Makefile includes the common tree by its absolute path
    const mk = `${kdir}/Makefile`;
    await Deno.writeTextFile(
      mk,
      (await Deno.readTextFile(mk)).replace("include /usr/src/", `include ${dir}prefix/usr/src/`),
    );
    await Deno.writeTextFile(kverFile, kver);
  }
  // no pahole here: skip the module's BTF (it is optional at load time)
  return {
    kver,
    image,
    make: makeIn(kdir, ["CONFIG_DEBUG_INFO_BTF_MODULES="]),
    modules: noModules("backports"),
  };
}

/** The kernel called `name`, fetched (and cached under .out/) as needed. */
export async function kernel(name: KernelName, log: (s: string) => void): Promise<Kernel> {
  await Deno.mkdir(OUT, { recursive: true });
  if (name === "bookworm") return await bookwormKernel(log);
  if (name === "backports") return await backportsKernel(log);
  await ensureVmTools(log);
  return await trixieKernel(`${ROOT}.out/trixie/`, OUT, log);
}

/** Checks a `--kernel` value. */
export function kernelName(name: string): KernelName {
  if (!Object.hasOwn(KERNELS, name)) {
    throw new TypeError(
      `unknown kernel ${JSON.stringify(name)}; one of: ${
        Object.entries(KERNELS).map(([k, v]) => `${k} (${v})`).join(", ")
      }`,
    );
  }
  return name as KernelName;
}
