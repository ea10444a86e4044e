/**
 * trixie-backports' Linux 7.2, Debian's newest: its image
 * (`linux-binary-KVER`), its own modules (`linux-modules-KVER`, `.ko.xz`,
 * with `modules.dep` made by the host's depmod, as the package's postinst
 * would) and, to build the module against it, a Debian 13 root (see
 * trixie_root.ts). Everything is cached under `.out/trixie/`.
 *
 * @module
 */
import { sh } from "../../tools/fetch_specs.ts";
import { aptInstall, exists, privateApt } from "./apt.ts";
import type { Kernel } from "./kernels.ts";
import { buildInTrixie } from "./trixie_root.ts";

/** The kernel series the suite boots. */
export const TRIXIE_SERIES = "7.2";

/** Compares Debian-style dotted version numbers (7.2.9 < 7.2.12). */
function byVersion(a: string, b: string): number {
  const pa = a.split(/[.+]/).map(Number);
  const pb = b.split(/[.+]/).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return d;
  }
  return 0;
}

/**
 * The newest `7.2.N+deb13-amd64` for which trixie-backports has the image,
 * the modules and the headers ($TRIXIE_KVER overrides it).
 */
async function trixieVersion(env: Record<string, string>): Promise<string> {
  const forced = Deno.env.get("TRIXIE_KVER");
  if (forced) return forced;
  const names = async (kind: string) =>
    new Set(
      (await sh("apt-cache", ["pkgnames", `linux-${kind}-${TRIXIE_SERIES}.`], { env }))
        .split("\n").map((l) => l.trim()).filter(Boolean),
    );
  const [binary, modules, headers] = await Promise.all(
    ["binary", "modules", "headers"].map(names),
  );
  const re = new RegExp(
    `^linux-binary-(${TRIXIE_SERIES.replace(".", "\\.")}\\.\\d+\\+deb13)-amd64$`,
  );
  const versions = [...binary].map((n) => re.exec(n)?.[1]).filter((v): v is string => !!v)
    .filter((v) =>
      modules.has(`linux-modules-${v}-amd64`) && headers.has(`linux-headers-${v}-amd64`)
    )
    .sort(byVersion);
  const v = versions.at(-1);
  if (!v) {
    throw new Error(
      `trixie-backports has no complete linux ${TRIXIE_SERIES} (binary, modules, headers)`,
    );
  }
  return `${v}-amd64`;
}

/** Unpacks `pkg` (fetched with `env`) into `into`, then drops the .deb. */
async function unpack(pkg: string, dir: string, into: string, env: Record<string, string>) {
  await Deno.mkdir(`${dir}debs`, { recursive: true });
  await Deno.mkdir(into, { recursive: true });
  await sh("apt-get", ["download", pkg], { cwd: `${dir}debs`, env });
  await sh("sh", ["-c", `dpkg-deb -x ${pkg}_*.deb '${into}' && rm -f ${pkg}_*.deb`], {
    cwd: `${dir}debs`,
  });
}

/**
 * Linux 7.2 from trixie-backports, its downloads cached under `dir`; its
 * image is copied to `imageDir`.
 */
export async function trixieKernel(
  dir: string,
  imageDir: string,
  log: (s: string) => void,
): Promise<Kernel> {
  await Deno.mkdir(dir, { recursive: true });
  const env = await privateApt(`${dir}apt`, "trixie-backports");
  const kverFile = `${dir}kver`;
  let kver = await Deno.readTextFile(kverFile).catch(() => "");
  if (!kver) {
    kver = await trixieVersion(env);
    await Deno.writeTextFile(kverFile, kver);
  }
  const image = `${imageDir}vmlinuz-${kver}`;
  if (!exists(image)) {
    log(`fetching linux-binary-${kver} from trixie-backports`);
    const tmp = `${dir}binary/`;
    await unpack(`linux-binary-${kver}`, dir, tmp, env);
    await Deno.rename(`${tmp}usr/lib/modules/${kver}/vmlinuz`, image);
    await Deno.remove(tmp, { recursive: true });
  }
  const base = `${dir}modules/`;
  const tree = `${base}lib/modules/${kver}/`;
  return {
    kver,
    image,
    make: (src) => buildInTrixie(`${dir}root/`, kver, src, log),
    async modules() {
      if (exists(`${tree}modules.dep`)) return tree;
      log(`fetching linux-modules-${kver} from trixie-backports (159 MB)`);
      if (!(await sh("sh", ["-c", "command -v depmod || true"])).trim()) {
        await aptInstall(["kmod"], log);
      }
      await unpack(`linux-modules-${kver}`, dir, base, env);
      // modules.builtin and modules.order are in linux-base-KVER
      await unpack(`linux-base-${kver}`, dir, base, env);
      // the packages ship usr/lib/modules; depmod -b looks in lib/modules
      if (!exists(`${base}lib`)) await Deno.symlink("usr/lib", `${base}lib`);
      await sh("depmod", ["-b", base, kver]);
      if (!exists(`${tree}modules.dep`)) throw new Error(`depmod made no ${tree}modules.dep`);
      return tree;
    },
  };
}
