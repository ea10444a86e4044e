/**
 * Runs the nlrtable module in a real kernel: Debian's, booted in qemu (TCG),
 * because the machines here run a kernel without module support.
 *
 * It installs what it needs when run as root (else prints the command),
 * builds the module with W=1 (a warning fails), packs an initramfs with
 * busybox, Deno and the project's sources, boots, and reads the result
 * back from the serial console: the guest's output between markers, then
 * rmmod's status and dmesg, which must show no WARNING/BUG/Oops and the
 * module's own "nothing leaked".
 *
 *     deno run -A kmod/vm/harness.ts test    # tests/kmod/ in the guest
 *     deno run -A kmod/vm/harness.ts demo    # examples/founding.ts
 *     deno run -A kmod/vm/harness.ts bench   # bench/kmod_roundtrip.ts
 *
 * Environment: KVER picks the kernel (default: linux-headers-amd64's).
 *
 * @module
 */
import { choice, parseCli, runCli } from "../../src/cli/usage.ts";
import { backportsApt, sh } from "../../tools/fetch_specs.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const OUT = `${ROOT}.out/vm/`;

/** What the guest runs. */
export type Mode = "test" | "demo" | "bench";

/** The outcome of one boot. */
export interface VmResult {
  /** True when every check passed. */
  ok: boolean;
  /** What failed, in words. */
  problems: string[];
  /** The guest command's output (between the markers). */
  output: string;
  /** The guest's dmesg after rmmod. */
  dmesg: string;
  /** The whole serial log. */
  serial: string;
}

const text = new TextDecoder();

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function which(tool: string): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
    .output();
  return r.success;
}

/** The kernel version: $KVER, else the one linux-headers-amd64 depends on. */
async function kernelVersion(): Promise<string> {
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

/** Installs the packages the VM needs, or says how. */
async function ensurePackages(kver: string, log: (s: string) => void): Promise<void> {
  const missing: string[] = [];
  if (!await which("qemu-system-x86_64")) missing.push("qemu-system-x86");
  if (!exists("/bin/busybox")) missing.push("busybox-static");
  if (!await which("cpio")) missing.push("cpio");
  if (!await which("gcc") || !await which("make")) missing.push("build-essential");
  if (!await which("bc")) missing.push("bc");
  if (!exists(`/lib/modules/${kver}/build/Makefile`)) missing.push(`linux-headers-${kver}`);
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (Deno.uid() !== 0) throw new Error(`missing packages; as root run:\n  ${cmd}`);
  log(`installing ${missing.join(" ")}`);
  await sh("sh", ["-c", cmd], { env: { DEBIAN_FRONTEND: "noninteractive" } });
}

/** Debian's kernel image, extracted from its .deb (installing it would pull in udev). */
async function kernelImage(kver: string): Promise<string> {
  const image = `${OUT}vmlinuz-${kver}`;
  if (exists(image)) return image;
  const dir = `${OUT}deb/`;
  await Deno.mkdir(dir, { recursive: true });
  await sh("apt-get", ["download", `linux-image-${kver}`], { cwd: dir });
  await sh("sh", [
    "-c",
    `dpkg-deb --fsys-tarfile linux-image-${kver}_*.deb | tar -xO ./boot/vmlinuz-${kver} > ${image}.tmp && mv ${image}.tmp ${image} && rm -f linux-image-${kver}_*.deb`,
  ], { cwd: dir });
  return image;
}

/** A kernel to build against and boot. */
interface Kernel {
  /** Its version string, e.g. 6.1.0-56-amd64. */
  kver: string;
  /** Its build tree (headers). */
  kdir: string;
  /** Its image (vmlinuz). */
  image: string;
  /** Extra make variables. */
  make: string[];
}

/** Builds the module out of tree with W=1; any warning is a failure. */
async function buildModule(k: Kernel): Promise<string> {
  const dir = `${OUT}build-${k.kver}/`;
  await Deno.mkdir(dir, { recursive: true });
  for (const f of ["Kbuild", "Makefile", "nlrtable.c", "nlrtable.h"]) {
    await Deno.copyFile(`${ROOT}kmod/${f}`, dir + f);
  }
  const log = await sh("make", ["-C", dir, `KDIR=${k.kdir}`, ...k.make]);
  const warnings = log.split("\n").filter((l) => /warning:|error:/i.test(l));
  if (warnings.length) throw new Error(`module build warnings:\n${warnings.join("\n")}`);
  return `${dir}nlrtable.ko`;
}

/** Debian bookworm's kernel: headers from apt, the image from its .deb. */
async function bookwormKernel(log: (s: string) => void): Promise<Kernel> {
  const kver = await kernelVersion();
  await ensurePackages(kver, log);
  return { kver, kdir: `/lib/modules/${kver}/build`, image: await kernelImage(kver), make: [] };
}

/**
 * bookworm-backports' kernel (6.12), fetched without touching /etc/apt: a
 * private apt configuration whose one source is the backports suite of the
 * mirror this machine uses, and the packages unpacked into a prefix.
 */
async function backportsKernel(log: (s: string) => void): Promise<Kernel> {
  await ensurePackages(await kernelVersion(), log); // the tools; 6.1 headers are harmless
  const dir = `${ROOT}.out/backports/`;
  await Deno.mkdir(`${dir}debs`, { recursive: true });
  await Deno.mkdir(`${dir}prefix`, { recursive: true });
  const env = await backportsApt(dir.slice(0, -1), "bookworm-backports");
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
  return { kver, kdir, image, make: ["CONFIG_DEBUG_INFO_BTF_MODULES="] };
}

/** Builds the C reference client for the in-VM benchmark. */
async function buildCClient(): Promise<string> {
  const out = `${OUT}nlrt_roundtrip`;
  await sh("gcc", ["-O2", "-Wall", "-Werror", "-o", out, `${ROOT}bench/c/nlrt_roundtrip.c`]);
  return out;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root DENO_DIR=/tmp/deno NO_COLOR=1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
chmod 1777 /tmp
ip link set lo up
mode=$(sed -n 's/.*nlrtmode=\\([a-z]*\\).*/\\1/p' /proc/cmdline)
only=$(sed -n 's/.*nlrtonly=\\([a-z_]*\\).*/\\1/p' /proc/cmdline)
echo "@@BOOTED mode=$mode"
insmod /nlrtable.ko
echo "@@INSMOD=$?"
cd /project
echo "@@OUT_BEGIN"
case "$mode" in
test) deno test -A --no-check --no-config tests/kmod/\${only:+\$only.test.ts} ;;
demo) deno run -A --no-check --no-config examples/founding.ts ;;
bench) deno run -A --no-check --no-config bench/kmod_roundtrip.ts /bin/nlrt_roundtrip ;;
esac
echo "@@OUT_END rc=$?"
rmmod nlrtable
echo "@@RMMOD=$?"
echo "@@DMESG_BEGIN"
dmesg
echo "@@DMESG_END"
poweroff -f
`;

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.name === "node_modules" || e.name === ".out") continue;
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Stages the guest's root file system and packs it. */
async function packInitramfs(ko: string, cClient: string): Promise<string> {
  const root = `${OUT}root/`;
  await Deno.remove(root, { recursive: true }).catch(() => {});
  for (const d of ["bin", "proc", "sys", "dev", "tmp", "root", "etc", "lib64", "project"]) {
    await Deno.mkdir(root + d, { recursive: true });
  }
  await Deno.copyFile("/bin/busybox", `${root}bin/busybox`);
  await Deno.chmod(`${root}bin/busybox`, 0o755);
  const deno = Deno.execPath();
  await Deno.copyFile(deno, `${root}bin/deno`);
  await Deno.chmod(`${root}bin/deno`, 0o755);
  await Deno.copyFile(cClient, `${root}bin/nlrt_roundtrip`);
  await Deno.chmod(`${root}bin/nlrt_roundtrip`, 0o755);
  // the loader and every library deno or the C client links, plus the
  // libc that ffi/deno.ts opens by name
  // util-linux's setpriv (busybox's cannot change uid) for unprivileged tests
  await Deno.mkdir(`${root}usr/bin`, { recursive: true });
  await Deno.copyFile("/usr/bin/setpriv", `${root}usr/bin/setpriv`);
  const libs = new Set<string>();
  for (const bin of [deno, cClient, "/usr/bin/setpriv"]) {
    for (const m of (await sh("ldd", [bin])).matchAll(/(\/\S+\.so[^\s]*)/g)) libs.add(m[1]);
  }
  for (const lib of libs) {
    const dest = root + lib.slice(1);
    await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(lib, dest);
  }
  await Deno.writeTextFile(`${root}init`, INIT);
  await Deno.chmod(`${root}init`, 0o755);
  await Deno.writeTextFile(
    `${root}etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n",
  );
  await Deno.writeTextFile(`${root}etc/group`, "root:x:0:\nnogroup:x:65534:\n");
  await Deno.copyFile(ko, `${root}nlrtable.ko`);
  const project = `${root}project/`;
  await Deno.copyFile(`${ROOT}mod.ts`, `${project}mod.ts`);
  for (const d of ["src", "ffi", "tests/kmod", "tests/helpers", "examples", "bench"]) {
    await copyTree(ROOT + d, project + d);
  }
  await Deno.mkdir(`${project}kmod`, { recursive: true });
  await Deno.copyFile(`${ROOT}kmod/nlrtable.h`, `${project}kmod/nlrtable.h`);
  const image = `${OUT}initramfs.cpio.gz`;
  await sh("sh", ["-c", `cd ${root} && find . | cpio -o -H newc --quiet | gzip -1 > ${image}`]);
  return image;
}

/** True only where KVM really works (not the nested kvm_pvm driver here). */
function kvmUsable(): boolean {
  try {
    Deno.openSync("/dev/kvm", { read: true, write: true }).close();
    const cpu = Deno.readTextFileSync("/proc/cpuinfo");
    return /\b(vmx|svm)\b/.test(cpu) && !exists("/sys/module/kvm_pvm");
  } catch {
    return false;
  }
}

/** Boots the guest and streams its serial console line by line. */
async function boot(
  kernel: string,
  initrd: string,
  mode: Mode,
  only: string,
  timeoutS: number,
  onLine: (line: string) => void,
): Promise<string> {
  const accel = kvmUsable() ? ["-enable-kvm", "-cpu", "host"] : [
    "-accel",
    "tcg,thread=multi",
    "-cpu",
    "max",
  ];
  const qemu = new Deno.Command("timeout", {
    args: [
      "-k",
      "5",
      String(timeoutS),
      "qemu-system-x86_64",
      ...accel,
      "-smp",
      "2",
      "-m",
      "1024",
      "-nographic",
      "-nodefaults",
      "-serial",
      "stdio",
      "-no-reboot",
      "-kernel",
      kernel,
      "-initrd",
      initrd,
      "-append",
      `console=ttyS0 panic=-1 quiet nlrtmode=${mode} nlrtonly=${only}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let serial = "";
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of qemu.stdout) {
    pending += decoder.decode(chunk, { stream: true }).replaceAll("\r", "");
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      serial += line + "\n";
      onLine(line);
    }
  }
  serial += pending;
  const status = await qemu.status;
  const err = text.decode(await new Response(qemu.stderr).arrayBuffer());
  if (status.code === 124) serial += `\n@@TIMEOUT after ${timeoutS}s\n`;
  if (err.trim()) serial += `\n@@QEMU_STDERR ${err}\n`;
  return serial;
}

/**
 * Runs the kernel's checkpatch.pl (--strict) on the module's sources; the
 * script comes from Debian's linux-source package (downloaded, not
 * installed). Returns its report; throws when the tools are missing.
 */
export async function checkpatch(): Promise<{ clean: boolean; report: string }> {
  const dir = `${OUT}checkpatch/`;
  const script = `${dir}scripts/checkpatch.pl`;
  if (!exists(script)) {
    await Deno.mkdir(dir, { recursive: true });
    const pkg = /Depends: (linux-source-[\d.]+)/.exec(
      await sh("apt-cache", ["depends", "linux-source"]),
    )?.[1];
    if (!pkg) throw new Error("apt knows no linux-source package: run apt-get update as root");
    await sh("apt-get", ["download", pkg], { cwd: dir });
    const files = ["checkpatch.pl", "spelling.txt", "const_structs.checkpatch"]
      .map((f) => `'*/scripts/${f}'`).join(" ");
    await sh("sh", [
      "-c",
      `dpkg-deb --fsys-tarfile ${pkg}_*.deb | tar -xO --wildcards './usr/src/${pkg}.tar.xz' | ` +
      `tar -xJ --wildcards --strip-components=1 ${files} && rm -f ${pkg}_*.deb`,
    ], { cwd: dir });
  }
  const out = await new Deno.Command("perl", {
    args: [script, "--no-tree", "--strict", "-f", "kmod/nlrtable.c", "kmod/nlrtable.h"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const report = text.decode(out.stdout) + text.decode(out.stderr);
  const totals = [...report.matchAll(/total: (\d+) errors, (\d+) warnings, (\d+) checks/g)];
  const clean = out.success && totals.length === 2 &&
    totals.every((m) => m[1] === "0" && m[2] === "0" && m[3] === "0");
  return { clean, report };
}

/** Reads the markers and dmesg; every check that fails is a problem. */
export function judge(serial: string, mode: Mode): VmResult {
  const problems: string[] = [];
  const between = (a: string, b: string) => {
    const i = serial.indexOf(a);
    const j = serial.indexOf(b, i + 1);
    return i >= 0 && j >= 0 ? serial.slice(serial.indexOf("\n", i) + 1, j) : undefined;
  };
  const output = between("@@OUT_BEGIN", "@@OUT_END") ?? "";
  const dmesg = between("@@DMESG_BEGIN", "@@DMESG_END");
  if (!serial.includes("@@BOOTED")) problems.push("the guest never reached /init");
  if (!serial.includes("@@INSMOD=0")) problems.push("insmod failed");
  const rc = /@@OUT_END rc=(\d+)/.exec(serial)?.[1];
  if (rc === undefined) problems.push("no result from the guest (crash or timeout)");
  else if (rc !== "0") problems.push(`the guest's ${mode} command exited ${rc}`);
  if (mode === "test") {
    const summary = /^(ok|FAILED) \| (\d+) passed.*\| (\d+) failed/m.exec(output);
    if (!summary) problems.push("no test summary in the guest's output");
    else if (summary[1] !== "ok" || summary[3] !== "0" || Number(summary[2]) === 0) {
      problems.push(`guest tests: ${summary[0]}`);
    }
  }
  if (!serial.includes("@@RMMOD=0")) problems.push("rmmod failed");
  if (dmesg === undefined) problems.push("no dmesg from the guest");
  else {
    const bad = dmesg.split("\n").filter((l) =>
      /WARNING:|BUG:|Oops|Call Trace|general protection|refcount_t:|leaked \d/.test(l)
    );
    if (bad.length) problems.push(`dmesg:\n${bad.join("\n")}`);
    if (!dmesg.includes("nlrtable: unloaded, nothing leaked")) {
      problems.push("dmesg lacks the module's clean-unload line");
    }
  }
  if (serial.includes("@@TIMEOUT")) problems.push("qemu timed out");
  return { ok: problems.length === 0, problems, output, dmesg: dmesg ?? "", serial };
}

/** Builds, boots and judges. `onOutput` sees the guest command's lines live. */
export async function runVm(
  mode: Mode,
  options: {
    onOutput?: (line: string) => void;
    log?: (s: string) => void;
    timeoutS?: number;
    /** Run only tests/kmod/ONLY.test.ts. */
    only?: string;
    /** Debian bookworm's kernel (6.1, default) or bookworm-backports' (6.12). */
    kernel?: "bookworm" | "backports";
  } = {},
): Promise<VmResult> {
  const log = options.log ?? (() => {});
  await Deno.mkdir(OUT, { recursive: true });
  const kernel = options.kernel === "backports"
    ? await backportsKernel(log)
    : await bookwormKernel(log);
  log(`kernel ${kernel.kver}`);
  const [ko, cClient] = await Promise.all([buildModule(kernel), buildCClient()]);
  const initrd = await packInitramfs(ko, cClient);
  log("booting");
  let inside = false;
  const only = options.only ?? "";
  if (!/^[a-z_]*$/.test(only)) throw new TypeError(`bad test name: ${only}`);
  const serial = await boot(kernel.image, initrd, mode, only, options.timeoutS ?? 900, (line) => {
    if (line.startsWith("@@OUT_END")) inside = false;
    if (inside) options.onOutput?.(line);
    if (line.startsWith("@@OUT_BEGIN")) inside = true;
  });
  await Deno.writeTextFile(`${OUT}serial-${mode}-${kernel.kver}.log`, serial);
  return judge(serial, mode);
}

if (import.meta.main) {
  const cli = {
    name: "harness.ts",
    help:
      "usage: deno run -A kmod/vm/harness.ts [test|demo|bench] [--quiet] [--only NAME] [--kernel bookworm|backports]",
  };
  let parsed;
  await runCli(cli, () => {
    parsed = parseCli(cli, {
      help: { type: "boolean", short: "h" },
      quiet: { type: "boolean", short: "q" },
      only: { type: "string" },
      kernel: { type: "string", default: "bookworm" },
    }, 1);
    choice("mode", parsed.positionals[0] ?? "test", ["test", "demo", "bench"]);
  });
  const { positionals, values } = parsed!;
  const mode = (positionals[0] ?? "test") as Mode;
  const log = values.quiet ? () => {} : (s: string) => console.error(`[vm] ${s}`);
  if (values.kernel !== "bookworm" && values.kernel !== "backports") {
    console.error("--kernel is bookworm (6.1) or backports (6.12)");
    Deno.exit(2);
  }
  const result = await runVm(mode, {
    onOutput: (l) => console.log(l),
    log,
    only: values.only,
    kernel: values.kernel,
  });
  if (result.ok) {
    log("ok: module loaded, ran, unloaded; dmesg clean");
  } else {
    console.error(`[vm] FAILED:\n  ${result.problems.join("\n  ")}`);
    console.error(`[vm] serial logs: ${OUT}serial-${mode}-*.log`);
    Deno.exit(1);
  }
}
