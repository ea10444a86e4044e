/**
 * Fetches the kernel's YNL specs (Documentation/netlink/specs) from
 * Debian's linux-source-6.12 package in bookworm-backports, without
 * touching /etc/apt: a private apt configuration whose one source is the
 * backports suite of the mirror this machine already uses. Dev-time only.
 *
 *     deno task specs      # unpacks into .out/specs/
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs a command; throws with its output when it fails. Returns stdout and stderr. */
export async function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" })
    .output();
  const t = new TextDecoder();
  const all = t.decode(out.stdout) + t.decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${all}`);
  return all;
}

/**
 * A private apt configuration for bookworm-backports under `dir`, its
 * package lists fetched once. Returns the environment that selects it.
 */
export async function backportsApt(dir: string): Promise<Record<string, string>> {
  for (const d of ["lists/partial", "archives/partial", "cache", "etc"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  const sources = await Deno.readTextFile("/etc/apt/sources.list.d/debian.sources")
    .catch(() => "");
  const mirror = /URIs:\s*(\S+\/debian)\s/.exec(sources)?.[1] ?? "http://deb.debian.org/debian";
  await Deno.writeTextFile(
    `${dir}/etc/sources.list`,
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror} bookworm-backports main\n`,
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
  for await (const e of Deno.readDir(`${dir}/lists`)) if (e.name.endsWith("Packages")) fresh = true;
  if (!fresh) await sh("apt-get", ["update", "-qq"], { env });
  return env;
}

/** Where the specs land. */
export const SPECS_DIR = `${ROOT}.out/specs/Documentation/netlink/specs`;

/** Fetches and unpacks the specs unless they are there; returns their directory. */
export async function fetchSpecs(): Promise<string> {
  try {
    await Deno.stat(`${SPECS_DIR}/rt_link.yaml`);
    return SPECS_DIR;
  } catch {
    // fetch below
  }
  const dir = `${ROOT}.out/backports`;
  const env = await backportsApt(dir);
  const pkg = /Depends: (linux-source-[\d.]+)/.exec(
    await sh("apt-cache", ["depends", "linux-source"], { env }),
  )?.[1];
  if (!pkg) throw new Error("bookworm-backports has no linux-source");
  await Deno.mkdir(`${ROOT}.out/specs`, { recursive: true });
  await sh("apt-get", ["download", pkg], { cwd: `${ROOT}.out/specs`, env });
  await sh("sh", [
    "-c",
    `dpkg-deb --fsys-tarfile ${pkg}_*.deb | tar -xO './usr/src/${pkg}.tar.xz' | ` +
    `tar -xJ --strip-components=1 --wildcards '*/Documentation/netlink/*' && rm -f ${pkg}_*.deb`,
  ], { cwd: `${ROOT}.out/specs` });
  return SPECS_DIR;
}

if (import.meta.main) console.log(await fetchSpecs());
