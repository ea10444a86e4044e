/**
 * The VM suite: the library's tests for what the host kernel lacks (vlan,
 * bond, dummy, vrf, ipvlan, wireguard, netem, flower, hwsim...), run in
 * Debian's newest kernel (trixie-backports' 7.2) under qemu.
 *
 * Each file `tests/vm/NAME.test.ts` is an ordinary `deno test` file that
 * names the kernel modules it needs:
 *
 *     export const VM_MODULES = ["bonding", "8021q", "dummy"];
 *
 * The suite loads the union of those (with their dependencies, from that
 * kernel's own package and modules.dep, decompressed on the host), packs
 * Deno, the project's sources and the userspace tools tests compare with
 * (ip, bridge, tc, wg, iw, nft, conntrack: the host's, installed with apt
 * if missing), boots once, and runs each file with `deno test -A` as root,
 * CI=true (nothing skips). The result of each file comes back from a marker
 * line on the serial console.
 *
 *     deno task vm:suite                          # every tests/vm/*.test.ts
 *     deno task vm:suite tests/vm/links.test.ts   # just these
 *
 * @module
 */
import { parseArgs } from "../../src/cli/args.ts";
import { aptInstall, which } from "./apt.ts";
import { between, boot, kernelSplats } from "./boot.ts";
import { GuestRoot } from "./initramfs.ts";
import { kernel, OUT } from "./kernels.ts";
import { declaredModules, stageModules } from "./modules.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The tools packed into the guest, by the Debian package that has them. */
export const VM_TOOLS = {
  ip: "iproute2",
  bridge: "iproute2",
  tc: "iproute2",
  wg: "wireguard-tools",
  iw: "iw",
  nft: "nftables",
  conntrack: "conntrack",
} as const;

/** One test file's outcome in the guest. */
export interface FileResult {
  /** Its path, relative to the project (tests/vm/NAME.test.ts). */
  file: string;
  /** `deno test`'s exit status (undefined when the guest never finished it). */
  rc?: number;
  /** Its output. */
  output: string;
}

/** The outcome of a suite run. */
export interface SuiteResult {
  /** True when every check passed. */
  ok: boolean;
  /** What failed, in words. */
  problems: string[];
  /** Each file's result. */
  files: FileResult[];
  /** The .ko files loaded, in order. */
  modules: string[];
  /** The guest kernel's version. */
  kver: string;
  /** The guest's dmesg at the end. */
  dmesg: string;
  /** The whole serial log. */
  serial: string;
}

/** Every tests/vm/*.test.ts, sorted. */
export async function suiteFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}tests/vm`)) {
    if (e.isFile && e.name.endsWith(".test.ts")) files.push(`tests/vm/${e.name}`);
  }
  return files.sort();
}

function checkFile(file: string): string {
  const f = file.replace(/^\.\//, "");
  if (!/^tests\/vm\/[A-Za-z0-9_.-]+\.test\.ts$/.test(f)) {
    throw new TypeError(`not a VM suite file (tests/vm/NAME.test.ts): ${file}`);
  }
  return f;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/bin HOME=/root DENO_DIR=/tmp/deno NO_COLOR=1 CI=true
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
chmod 1777 /tmp
mkdir -p /var && ln -s /run /var/run
ip link set lo up
echo "@@BOOTED $(uname -r)"
for m in $(cat /modules/order); do
  insmod /modules/$m || echo "@@INSMOD_FAILED $m"
done
echo "@@MODULES_LOADED"
cd /project
for f in $(cat /suite); do
  echo "@@FILE_BEGIN $f"
  deno test -A --no-check --no-config "$f" 2>&1
  echo "@@FILE_END $f rc=$?"
done
echo "@@DMESG_BEGIN"
dmesg
echo "@@DMESG_END"
poweroff -f
`;

/** Installs the tools the guest gets that the host lacks, or says how. */
async function ensureTools(log: (s: string) => void): Promise<Record<string, string>> {
  const missing = new Set<string>();
  for (const [tool, pkg] of Object.entries(VM_TOOLS)) if (!await which(tool)) missing.add(pkg);
  await aptInstall([...missing], log);
  const paths: Record<string, string> = {};
  for (const tool of Object.keys(VM_TOOLS)) {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "piped",
    })
      .output();
    paths[tool] = new TextDecoder().decode(out.stdout).trim();
    if (!paths[tool].startsWith("/")) throw new Error(`${tool} is not on PATH after installing`);
  }
  return paths;
}

/** Reads the markers: each file's result, the modules and dmesg. */
export function judgeSuite(serial: string, files: string[], modules: string[], kver: string) {
  const problems: string[] = [];
  if (!serial.includes("@@BOOTED")) problems.push("the guest never reached /init");
  for (const m of serial.matchAll(/^@@INSMOD_FAILED (\S+)/gm)) {
    problems.push(`insmod ${m[1]} failed`);
  }
  if (!serial.includes("@@MODULES_LOADED")) problems.push("the guest did not get past insmod");
  const results: FileResult[] = files.map((file) => {
    const output = between(serial, `@@FILE_BEGIN ${file}\n`, `@@FILE_END ${file} `) ?? "";
    const rc = new RegExp(`^@@FILE_END ${file.replaceAll(".", "\\.")} rc=(\\d+)`, "m")
      .exec(serial)?.[1];
    if (rc === undefined) problems.push(`${file}: no result (crash or timeout)`);
    else if (rc !== "0") problems.push(`${file}: deno test exited ${rc}`);
    else {
      const summary = /^(ok|FAILED) \| (\d+) passed.*\| (\d+) failed/m.exec(output);
      if (!summary || summary[1] !== "ok" || Number(summary[2]) === 0) {
        problems.push(`${file}: ${summary?.[0] ?? "no test summary"}`);
      }
    }
    return { file, rc: rc === undefined ? undefined : Number(rc), output };
  });
  const dmesg = between(serial, "@@DMESG_BEGIN", "@@DMESG_END");
  if (dmesg === undefined) problems.push("no dmesg from the guest");
  else {
    const bad = kernelSplats(dmesg);
    if (bad.length) problems.push(`dmesg:\n${bad.join("\n")}`);
  }
  if (serial.includes("@@TIMEOUT")) problems.push("qemu timed out");
  return {
    ok: problems.length === 0,
    problems,
    files: results,
    modules,
    kver,
    dmesg: dmesg ?? "",
    serial,
  };
}

/**
 * Runs the VM suite: `files` (default every tests/vm/*.test.ts) in
 * trixie-backports' 7.2 with the modules they name.
 */
export async function runSuite(options: {
  files?: string[];
  log?: (s: string) => void;
  /** The guest's test output, line by line, live. */
  onOutput?: (line: string) => void;
  timeoutS?: number;
} = {}): Promise<SuiteResult> {
  const log = options.log ?? (() => {});
  const files = (options.files?.length ? options.files : await suiteFiles()).map(checkFile);
  if (files.length === 0) throw new Error("no tests/vm/*.test.ts to run");
  const wanted: string[] = [];
  for (const f of files) {
    for (const m of declaredModules(await Deno.readTextFile(ROOT + f), f)) {
      if (!wanted.includes(m)) wanted.push(m);
    }
  }
  const k = await kernel("trixie", log);
  const [tree, tools] = await Promise.all([k.modules(), ensureTools(log)]);
  log(`kernel ${k.kver}; modules ${wanted.join(" ") || "(none)"}`);
  const g = await GuestRoot.create(`${OUT}suite-root/`);
  const modules = await stageModules(tree, wanted, `${g.dir}modules/`);
  await g.write("/modules/order", modules.join("\n") + "\n");
  // what is built in, where modprobe would look (a test can tell "built in" from "missing")
  await g.file(`${tree}modules.builtin`, `/lib/modules/${k.kver}/modules.builtin`);
  for (const [tool, path] of Object.entries(tools)) await g.binary(path, `/usr/sbin/${tool}`);
  // iproute2's tables (rt_tables, netem's distributions), the names nft prints
  for (const d of ["/etc/iproute2", "/usr/share/iproute2", "/usr/lib/tc"]) await g.tree(d);
  for (const f of ["/etc/protocols", "/etc/services"]) await g.file(f).catch(() => {});
  await g.project(["src", "ffi", "examples", "tests/vm", "tests/helpers"]);
  await g.write("/suite", files.join("\n") + "\n");
  await g.init(INIT);
  const initrd = await g.pack(`${OUT}suite-initramfs.cpio.gz`);
  log(`booting ${files.length} file(s)`);
  let inside = false;
  const serial = await boot({
    kernel: k.image,
    initrd,
    timeoutS: options.timeoutS ?? 900,
    onLine(line) {
      if (line.startsWith("@@FILE_END") || line.startsWith("@@DMESG_BEGIN")) inside = false;
      if (inside) options.onOutput?.(line);
      if (line.startsWith("@@FILE_BEGIN")) {
        inside = true;
        options.onOutput?.(line.slice(2));
      }
    },
  });
  await Deno.writeTextFile(`${OUT}serial-suite-${k.kver}.log`, serial);
  return judgeSuite(serial, files, modules, k.kver);
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" }, quiet: { type: "boolean", short: "q" } },
  });
  if (values.help) {
    console.log("usage: deno run -A kmod/vm/suite.ts [--quiet] [tests/vm/NAME.test.ts ...]");
    Deno.exit(0);
  }
  const log = values.quiet ? () => {} : (s: string) => console.error(`[vm] ${s}`);
  const r = await runSuite({ files: positionals, log, onOutput: (l) => console.log(l) });
  if (r.ok) log(`ok: ${r.files.length} file(s) passed on ${r.kver}; dmesg clean`);
  else {
    console.error(`[vm] FAILED:\n  ${r.problems.join("\n  ")}`);
    console.error(`[vm] serial log: ${OUT}serial-suite-${r.kver}.log`);
    Deno.exit(1);
  }
}
