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
 * `--kernel bookworm` (6.1, the default; $KVER picks another bookworm
 * ABI), `backports` (bookworm-backports' 6.12) or `trixie`
 * (trixie-backports' 7.2, the module built in a Debian 13 root). The VM
 * suite for the library (tests/vm/) is kmod/vm/suite.ts.
 *
 * @module
 */
import { choice, parseCli, runCli } from "../../src/cli/usage.ts";
import { sh } from "../../tools/fetch_specs.ts";
import { aptInstall, exists, which } from "./apt.ts";
import { between, boot, kernelSplats } from "./boot.ts";
import { GuestRoot } from "./initramfs.ts";
import {
  type Kernel,
  kernel as getKernel,
  type KernelName,
  kernelName,
  KERNELS,
  OUT,
} from "./kernels.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

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

/** Builds the module out of tree with W=1; any warning is a failure. */
async function buildModule(k: Kernel): Promise<string> {
  const dir = `${OUT}build-${k.kver}/`;
  await Deno.mkdir(dir, { recursive: true });
  for (const f of ["Kbuild", "Makefile", "nlrtable.c", "nlrtable.h"]) {
    await Deno.copyFile(`${ROOT}kmod/${f}`, dir + f);
  }
  const log = await k.make(dir);
  const warnings = log.split("\n").filter((l) => /warning:|error:/i.test(l));
  if (warnings.length) throw new Error(`module build warnings:\n${warnings.join("\n")}`);
  return `${dir}nlrtable.ko`;
}

/** Builds the C reference client for the in-VM benchmark. */
async function buildCClient(log: (s: string) => void): Promise<string> {
  if (!await which("gcc")) await aptInstall(["build-essential"], log);
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

/** Stages the guest's root file system and packs it. */
async function packInitramfs(ko: string, cClient: string): Promise<string> {
  const g = await GuestRoot.create(`${OUT}root/`);
  await g.binary(cClient, "/bin/nlrt_roundtrip");
  // util-linux's setpriv (busybox's cannot change uid) for unprivileged tests
  await g.binary("/usr/bin/setpriv");
  await g.init(INIT);
  await g.file(ko, "/nlrtable.ko");
  await g.project(["src", "ffi", "tests/kmod", "tests/helpers", "examples", "bench"]);
  await g.file(`${ROOT}kmod/nlrtable.h`, "/project/kmod/nlrtable.h");
  return await g.pack(`${OUT}initramfs.cpio.gz`);
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
  const output = between(serial, "@@OUT_BEGIN", "@@OUT_END") ?? "";
  const dmesg = between(serial, "@@DMESG_BEGIN", "@@DMESG_END");
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
    const bad = kernelSplats(dmesg);
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
    /** Which of {@linkcode KERNELS}: bookworm's 6.1 (default), backports' 6.12, trixie's 7.2. */
    kernel?: KernelName;
  } = {},
): Promise<VmResult> {
  const log = options.log ?? (() => {});
  const kernel = await getKernel(options.kernel ?? "bookworm", log);
  log(`kernel ${kernel.kver}`);
  const [ko, cClient] = await Promise.all([buildModule(kernel), buildCClient(log)]);
  const initrd = await packInitramfs(ko, cClient);
  log("booting");
  let inside = false;
  const only = options.only ?? "";
  if (!/^[a-z_]*$/.test(only)) throw new TypeError(`bad test name: ${only}`);
  const serial = await boot({
    kernel: kernel.image,
    initrd,
    append: `nlrtmode=${mode} nlrtonly=${only}`,
    timeoutS: options.timeoutS ?? 900,
    onLine(line) {
      if (line.startsWith("@@OUT_END")) inside = false;
      if (inside) options.onOutput?.(line);
      if (line.startsWith("@@OUT_BEGIN")) inside = true;
    },
  });
  await Deno.writeTextFile(`${OUT}serial-${mode}-${kernel.kver}.log`, serial);
  return judge(serial, mode);
}

if (import.meta.main) {
  const kernels = Object.keys(KERNELS) as KernelName[];
  const cli = {
    name: "harness.ts",
    help:
      `usage: deno run -A kmod/vm/harness.ts [test|demo|bench] [--quiet] [--only NAME] [--kernel ${
        kernels.join("|")
      }]`,
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
    choice("--kernel", parsed.values.kernel as string, kernels);
  });
  const { positionals, values } = parsed!;
  const mode = (positionals[0] ?? "test") as Mode;
  const log = values.quiet ? () => {} : (s: string) => console.error(`[vm] ${s}`);
  const kernel = kernelName(values.kernel as string);
  const result = await runVm(mode, {
    onOutput: (l) => console.log(l),
    log,
    only: values.only,
    kernel,
  });
  if (result.ok) {
    log("ok: module loaded, ran, unloaded; dmesg clean");
  } else {
    console.error(`[vm] FAILED:\n  ${result.problems.join("\n  ")}`);
    console.error(`[vm] serial logs: ${OUT}serial-${mode}-*.log`);
    Deno.exit(1);
  }
}
