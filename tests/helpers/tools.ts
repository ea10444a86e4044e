/**
 * The userspace tools tests compare with (`nft`, `conntrack`, `wg`, `iw`,
 * ...), installed from Debian as root when missing. With CI=true a tool
 * that cannot be had is a failure, never a skip.
 */
import { aptInstall, which } from "../../kmod/vm/apt.ts";

/** Each tool by the Debian package that has it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  ip: "iproute2",
  bridge: "iproute2",
  tc: "iproute2",
  ss: "iproute2",
  nft: "nftables",
  conntrack: "conntrack",
  wg: "wireguard-tools",
  iw: "iw",
  python3: "python3",
};

let installing: Promise<void> = Promise.resolve();

/**
 * Makes sure every tool in `tools` is on PATH, installing the missing ones'
 * packages with apt as root (one install at a time in this process).
 * Throws with the exact command when that is not possible.
 */
export function requireTools(...tools: string[]): Promise<void> {
  const next = installing.then(async () => {
    const missing: string[] = [];
    for (const t of tools) if (!await which(t)) missing.push(t);
    const packages = [...new Set(missing.map((t) => TOOL_PACKAGES[t] ?? t))];
    await aptInstall(packages, (s) => console.error(`[tools] ${s}`));
    for (const t of missing) {
      if (!await which(t)) throw new Error(`${t} is still missing after installing its package`);
    }
  });
  installing = next.catch(() => {});
  return next;
}

/** Python modules tests import, by the Debian package that has them. */
const PYTHON_PACKAGES: Readonly<Record<string, string>> = {
  yaml: "python3-yaml",
  jsonschema: "python3-jsonschema",
};

/**
 * Makes sure `python3` (the one on PATH) imports every module in `modules`,
 * installing Debian's packages for the missing ones as root.
 */
export async function requirePython(...modules: string[]): Promise<void> {
  await requireTools("python3");
  const imports = async (m: string) =>
    (await new Deno.Command("python3", { args: ["-c", `import ${m}`], stderr: "null" }).output())
      .success;
  const missing: string[] = [];
  for (const m of modules) if (!await imports(m)) missing.push(m);
  if (missing.length === 0) return;
  const next = installing.then(() =>
    aptInstall(
      missing.map((m) => PYTHON_PACKAGES[m] ?? `python3-${m}`),
      (s) => console.error(`[tools] ${s}`),
    )
  );
  installing = next.catch(() => {});
  await next;
  for (const m of missing) {
    if (!await imports(m)) throw new Error(`python3 still cannot import ${m} after installing it`);
  }
}
