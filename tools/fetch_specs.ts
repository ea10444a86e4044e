/**
 * Fetches the kernel's YNL specs (Documentation/netlink) and its ynl tool
 * (tools/net/ynl: cli.py and its library) from Debian's linux-source-7.2
 * package in trixie-backports, without touching /etc/apt: a private apt
 * configuration whose one source is the backports suite of the mirror this
 * machine already uses. Dev-time only; not published.
 *
 *     deno task specs      # unpacks into .out/linux-7.2/
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;

/** The kernel the specs come from. */
export const KERNEL_PACKAGE = "linux-source-7.2";
/** The suite that carries it. */
export const SPECS_SUITE = "trixie-backports";

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

const SOURCES = "/etc/apt/sources.list.d/debian.sources";

/** The Debian mirror this machine's apt uses; throws when there is none. */
export async function debianMirror(): Promise<string> {
  const sources = await Deno.readTextFile(SOURCES).catch(() => "");
  const mirror = /URIs:\s*(\S+\/debian)\s/.exec(sources)?.[1];
  if (!mirror) {
    throw new Error(
      `no Debian mirror found in ${SOURCES} (a "URIs: .../debian" line): ` +
        "cannot fetch from backports without one",
    );
  }
  return mirror;
}

/**
 * A private apt configuration for `suite` under `dir`, its package lists
 * fetched once. Returns the environment that selects it.
 */
export async function privateApt(dir: string, suite: string): Promise<Record<string, string>> {
  for (const d of ["lists/partial", "archives/partial", "cache", "etc"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  const mirror = await debianMirror();
  await Deno.writeTextFile(
    `${dir}/etc/sources.list`,
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror} ${suite} main\n`,
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
  for await (const e of Deno.readDir(`${dir}/lists`)) {
    if (e.name.includes(`_${suite}_`) && e.name.endsWith("Packages")) fresh = true;
  }
  if (!fresh) await sh("apt-get", ["update", "-qq"], { env });
  return env;
}

/** Where the kernel's tree (the parts fetched) is unpacked. */
export const KERNEL_DIR = `${ROOT}.out/linux-7.2`;
/** Where the specs land. */
export const SPECS_DIR = `${KERNEL_DIR}/Documentation/netlink/specs`;
/** Where the kernel's ynl tool lands (pyynl/cli.py). */
export const YNL_DIR = `${KERNEL_DIR}/tools/net/ynl`;

/** The kernel version ("7.2.12") of an unpacked tree, from its top Makefile. */
export async function kernelVersion(dir: string): Promise<string> {
  const mk = await Deno.readTextFile(`${dir}/Makefile`);
  // [ \t]*, not \s*: an empty EXTRAVERSION must not match into the next line
  const v = (k: string) => new RegExp(`^${k}[ \\t]*=[ \\t]*(\\S*)`, "m").exec(mk)?.[1] ?? "";
  const version = [v("VERSION"), v("PATCHLEVEL"), v("SUBLEVEL")].filter(Boolean).join(".");
  if (!version) throw new Error(`${dir}/Makefile names no kernel version`);
  return version + v("EXTRAVERSION");
}

/**
 * Fetches and unpacks the specs and the ynl tool unless they are there;
 * returns the specs' directory. A .deb already in `.out/backports-7.2/`
 * (copied there by hand) is used instead of downloading it.
 */
export async function fetchSpecs(): Promise<string> {
  try {
    await Deno.stat(`${SPECS_DIR}/rt-link.yaml`);
    await Deno.stat(`${YNL_DIR}/pyynl/cli.py`);
    await Deno.stat(`${KERNEL_DIR}/Makefile`);
    return SPECS_DIR;
  } catch {
    // fetch below
  }
  const deb = await sourceDeb();
  await Deno.remove(KERNEL_DIR, { recursive: true }).catch(() => {});
  await Deno.mkdir(KERNEL_DIR, { recursive: true });
  await unpack(deb, [
    "Makefile",
    "--wildcards",
    "Documentation/netlink/*",
    "tools/net/ynl/*",
  ]);
  return SPECS_DIR;
}

/** Where the kernel's netfilter uapi headers land (nf_tables.h and its neighbours). */
export const UAPI_DIR = `${KERNEL_DIR}/include/uapi/linux`;

/**
 * Unpacks the kernel's netfilter uapi headers (include/uapi/linux/netfilter.h
 * and netfilter/*.h) from the same package unless they are there; returns
 * the include/uapi/linux directory. The tests compare the generated
 * nftables family with nf_tables.h.
 */
export async function fetchUapiHeaders(): Promise<string> {
  try {
    await Deno.stat(`${UAPI_DIR}/netfilter/nf_tables.h`);
    await Deno.stat(`${UAPI_DIR}/netfilter.h`);
    return UAPI_DIR;
  } catch {
    // fetch below
  }
  const deb = await sourceDeb();
  await Deno.mkdir(KERNEL_DIR, { recursive: true });
  await unpack(deb, [
    "include/uapi/linux/netfilter.h",
    "--wildcards",
    "include/uapi/linux/netfilter/*.h",
  ]);
  return UAPI_DIR;
}

/** The linux-source .deb: one in `.out/backports-7.2/`, or downloaded there. */
async function sourceDeb(): Promise<string> {
  const dir = `${ROOT}.out/backports-7.2`;
  const pkg = KERNEL_PACKAGE;
  await Deno.mkdir(dir, { recursive: true });
  const find = async () => {
    let deb = "";
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(`${pkg}_`) && e.name.endsWith(".deb")) deb = e.name;
    }
    return deb;
  };
  let deb = await find();
  if (!deb) {
    const env = await privateApt(`${dir}/apt`, SPECS_SUITE);
    await sh("apt-get", ["download", pkg], { cwd: dir, env });
    deb = await find();
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`);
  }
  return `${dir}/${deb}`;
}

/** Unpacks `paths` (relative to the source tree; "--wildcards" before patterns) into KERNEL_DIR. */
async function unpack(deb: string, paths: string[]): Promise<void> {
  const pkg = KERNEL_PACKAGE;
  const args = paths.map((p) => p.startsWith("--") ? p : `'${pkg}/${p}'`).join(" ");
  await sh("sh", [
    "-c",
    `dpkg-deb --fsys-tarfile '${deb}' | tar -xO './usr/src/${pkg}.tar.xz' | ` +
    `tar -xJ --strip-components=1 ${args}`,
  ], { cwd: KERNEL_DIR });
}

if (import.meta.main) console.log(await fetchSpecs());
