/**
 * Boots a kernel and an initramfs in qemu (TCG; KVM only where it really
 * works) and streams the serial console line by line. qemu exits 0 on
 * poweroff and on panic alike, so callers judge only from marker lines
 * their /init prints.
 *
 * @module
 */
import { exists } from "./apt.ts";

/** True only where KVM really works (not the nested kvm_pvm driver here). */
export function kvmUsable(): boolean {
  try {
    Deno.openSync("/dev/kvm", { read: true, write: true }).close();
    const cpu = Deno.readTextFileSync("/proc/cpuinfo");
    return /\b(vmx|svm)\b/.test(cpu) && !exists("/sys/module/kvm_pvm");
  } catch {
    return false;
  }
}

/** What {@linkcode boot} takes. */
export interface BootOptions {
  /** The kernel image. */
  kernel: string;
  /** The initramfs (cpio.gz). */
  initrd: string;
  /** Extra kernel command line words (after `console=ttyS0 panic=-1 quiet`). */
  append?: string;
  /** qemu is killed after this many seconds; the log then ends in `@@TIMEOUT`. */
  timeoutS: number;
  /** Each serial line, CR stripped, as it arrives. */
  onLine?: (line: string) => void;
}

/** Boots the guest; returns its whole serial log (plus `@@TIMEOUT`/`@@QEMU_STDERR` notes). */
export async function boot(o: BootOptions): Promise<string> {
  const accel = kvmUsable()
    ? ["-enable-kvm", "-cpu", "host"]
    : ["-accel", "tcg,thread=multi", "-cpu", "max"];
  const qemu = new Deno.Command("timeout", {
    args: [
      "-k",
      "5",
      String(o.timeoutS),
      "qemu-system-x86_64",
      ...accel,
      ...["-smp", "2", "-m", "1024", "-nographic", "-nodefaults", "-serial", "stdio"],
      ...["-no-reboot", "-kernel", o.kernel, "-initrd", o.initrd],
      ...["-append", `console=ttyS0 panic=-1 quiet ${o.append ?? ""}`.trim()],
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
      o.onLine?.(line);
    }
  }
  serial += pending;
  const status = await qemu.status;
  const err = decoder.decode(await new Response(qemu.stderr).arrayBuffer());
  if (status.code === 124) serial += `\n@@TIMEOUT after ${o.timeoutS}s\n`;
  if (err.trim()) serial += `\n@@QEMU_STDERR ${err}\n`;
  return serial;
}

/** The text between the line holding marker `a` and the next `b` (undefined if either is missing). */
export function between(serial: string, a: string, b: string): string | undefined {
  const i = serial.indexOf(a);
  const j = serial.indexOf(b, i + 1);
  return i >= 0 && j >= 0 ? serial.slice(serial.indexOf("\n", i) + 1, j) : undefined;
}

/** dmesg lines that mean the kernel is unwell. */
export function kernelSplats(dmesg: string): string[] {
  return dmesg.split("\n").filter((l) =>
    /WARNING:|BUG:|Oops|Call Trace|general protection|refcount_t:|leaked \d/.test(l)
  );
}
