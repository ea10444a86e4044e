/**
 * Debian packages for the VM without touching /etc/apt: a private apt
 * configuration per suite whose one source is that suite of the mirror this
 * machine already uses (read from /etc/apt/sources.list.d/debian.sources),
 * and the host's own apt for the tools the VM copies in.
 *
 * @module
 */
import { sh } from "../../tools/fetch_specs.ts";

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

/** The Debian mirror this machine's apt uses (its first `URIs:` ending in /debian). */
export async function debianMirror(): Promise<string> {
  const sources = await Deno.readTextFile("/etc/apt/sources.list.d/debian.sources")
    .catch(() => "");
  const mirror = /URIs:\s*(\S+\/debian)\s/.exec(sources)?.[1];
  if (!mirror) {
    throw new Error(
      "no Debian mirror in /etc/apt/sources.list.d/debian.sources (URIs: .../debian)",
    );
  }
  return mirror;
}

/**
 * A private apt configuration for `suite` (e.g. "trixie-backports") under
 * `dir`, its package lists fetched once. Returns the environment that
 * selects it.
 *
 * @example
 * ```ts
 * const env = await privateApt(".out/trixie/apt", "trixie-backports");
 * // apt-get download linux-binary-7.2.12+deb13-amd64, with { env }
 * ```
 */
export async function privateApt(dir: string, suite: string): Promise<Record<string, string>> {
  for (const d of ["lists/partial", "archives/partial", "cache", "etc"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  await Deno.writeTextFile(
    `${dir}/etc/sources.list`,
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${await debianMirror()} ${suite} main\n`,
  );
  await Deno.writeTextFile(
    `${dir}/apt.conf`,
    [
      `Dir::Etc::sourcelist "${dir}/etc/sources.list";`,
      `Dir::Etc::sourceparts "-";`,
      `Dir::State::lists "${dir}/lists";`,
      `Dir::Cache "${dir}/cache";`,
      `Dir::Cache::archives "${dir}/archives";`,
      "",
    ].join("\n"),
  );
  const env = { APT_CONFIG: `${dir}/apt.conf` };
  let fresh = false;
  for await (const e of Deno.readDir(`${dir}/lists`)) if (e.name.includes("Packages")) fresh = true;
  if (!fresh) await sh("apt-get", ["update", "-qq"], { env });
  return env;
}

/**
 * Installs Debian packages on the host (as root; otherwise throws with the
 * exact command to run). `apt-get update` runs first, once.
 */
export async function aptInstall(packages: string[], log: (s: string) => void): Promise<void> {
  if (packages.length === 0) return;
  const cmd = `apt-get update -qq && apt-get install -y --no-install-recommends ${
    packages.join(" ")
  }`;
  if (Deno.uid() !== 0) throw new Error(`missing packages; as root run:\n  ${cmd}`);
  log(`installing ${packages.join(" ")}`);
  await sh("sh", ["-c", cmd], { env: { DEBIAN_FRONTEND: "noninteractive" } });
}
