/**
 * Debian packages for the VM without touching /etc/apt: a private apt
 * configuration per suite whose one source is that suite of the mirror this
 * machine already uses (read from /etc/apt/sources.list.d/debian.sources),
 * and the host's own apt for the tools the VM copies in.
 *
 * @module
 */
import { sh } from "../../tools/fetch_specs.ts";

// The mirror and the private apt configuration are the spec fetcher's: one place for both.
export { debianMirror, privateApt } from "../../tools/fetch_specs.ts";

/** True when `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `tool` is on PATH. */
export async function which(tool: string): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
    .output();
  return r.success;
}

/** Serializes this project's apt runs (the lists lock has no wait of its own). */
const LOCK = "/run/lock/netlink-ts-apt";

/**
 * Installs Debian packages on the host (as root; otherwise throws with the
 * exact command to run). `apt-get update` runs first, once.
 */
export async function aptInstall(packages: string[], log: (s: string) => void): Promise<void> {
  if (packages.length === 0) return;
  const apt = "apt-get -o DPkg::Lock::Timeout=600";
  const cmd = `${apt} update -qq && ${apt} install -y --no-install-recommends ${
    packages.join(" ")
  }`;
  if (Deno.uid() !== 0) throw new Error(`missing packages; as root run:\n  ${cmd}`);
  log(`installing ${packages.join(" ")}`);
  // one apt at a time across processes (parallel test runs), then apt's own lock wait
  await sh("flock", [LOCK, "sh", "-c", cmd], { env: { DEBIAN_FRONTEND: "noninteractive" } });
}
