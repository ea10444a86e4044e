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
